package store

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// streamAll reads every array of the archive path through NPZReader.Stream
// in pieces of random lengths, converted to float64.
func streamAll(t *testing.T, path string, rng *rand.Rand) map[string][]float64 {
	t.Helper()
	r, err := OpenNPZ(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out := map[string][]float64{}
	for _, name := range r.Names() {
		s, err := r.Stream(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got []float64
		for s.Remaining() > 0 {
			piece := make([]float64, 1+rng.IntN(int(s.Remaining())))
			if err := s.ReadFloat64s(piece); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got = append(got, piece...)
		}
		if err := s.ReadFloat64s(make([]float64, 1)); err == nil {
			t.Errorf("%s: reading past the end: no error", name)
		}
		s.Close()
		out[name] = got
	}
	return out
}

// The streamed arrays are those ReadNPZ reads, element by element, for
// every dtype, stored and deflated.
func checkStreamMatchesRead(t *testing.T, path string) {
	t.Helper()
	want, err := ReadNPZ(path)
	if err != nil {
		t.Fatal(err)
	}
	got := streamAll(t, path, rand.New(rand.NewPCG(1, 2)))
	if len(got) != len(want) {
		t.Fatalf("%d arrays streamed, %d read", len(got), len(want))
	}
	for name, a := range want {
		w, err := a.Float64s()
		if err != nil {
			t.Fatal(err)
		}
		if !sameFloats(got[name], w) {
			t.Errorf("%s: streamed %v, read %v", name, got[name], w)
		}
	}
}

func TestNPZStreamRead(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "e.npz")
	if err := WriteNPZ(p, sampleArrays()); err != nil {
		t.Fatal(err)
	}
	checkStreamMatchesRead(t, p)
	good := npyBytes(`{'descr': '>f8', 'fortran_order': True, 'shape': (2, 3), }`, float64Bytes(binary.BigEndian, 1, 4, 2, 5, 3, 6))
	checkStreamMatchesRead(t, writeRaw(t, dir, "c.npz", zipOf(t, zip.Deflate, [2]any{"x.npy", good})))

	// A .npy file, Fortran order, read in pieces.
	s, err := OpenNPY(writeRaw(t, dir, "f.npy", good))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, b := make([]float64, 4), make([]float64, 2)
	if err := s.ReadFloat64s(a); err != nil || s.ReadFloat64s(b) != nil || !sameFloats(append(a, b...), []float64{1, 2, 3, 4, 5, 6}) {
		t.Fatalf("Fortran-ordered stream: %v %v (%v)", a, b, err)
	}
	if !sameInts(s.Shape, []int{2, 3}) {
		t.Errorf("shape %v", s.Shape)
	}
}

// A flipped data byte fails the CRC check when the entry's last element is
// read; a truncated archive, a wrong shape or a stray entry are format
// errors naming the file; random damage never panics.
func TestNPZStreamRejects(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "e.npz")
	if err := WriteNPZ(p, []Array{{Name: "phi", Shape: []int{16}, Data: seqFloats(16)}}); err != nil {
		t.Fatal(err)
	}
	full, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b := bytes.Clone(full)
	b[bytes.Index(b, float64Bytes(binary.LittleEndian, seqFloats(16)[5]))] ^= 1
	q := writeRaw(t, dir, "flip.npz", b)
	r, err := OpenNPZ(q)
	if err != nil {
		t.Fatal(err)
	}
	s, err := r.Stream("phi")
	if err != nil {
		t.Fatal(err)
	}
	err = s.ReadFloat64s(make([]float64, 16))
	wantFormatError(t, err, q, "phi", "checksum")
	r.Close()

	wrongShape := npyBytes(`{'descr': '<f8', 'fortran_order': False, 'shape': (10,), }`, float64Bytes(binary.LittleEndian, 1, 2, 3))
	q = writeRaw(t, dir, "shape.npz", zipOf(t, zip.Store, [2]any{"phi.npy", wrongShape}))
	if r, err = OpenNPZ(q); err != nil {
		t.Fatal(err)
	}
	_, err = r.Stream("phi")
	wantFormatError(t, err, q, "phi", "needs more data")
	_, err = r.Stream("theta")
	wantFormatError(t, err, q, "theta", "no such array")
	r.Close()
	_, err = OpenNPZ(writeRaw(t, dir, "txt.npz", zipOf(t, zip.Store, [2]any{"notes.txt", wrongShape})))
	wantFormatError(t, err, filepath.Join(dir, "txt.npz"), "not a .npy")
	if _, err := OpenNPZ(filepath.Join(dir, "none.npz")); err == nil || !strings.Contains(err.Error(), "none.npz") {
		t.Errorf("missing archive: %v", err)
	}

	rng := rand.New(rand.NewPCG(5, 6))
	if err := WriteNPZ(p, sampleArrays()); err != nil {
		t.Fatal(err)
	}
	full, _ = os.ReadFile(p)
	for range 500 {
		b := bytes.Clone(full)
		for range 1 + rng.IntN(4) {
			b[rng.IntN(len(b))] = byte(rng.IntN(256))
		}
		if rng.IntN(4) == 0 {
			b = b[:rng.IntN(len(b))]
		}
		q := writeRaw(t, dir, "rand.npz", b)
		r, err := OpenNPZ(q)
		if err != nil {
			continue
		}
		for _, name := range r.Names() {
			if s, err := r.Stream(name); err == nil {
				_ = s.ReadFloat64s(make([]float64, s.Remaining()))
				s.Close()
			}
		}
		r.Close()
	}
}

// An array streamed in pieces gives the bytes WriteNPZComment writes for
// the whole array; a short or long stream is an error and writes nothing.
func TestNPZWriterStreams(t *testing.T) {
	dir := t.TempDir()
	arrays := []Array{
		{Name: "phi", Shape: []int{5, 3, 2}, Data: seqFloats(30)},
		{Name: "logq", Shape: []int{5}, Data: seqFloats(5)},
		{Name: "accepted", Shape: []int{5}, Data: []bool{true, false, true, true, false}},
	}
	whole := filepath.Join(dir, "whole.npz")
	if err := WriteNPZComment(whole, arrays, "normflow.field_kind=scalar"); err != nil {
		t.Fatal(err)
	}
	streamed := filepath.Join(dir, "streamed.npz")
	w, err := CreateNPZ(streamed)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.BeginFloat64s("phi", []int{5, 3, 2}); err != nil {
		t.Fatal(err)
	}
	phi := seqFloats(30)
	for _, piece := range [][2]int{{0, 7}, {7, 7}, {7, 20}, {20, 30}} {
		if err := w.WriteFloat64s(phi[piece[0]:piece[1]]); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range arrays[1:] {
		if err := w.Add(a); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close("normflow.field_kind=scalar"); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(whole)
	b, _ := os.ReadFile(streamed)
	if !bytes.Equal(a, b) {
		t.Errorf("the streamed archive differs from WriteNPZComment's")
	}

	bad := filepath.Join(dir, "bad.npz")
	for _, c := range []struct {
		name string
		run  func(w *NPZWriter) error
		want string
	}{
		{"short", func(w *NPZWriter) error {
			w.BeginFloat64s("phi", []int{2, 2})
			w.WriteFloat64s(seqFloats(3))
			return w.Close("")
		}, `"phi": 1 values missing`},
		{"short before the next array", func(w *NPZWriter) error {
			w.BeginFloat64s("phi", []int{2, 2})
			return w.Add(arrays[1])
		}, `"phi": 4 values missing`},
		{"long", func(w *NPZWriter) error {
			w.BeginFloat64s("phi", []int{2})
			return w.WriteFloat64s(seqFloats(3))
		}, "1 values more"},
		{"duplicate", func(w *NPZWriter) error {
			w.Add(arrays[1])
			return w.Add(arrays[1])
		}, "duplicate array name"},
	} {
		w, err := CreateNPZ(bad)
		if err != nil {
			t.Fatal(err)
		}
		err = c.run(w)
		w.Abort()
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), bad) {
			t.Errorf("%s: %v, want an error naming %s and %q", c.name, err, bad, c.want)
		}
		if _, err := os.Stat(bad); err == nil {
			t.Errorf("%s: %s written", c.name, bad)
		}
	}
	noTempFiles(t, dir)
}

func TestFreeBytes(t *testing.T) {
	free, err := FreeBytes(t.TempDir())
	if err != nil {
		t.Skip(err)
	}
	if free == 0 {
		t.Errorf("FreeBytes = 0 on the test's temporary directory")
	}
	if _, err := FreeBytes(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Errorf("FreeBytes of a missing directory: no error")
	}
}
