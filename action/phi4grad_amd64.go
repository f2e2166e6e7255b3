//go:build amd64 && !purego

package action

import "github.com/normflow/normflow-go/internal/cpufeat"

// The SIMD kernels of the 2-d φ⁴ force (phi4grad_amd64.s). Each computes
//
//	dst[k] = a2 p + a4 p³ − w0 (fu[k] + fd[k]) − w0 (f[k+1] + f[k−1]),  p = f[k],
//
// for k = 0 … n−1 of one row of the lattice (the fast axis 1), with fu and
// fd the rows x+0̂ and x−0̂ and f[−1], f[n] the row's own neighbours: the
// caller passes pointers to element 1 of a row of length n+2, so the kernel
// covers the sites that do not wrap around the row end. It runs blocks of 8
// (Z, AVX-512F) or 4 (Y, AVX2) sites from k = 0 and a last block ending at
// k = n, which may overlap the one before; the overlapped sites are written
// twice with the same value (dst must not alias f, fu or fd). n must be at
// least the block length.
//
//go:noescape
func phi4GradRowZ(dst, f, fu, fd *float64, n int, a2, a4, w0 float64)

//go:noescape
func phi4GradRowY(dst, f, fu, fd *float64, n int, a2, a4, w0 float64)

// gradLevel is the kernel set in use: "avx512", "avx2" or "none".
var gradLevel string

// gradLevels lists the kernel sets this CPU runs, best first, then "none"
// (the portable Go code).
func gradLevels() []string {
	var l []string
	if cpufeat.AVX512() {
		l = append(l, "avx512")
	}
	if cpufeat.AVX2() {
		l = append(l, "avx2")
	}
	return append(l, "none")
}

// setGradSIMD switches the kernels to a set of gradLevels (tests and
// benchmarks compare them) and reports whether the CPU runs it. It must not
// run concurrently with Grad.
func setGradSIMD(level string) bool {
	for _, l := range gradLevels() {
		if l == level {
			gradLevel = level
			return true
		}
	}
	return false
}

func init() { setGradSIMD(gradLevels()[0]) }

// gradSIMD reports whether a kernel set is in use.
func gradSIMD() bool { return gradLevel != "none" }

// gradRow2 writes the force of the interior sites j = 1 … len(f)−2 of one
// row of a 2-d lattice (f, fu, fd: the row and the rows above and below,
// all of the same length; g: the row of the force) with a kernel, and
// reports whether it did. Rows too short for a block (fewer than 4 interior
// sites; fewer than 8 take the AVX2 kernel under AVX-512) are left to the
// caller.
func gradRow2(g, f, fu, fd []float64, a2, a4, w0 float64) bool {
	n := len(f) - 2
	if n < 4 || gradLevel == "none" {
		return false
	}
	g, fu, fd = g[:n+2], fu[:n+2], fd[:n+2]
	if gradLevel == "avx512" && n >= 8 {
		phi4GradRowZ(&g[1], &f[1], &fu[1], &fd[1], n, a2, a4, w0)
	} else {
		phi4GradRowY(&g[1], &f[1], &fu[1], &fd[1], n, a2, a4, w0)
	}
	return true
}
