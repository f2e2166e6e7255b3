package store

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npz"
)

func sampleArrays() []Array {
	return []Array{
		{Name: "phi", Shape: []int{2, 3, 4}, Data: seqFloats(24)},
		{Name: "action", Shape: []int{5}, Data: []float32{1.5, -2, 3, 0, float32(math.Inf(-1))}},
		{Name: "beta", Shape: []int{}, Data: []float64{0.5}},
		{Name: "n_accept", Shape: []int{}, Data: []int64{-42}},
		{Name: "sites", Shape: []int{2, 2}, Data: []int32{1, 2, 3, 1 << 30}},
		{Name: "bytes", Shape: []int{3}, Data: []uint8{0, 7, 255}},
		{Name: "accepted", Shape: []int{4}, Data: []bool{true, false, false, true}},
		{Name: "none", Shape: []int{0}, Data: []float64{}},
		{Name: "run1/phi", Shape: []int{1, 2}, Data: []float64{math.NaN(), math.Copysign(0, -1)}},
	}
}

func seqFloats(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i)*0.25 - 3
	}
	return out
}

func sameArray(t *testing.T, got, want Array) {
	t.Helper()
	if got.Name != want.Name || !sameInts(got.Shape, want.Shape) {
		t.Fatalf("array %q: got name %q shape %v, want shape %v", want.Name, got.Name, got.Shape, want.Shape)
	}
	if w, ok := want.Data.([]float64); ok {
		g, ok := got.Data.([]float64)
		if !ok || !sameFloats(g, w) {
			t.Fatalf("array %q: got %#v, want %#v", want.Name, got.Data, want.Data)
		}
		return
	}
	if !reflect.DeepEqual(got.Data, want.Data) {
		t.Fatalf("array %q: got %#v, want %#v", want.Name, got.Data, want.Data)
	}
}

func TestNPZRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ensemble.npz")
	if err := WriteNPZ(p, sampleArrays()); err != nil {
		t.Fatal(err)
	}
	got, err := ReadNPZ(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(sampleArrays()) {
		t.Fatalf("read %d arrays, want %d", len(got), len(sampleArrays()))
	}
	for _, w := range sampleArrays() {
		sameArray(t, got[w.Name], w)
	}
}

func TestNPZIntWrittenAsInt64(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ints.npz")
	if err := WriteNPZ(p, []Array{{Name: "k", Shape: []int{3}, Data: []int{1, -2, 3}}}); err != nil {
		t.Fatal(err)
	}
	got, err := ReadNPZ(p)
	if err != nil {
		t.Fatal(err)
	}
	sameArray(t, got["k"], Array{Name: "k", Shape: []int{3}, Data: []int64{1, -2, 3}})
}

func TestNPZDeterministic(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.npz"), filepath.Join(dir, "b.npz")
	if err := WriteNPZ(a, sampleArrays()); err != nil {
		t.Fatal(err)
	}
	if err := WriteNPZ(b, sampleArrays()); err != nil {
		t.Fatal(err)
	}
	ba, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ba, bb) {
		t.Fatal("equal arrays gave different files")
	}
}

// The npyio library must read what we write.
func TestNPZCrossCheckNpyio(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.npz")
	arrays := []Array{
		{Name: "phi", Shape: []int{6}, Data: seqFloats(6)},
		{Name: "mat", Shape: []int{2, 3}, Data: seqFloats(6)},
		{Name: "f32", Shape: []int{2}, Data: []float32{1, 2}},
	}
	if err := WriteNPZ(p, arrays); err != nil {
		t.Fatal(err)
	}
	r, err := npz.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !reflect.DeepEqual(r.Keys(), []string{"phi.npy", "mat.npy", "f32.npy"}) {
		t.Fatalf("keys %v", r.Keys())
	}
	if h := r.Header("mat.npy"); h == nil || !reflect.DeepEqual(h.Descr.Shape, []int{2, 3}) || strings.Trim(h.Descr.Type, "'\"") != "<f8" || h.Descr.Fortran {
		t.Fatalf("npyio header for mat: %+v", h)
	}
	var phi []float64
	if err := r.Read("phi.npy", &phi); err != nil {
		t.Fatal(err)
	}
	if !sameFloats(phi, seqFloats(6)) {
		t.Fatalf("npyio read phi = %v", phi)
	}
	var f32 []float32
	if err := r.Read("f32.npy", &f32); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f32, []float32{1, 2}) {
		t.Fatalf("npyio read f32 = %v", f32)
	}
}

func TestNPYRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, a := range sampleArrays() {
		if a.Name == "run1/phi" {
			continue
		}
		p := filepath.Join(dir, a.Name+".npy")
		if err := WriteNPY(p, a); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		hlen := int(binary.LittleEndian.Uint16(b[8:10]))
		if (10+hlen)%64 != 0 || b[10+hlen-1] != '\n' {
			t.Errorf("%s: data starts at %d, not 64-aligned after a newline", a.Name, 10+hlen)
		}
		got, err := ReadNPY(p)
		if err != nil {
			t.Fatal(err)
		}
		sameArray(t, got, a)
	}
}

func TestWriteNPZRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	p := writeRaw(t, dir, "keep.npz", []byte("previous ensemble"))
	cases := map[string][]Array{
		"shape mismatch": {{Name: "a", Shape: []int{2}, Data: []float64{1}}},
		"unsupported":    {{Name: "a", Shape: []int{1}, Data: []string{"x"}}},
		"nil data":       {{Name: "a", Shape: []int{}, Data: nil}},
		"duplicate":      {{Name: "a", Shape: []int{1}, Data: []float64{1}}, {Name: "a", Shape: []int{1}, Data: []float64{1}}},
		"empty name":     {{Name: "", Shape: []int{1}, Data: []float64{1}}},
		"absolute name":  {{Name: "/etc/a", Shape: []int{1}, Data: []float64{1}}},
		"dotdot name":    {{Name: "../a", Shape: []int{1}, Data: []float64{1}}},
	}
	for name, arrays := range cases {
		if err := WriteNPZ(p, arrays); err == nil {
			t.Errorf("%s: want error", name)
		}
	}
	if got, _ := os.ReadFile(p); string(got) != "previous ensemble" {
		t.Fatalf("target changed to %q", got)
	}
	noTempFiles(t, dir)
}

// npyBytes builds a .npy image from a header dict and raw data.
func npyBytes(dict string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	_ = binary.Write(&b, binary.LittleEndian, uint16(len(dict)+1))
	b.WriteString(dict)
	b.WriteByte('\n')
	b.Write(data)
	return b.Bytes()
}

func float64Bytes(bo binary.AppendByteOrder, v ...float64) []byte {
	var out []byte
	for _, x := range v {
		out = bo.AppendUint64(out, math.Float64bits(x))
	}
	return out
}

func TestReadNPYVariants(t *testing.T) {
	dir := t.TempDir()
	// Fortran order: the 2x3 matrix [[1 2 3] [4 5 6]] stored column-major.
	p := writeRaw(t, dir, "fortran.npy", npyBytes(
		`{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }`,
		float64Bytes(binary.LittleEndian, 1, 4, 2, 5, 3, 6)))
	a, err := ReadNPY(p)
	if err != nil {
		t.Fatal(err)
	}
	sameArray(t, a, Array{Name: "fortran", Shape: []int{2, 3}, Data: []float64{1, 2, 3, 4, 5, 6}})

	// Fortran order, 3-d: element (i,j,k) at i + 2j + 4k.
	var raw []float64
	for f := range 8 {
		i, j, k := f%2, (f/2)%2, f/4
		raw = append(raw, float64(100*i+10*j+k))
	}
	p = writeRaw(t, dir, "f3.npy", npyBytes(`{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2, 2), }`, float64Bytes(binary.LittleEndian, raw...)))
	a, err = ReadNPY(p)
	if err != nil {
		t.Fatal(err)
	}
	sameArray(t, a, Array{Name: "f3", Shape: []int{2, 2, 2}, Data: []float64{0, 1, 10, 11, 100, 101, 110, 111}})

	// Big-endian, double-quoted keys, key order shuffled, no trailing comma.
	p = writeRaw(t, dir, "be.npy", npyBytes(
		`{"shape": (2,), "fortran_order": False, "descr": ">f8"}`,
		float64Bytes(binary.BigEndian, 1.5, -2.25)))
	a, err = ReadNPY(p)
	if err != nil {
		t.Fatal(err)
	}
	sameArray(t, a, Array{Name: "be", Shape: []int{2}, Data: []float64{1.5, -2.25}})

	// Version 2.0 header.
	dict := `{'descr': '<f4', 'fortran_order': False, 'shape': (), }` + "\n"
	v2 := []byte("\x93NUMPY\x02\x00")
	v2 = binary.LittleEndian.AppendUint32(v2, uint32(len(dict)))
	v2 = append(v2, dict...)
	v2 = binary.LittleEndian.AppendUint32(v2, math.Float32bits(3.25))
	p = writeRaw(t, dir, "v2.npy", v2)
	a, err = ReadNPY(p)
	if err != nil {
		t.Fatal(err)
	}
	sameArray(t, a, Array{Name: "v2", Shape: []int{}, Data: []float32{3.25}})
	if f, err := a.Float64s(); err != nil || f[0] != 3.25 {
		t.Fatalf("Float64s = %v, %v", f, err)
	}
}

func TestReadNPYRejects(t *testing.T) {
	dir := t.TempDir()
	good := `{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }`
	two := float64Bytes(binary.LittleEndian, 1, 2)
	hugeLen := append([]byte("\x93NUMPY\x01\x00\xff\xff"), good...)
	hugeLen2 := append([]byte("\x93NUMPY\x02\x00\xff\xff\xff\xff"), good...)
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "magic"},
		{"bad magic", append([]byte("\x93NUMPX"), npyBytes(good, two)[6:]...), "magic"},
		{"bad version", append([]byte("\x93NUMPY\x04\x00"), npyBytes(good, two)[8:]...), "version"},
		{"bad minor", append([]byte("\x93NUMPY\x01\x01"), npyBytes(good, two)[8:]...), "version"},
		{"header longer than file", hugeLen, "exceeds"},
		{"v2 header longer than file", hugeLen2, "exceeds"},
		{"too few data", npyBytes(good, two[:8]), "needs"},
		{"too much data", npyBytes(good, append(two, 0, 0, 0, 0, 0, 0, 0, 0)), "needs 16 data bytes"},
		{"unsupported dtype", npyBytes(`{'descr': '<c32', 'fortran_order': False, 'shape': (1,), }`, make([]byte, 32)), "unsupported dtype"},
		{"structured dtype", npyBytes(`{'descr': [('x', '<f8')], 'fortran_order': False, 'shape': (1,), }`, make([]byte, 8)), "structured"},
		{"object dtype", npyBytes(`{'descr': '|O', 'fortran_order': False, 'shape': (1,), }`, make([]byte, 8)), "unsupported dtype"},
		{"missing key", npyBytes(`{'descr': '<f8', 'shape': (2,), }`, two), "missing key"},
		{"extra key", npyBytes(`{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1}`, two), "unexpected key"},
		{"duplicate key", npyBytes(`{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2,), }`, two), "duplicate"},
		{"negative dim", npyBytes(`{'descr': '<f8', 'fortran_order': False, 'shape': (-2,), }`, two), "non-negative"},
		{"not a tuple", npyBytes(`{'descr': '<f8', 'fortran_order': False, 'shape': (2), }`, two), "trailing comma"},
		{"shape overflow", npyBytes(`{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904), }`, two), "needs more data"},
		{"dim too large", npyBytes(`{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }`, two), "out of range"},
		{"bad bool", npyBytes(`{'descr': '<f8', 'fortran_order': Maybe, 'shape': (2,), }`, two), "True or False"},
		{"unterminated", npyBytes(`{'descr': '<f8`, two), "unterminated"},
		{"garbage after dict", npyBytes(good+" xyz", two), "after the dict"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeRaw(t, dir, "bad.npy", c.file)
			_, err := ReadNPY(p)
			wantFormatError(t, err, p, c.want)
		})
	}
}

func TestReadNPYRejectsTruncatedAndFlipped(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.npy")
	if err := WriteNPY(p, Array{Shape: []int{2, 2}, Data: []float64{1, 2, 3, 4}}); err != nil {
		t.Fatal(err)
	}
	full, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	q := filepath.Join(dir, "b.npy")
	for size := range len(full) {
		if err := os.WriteFile(q, full[:size], 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadNPY(q)
		wantFormatError(t, err, q)
	}
	hdrEnd := 10 + int(binary.LittleEndian.Uint16(full[8:10]))
	for i := range hdrEnd {
		b := bytes.Clone(full)
		b[i] ^= 0xff
		if err := os.WriteFile(q, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadNPY(q); err == nil {
			t.Fatalf("flipping header byte %d went unnoticed", i)
		}
	}
}

// zipOf builds a zip archive with the given entries, in order.
func zipOf(t *testing.T, method uint16, entries ...[2]any) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e[0].(string), Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e[1].([]byte)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadNPZDeflated(t *testing.T) {
	good := npyBytes(`{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }`, float64Bytes(binary.LittleEndian, 1, 2, 3))
	p := writeRaw(t, t.TempDir(), "c.npz", zipOf(t, zip.Deflate, [2]any{"x.npy", good}))
	got, err := ReadNPZ(p)
	if err != nil {
		t.Fatal(err)
	}
	sameArray(t, got["x"], Array{Name: "x", Shape: []int{3}, Data: []float64{1, 2, 3}})
}

func TestReadNPZRejects(t *testing.T) {
	dir := t.TempDir()
	good := npyBytes(`{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }`, float64Bytes(binary.LittleEndian, 1, 2, 3))
	wrongShape := npyBytes(`{'descr': '<f8', 'fortran_order': False, 'shape': (10,), }`, float64Bytes(binary.LittleEndian, 1, 2, 3))
	cases := []struct {
		name  string
		file  []byte
		entry string
		want  string
	}{
		{"not a zip", []byte("this is not a zip archive at all"), "", "not a zip"},
		{"wrong array", zipOf(t, zip.Store, [2]any{"ok.npy", good}, [2]any{"phi.npy", wrongShape}), "phi", "needs more data"},
		{"not npy data", zipOf(t, zip.Store, [2]any{"phi.npy", []byte("hello")}), "phi", "magic"},
		{"not npy name", zipOf(t, zip.Store, [2]any{"notes.txt", good}), "notes.txt", "not a .npy"},
		{"duplicate", zipOf(t, zip.Store, [2]any{"a.npy", good}, [2]any{"a.npy", good}), "a", "duplicate"},
		{"wrong array deflated", zipOf(t, zip.Deflate, [2]any{"phi.npy", wrongShape}), "phi", "needs more data"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeRaw(t, dir, "bad.npz", c.file)
			_, err := ReadNPZ(p)
			wantFormatError(t, err, p, c.want)
			if err.(*FormatError).Entry != c.entry {
				t.Fatalf("error %v names entry %q, want %q", err, err.(*FormatError).Entry, c.entry)
			}
		})
	}
}

func TestReadNPZRejectsTruncated(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "e.npz")
	if err := WriteNPZ(p, sampleArrays()); err != nil {
		t.Fatal(err)
	}
	full, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	q := filepath.Join(dir, "t.npz")
	for _, size := range []int{0, 1, 4, 30, 100, len(full) / 2, len(full) - 22, len(full) - 1} {
		if err := os.WriteFile(q, full[:size], 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadNPZ(q)
		wantFormatError(t, err, q)
	}
}

func TestReadNPZCorruptedData(t *testing.T) {
	// A flipped byte inside an array's data fails the CRC check.
	dir := t.TempDir()
	p := filepath.Join(dir, "e.npz")
	if err := WriteNPZ(p, []Array{{Name: "phi", Shape: []int{16}, Data: seqFloats(16)}}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, float64Bytes(binary.LittleEndian, seqFloats(16)[5]))
	if i < 0 {
		t.Fatal("data not found in archive")
	}
	b[i] ^= 0x01
	q := writeRaw(t, dir, "flip.npz", b)
	_, err = ReadNPZ(q)
	wantFormatError(t, err, q, "phi")
}

// Random corruption must produce an error or a valid result, never a
// panic.
func TestReadNPZRandomCorruption(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "e.npz")
	if err := WriteNPZ(p, sampleArrays()); err != nil {
		t.Fatal(err)
	}
	full, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		b := bytes.Clone(full)
		for range 1 + rng.IntN(4) {
			b[rng.IntN(len(b))] = byte(rng.IntN(256))
		}
		if rng.IntN(4) == 0 {
			b = b[:rng.IntN(len(b))]
		}
		_, _ = decodeNPZ(bytes.NewReader(b), int64(len(b)), "corrupt")
	}
}

func FuzzDecodeNPY(f *testing.F) {
	var buf bytes.Buffer
	for _, a := range sampleArrays() {
		buf.Reset()
		if err := encodeNPY(&buf, a); err != nil {
			f.Fatal(err)
		}
		f.Add(bytes.Clone(buf.Bytes()))
	}
	f.Add(npyBytes(`{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }`, make([]byte, 48)))
	f.Add(npyBytes(`{'descr': '<c16', 'fortran_order': False, 'shape': (1, 2), }`, make([]byte, 32)))
	f.Add(npyBytes(`{'descr': '>c8', 'fortran_order': True, 'shape': (2, 2), }`, make([]byte, 32)))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := decodeNPY(b)
		if err != nil {
			return
		}
		if err := checkArray(a); err != nil {
			t.Fatalf("decoded array is inconsistent: %v", err)
		}
		var out bytes.Buffer
		if err := encodeNPY(&out, a); err != nil {
			t.Fatal(err)
		}
		back, err := decodeNPY(out.Bytes())
		if err != nil {
			t.Fatalf("re-encoded array does not decode: %v", err)
		}
		if fmt.Sprint(back.Shape) != fmt.Sprint(a.Shape) {
			t.Fatalf("shape %v became %v", a.Shape, back.Shape)
		}
	})
}

func FuzzDecodeNPZ(f *testing.F) {
	p := filepath.Join(f.TempDir(), "seed.npz")
	if err := WriteNPZ(p, sampleArrays()[:3]); err != nil {
		f.Fatal(err)
	}
	seed, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, b []byte) {
		arrays, err := decodeNPZ(bytes.NewReader(b), int64(len(b)), "fuzz")
		if err != nil {
			return
		}
		for name, a := range arrays {
			if err := checkArray(a); err != nil || a.Name != name {
				t.Fatalf("accepted array %q is inconsistent: %v", name, err)
			}
		}
	})
}

// WriteNPZComment stores the comment as the zip archive comment: the arrays
// read back as without it, and ReadNPZComment returns it.
func TestNPZComment(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "commented.npz")
	const comment = "normflow.field_kind=u1_links"
	if err := WriteNPZComment(p, sampleArrays(), comment); err != nil {
		t.Fatal(err)
	}
	got, err := ReadNPZ(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range sampleArrays() {
		sameArray(t, got[w.Name], w)
	}
	if c, err := ReadNPZComment(p); err != nil || c != comment {
		t.Errorf("ReadNPZComment = %q, %v; want %q", c, err, comment)
	}
	plain := filepath.Join(dir, "plain.npz")
	if err := WriteNPZ(plain, sampleArrays()); err != nil {
		t.Fatal(err)
	}
	if c, err := ReadNPZComment(plain); err != nil || c != "" {
		t.Errorf("ReadNPZComment of a file without a comment = %q, %v", c, err)
	}
	if _, err := ReadNPZComment(filepath.Join(dir, "missing.npz")); err == nil {
		t.Error("ReadNPZComment of a missing file: no error")
	}
	if err := WriteNPZComment(filepath.Join(dir, "long.npz"), sampleArrays(), strings.Repeat("x", 1<<16)); err == nil {
		t.Error("a comment of 65536 bytes was written")
	}
}
