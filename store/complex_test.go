package store

import (
	"bytes"
	"math"
	"math/cmplx"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// complexSample is a [2, 2, 3] complex array whose values name their
// position, with a NaN, an infinity and a negative zero among them.
func complexSample() (shape []int, pairs []float64) {
	shape = []int{2, 2, 3}
	pairs = make([]float64, 2*12)
	for k := range 12 {
		pairs[2*k], pairs[2*k+1] = float64(k)+0.25, -float64(k)/8
	}
	pairs[3] = math.Copysign(0, -1)
	pairs[20], pairs[23] = math.NaN(), math.Inf(-1)
	return shape, pairs
}

// The views share memory and follow the complex128 layout: real part
// first.
func TestComplexViews(t *testing.T) {
	_, pairs := complexSample()
	c := Complex128s(pairs)
	if len(c) != 12 || real(c[5]) != pairs[10] || imag(c[5]) != pairs[11] {
		t.Fatalf("Complex128s: c[5] = %v, pairs %v %v", c[5], pairs[10], pairs[11])
	}
	c[1] = complex(7, -9)
	if pairs[2] != 7 || pairs[3] != -9 {
		t.Fatalf("Complex128s copied: pairs[2:4] = %v after writing c[1]", pairs[2:4])
	}
	back := ComplexPairs(c)
	if &back[0] != &pairs[0] || len(back) != len(pairs) {
		t.Fatal("ComplexPairs(Complex128s(p)) is not p")
	}
	if len(ComplexPairs(nil)) != 0 || len(Complex128s(nil)) != 0 {
		t.Fatal("empty views are not empty")
	}
	defer func() {
		if recover() == nil {
			t.Error("Complex128s of 3 values did not panic")
		}
	}()
	Complex128s(make([]float64, 3))
}

// A complex array written whole, streamed as pairs, or as .npy reads back
// bit for bit, and the streamed entry is byte-identical to the whole one.
func TestComplexNPYRoundTrip(t *testing.T) {
	dir := t.TempDir()
	shape, pairs := complexSample()
	a := Array{Name: "U", Shape: shape, Data: Complex128s(pairs)}
	whole := filepath.Join(dir, "whole.npz")
	if err := WriteNPZComment(whole, []Array{a, {Name: "logq", Shape: []int{2}, Data: []float64{1, 2}}}, "c"); err != nil {
		t.Fatal(err)
	}
	streamed := filepath.Join(dir, "streamed.npz")
	w, err := CreateNPZ(streamed)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.BeginComplex128s("U", shape); err != nil {
		t.Fatal(err)
	}
	for _, piece := range [][]float64{pairs[:5], pairs[5:18], pairs[18:]} {
		if err := w.WriteFloat64s(piece); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Add(Array{Name: "logq", Shape: []int{2}, Data: []float64{1, 2}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close("c"); err != nil {
		t.Fatal(err)
	}
	b1, _ := os.ReadFile(whole)
	b2, _ := os.ReadFile(streamed)
	if !bytes.Equal(b1, b2) {
		t.Fatal("streamed complex entry differs from the whole one")
	}
	got, err := ReadNPZ(whole)
	if err != nil {
		t.Fatal(err)
	}
	gp, err := got["U"].ComplexPairs()
	if err != nil || !slices.Equal(got["U"].Shape, shape) || !sameFloats(gp, pairs) {
		t.Fatalf("ReadNPZ: U %v %v, err %v", got["U"].Shape, gp, err)
	}
	if _, err := got["U"].Float64s(); err == nil || !strings.Contains(err.Error(), "complex") {
		t.Errorf("Float64s of a complex array: %v", err)
	}
	if _, err := got["logq"].ComplexPairs(); err == nil || !strings.Contains(err.Error(), "float64 (<f8)") {
		t.Errorf("ComplexPairs of a real array: %v", err)
	}

	r, err := OpenNPZ(whole)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s, err := r.Stream("U")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.Complex || s.Descr != "<c16" || !slices.Equal(s.Shape, shape) || s.Remaining() != int64(len(pairs)) {
		t.Fatalf("stream: complex %v descr %s shape %v remaining %d", s.Complex, s.Descr, s.Shape, s.Remaining())
	}
	read := make([]float64, len(pairs))
	if err := s.ReadFloat64s(read[:7]); err != nil {
		t.Fatal(err)
	}
	if err := s.ReadFloat64s(read[7:]); err != nil {
		t.Fatal(err)
	}
	if !sameFloats(read, pairs) {
		t.Fatalf("streamed pairs %v, want %v", read, pairs)
	}

	npy := filepath.Join(dir, "U.npy")
	if err := WriteNPY(npy, a); err != nil {
		t.Fatal(err)
	}
	one, err := ReadNPY(npy)
	if err != nil {
		t.Fatal(err)
	}
	op, _ := one.ComplexPairs()
	if !sameFloats(op, pairs) {
		t.Fatal("ReadNPY: values differ")
	}
}

// Big-endian and single-precision complex arrays, and Fortran order, are
// read (as numpy writes them); c16 with '|' and other sizes are refused.
func TestComplexDescr(t *testing.T) {
	for _, c := range []struct {
		descr string
		ok    bool
	}{{"<c16", true}, {">c16", true}, {"=c16", true}, {"<c8", true}, {"|c16", false}, {"<c4", false}, {"<c32", false}, {"<c+8", false}, {"<f16", false}} {
		_, _, err := parseDescr(c.descr)
		if (err == nil) != c.ok {
			t.Errorf("parseDescr(%q): %v", c.descr, err)
		}
	}
	// [2, 2] complex64 big-endian, Fortran order: element (i, j) = i + 10j + i·1i.
	var data []byte
	for j := range 2 {
		for i := range 2 {
			for _, v := range []float32{float32(i + 10*j), float32(i)} {
				b := math.Float32bits(v)
				data = append(data, byte(b>>24), byte(b>>16), byte(b>>8), byte(b))
			}
		}
	}
	img := append(npyHeader(">c8", []int{2, 2}), data...)
	img = bytes.Replace(img, []byte("'fortran_order': False"), []byte("'fortran_order': True "), 1)
	a, err := decodeNPY(img)
	if err != nil {
		t.Fatal(err)
	}
	want := []complex128{0, 10, 1 + 1i, 11 + 1i}
	if !slices.Equal(a.Data.([]complex128), want) {
		t.Fatalf("decoded %v, want %v", a.Data, want)
	}
	p := filepath.Join(t.TempDir(), "f.npy")
	if err := os.WriteFile(p, img, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := OpenNPY(p)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := make([]float64, 8)
	if err := s.ReadFloat64s(got); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(Complex128s(got), want) || cmplx.IsNaN(Complex128s(got)[0]) {
		t.Fatalf("streamed %v, want %v", got, want)
	}
}
