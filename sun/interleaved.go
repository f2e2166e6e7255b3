package sun

import (
	"fmt"
	"unsafe"
)

// Fields handed between packages are flat []float64 holding complex numbers
// as (real, imaginary) pairs, [sites…, N, N, 2] (docs/sun.md §2): byte for
// byte the complex128 array, so NumPy reads it as such. The two functions
// here copy one matrix between that layout and a []complex128.

// FromInterleaved sets m (N² entries) from x (2N² numbers: Re m_0, Im m_0,
// Re m_1, …).
func FromInterleaved(m []complex128, x []float64) {
	if len(x) != 2*len(m) {
		panic(fmt.Sprintf("sun: FromInterleaved: %d numbers for %d complex entries", len(x), len(m)))
	}
	for i := range m {
		m[i] = complex(x[2*i], x[2*i+1])
	}
}

// ToInterleaved writes m (N² entries) into x (2N² numbers) as (re, im)
// pairs.
func ToInterleaved(x []float64, m []complex128) {
	if len(x) != 2*len(m) {
		panic(fmt.Sprintf("sun: ToInterleaved: %d numbers for %d complex entries", len(x), len(m)))
	}
	for i, z := range m {
		x[2*i], x[2*i+1] = real(z), imag(z)
	}
}

// Complex returns the complex128 view of a field of SU(N) matrices
// ([sites…, N, N]) or links ([d, sites…, N, N]) stored as interleaved
// (re, im) float64 pairs (docs/sun.md §2), without
// copying: writes through either slice are seen by the other. f must have
// an even length.
func Complex(f []float64) []complex128 {
	if len(f)%2 != 0 {
		panic(fmt.Sprintf("sun: Complex of %d float64 values: need (re, im) pairs", len(f)))
	}
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*complex128)(unsafe.Pointer(&f[0])), len(f)/2)
}
