//go:build amd64 && !purego

package action

import "github.com/normflow/normflow-go/internal/cpufeat"

// The SIMD kernels of the 2-d φ⁴ force (phi4grad_amd64.s). Each writes
//
//	dst[x] = a2 p + a4 p³ − w0 (f[x+0̂] + f[x−0̂]) − w0 (f[x+1̂] + f[x−1̂]),  p = f[x],
//
// for every site x of one configuration f of an l0 × l1 lattice (row-major,
// axis 1 fastest), row by row: the sites j = 1 … l1−2 of a row, whose
// neighbours x±1̂ are j±1 of the same row and x±0̂ the same columns of the
// rows above and below (wrapped at the first and last rows), in vectors of
// 8 (Z, AVX-512F) or 4 (Y, AVX2) sites, the last vector ending at j = l1−2
// and so possibly overlapping the one before (those sites are written twice
// with the same value; dst must not alias f); then the two end sites j = 0
// and j = l1−1, whose x±1̂ wrap around the row, one at a time. The interior
// must hold at least one vector: l1 − 2 ≥ 8 (Z) or 4 (Y).
//
//go:noescape
func phi4Grad2Z(dst, f *float64, l0, l1 int, a2, a4, w0 float64)

//go:noescape
func phi4Grad2Y(dst, f *float64, l0, l1 int, a2, a4, w0 float64)

// gradLevel is the kernel set in use: "avx512", "avx2" or "none".
var gradLevel string

// gradLevels lists the kernel sets this CPU runs, best first, then "none"
// (the portable Go code).
func gradLevels() []string { return cpufeat.Levels() }

// setGradSIMD switches the kernels to a set of gradLevels (tests and
// benchmarks compare them) and reports whether the CPU runs it. It must not
// run concurrently with Grad.
func setGradSIMD(level string) bool {
	if !cpufeat.Runs(level) {
		return false
	}
	gradLevel = level
	return true
}

func init() { setGradSIMD(gradLevels()[0]) }

// grad2SIMD writes the force of one configuration f of a 2-d lattice with
// rows of l1 sites into g with a kernel, and reports whether it did. Rows
// with fewer than 4 interior sites are left to the Go loop; under AVX-512,
// rows with 4 … 7 interior sites take the AVX2 kernel.
func grad2SIMD(g, f []float64, l1 int, a2, a4, w0 float64) bool {
	n := l1 - 2
	if n < 4 || gradLevel == "none" || len(f) == 0 {
		return false
	}
	g = g[:len(f)]
	if gradLevel == "avx512" && n >= 8 {
		phi4Grad2Z(&g[0], &f[0], len(f)/l1, l1, a2, a4, w0)
	} else {
		phi4Grad2Y(&g[0], &f[0], len(f)/l1, l1, a2, a4, w0)
	}
	return true
}
