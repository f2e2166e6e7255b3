//go:build amd64 && !purego

package mcmc

import "github.com/normflow/normflow-go/internal/cpufeat"

// The SIMD kernels of the flat leapfrog's kick and drift (axpy_amd64.s):
//
//	kickZ/kickY:   x[i] = x[i] − c·y[i]   (x = p, y = the force),
//	driftZ/driftY: x[i] = x[i] + c·y[i]   (x = φ, y = p),
//
// for i = 0 … n−1, n = len(x) rounded down to a multiple of 8 (Z,
// AVX-512F) or 4 (Y, AVX2); they return n and leave the rest to the Go
// loop. y must be at least as long as x.
//
//go:noescape
func kickZ(x, y []float64, c float64) int

//go:noescape
func kickY(x, y []float64, c float64) int

//go:noescape
func driftZ(x, y []float64, c float64) int

//go:noescape
func driftY(x, y []float64, c float64) int

// axpyLevel is the kernel set in use: "avx512", "avx2" or "none".
var axpyLevel string

// axpyLevels lists the kernel sets this CPU runs, best first, then "none"
// (the portable Go code).
func axpyLevels() []string { return cpufeat.Levels() }

// setAxpySIMD switches the kernels to a set of axpyLevels (tests and
// benchmarks compare them) and reports whether the CPU runs it. It must not
// run concurrently with a trajectory.
func setAxpySIMD(level string) bool {
	if !cpufeat.Runs(level) {
		return false
	}
	axpyLevel = level
	return true
}

func init() { setAxpySIMD(axpyLevels()[0]) }

// kickBlocks runs kickZ or kickY, or nothing, and returns the elements done.
func kickBlocks(p, g []float64, c float64) int {
	switch axpyLevel {
	case "avx512":
		return kickZ(p, g, c)
	case "avx2":
		return kickY(p, g, c)
	}
	return 0
}

// driftBlocks runs driftZ or driftY, or nothing, and returns the elements
// done.
func driftBlocks(phi, p []float64, c float64) int {
	switch axpyLevel {
	case "avx512":
		return driftZ(phi, p, c)
	case "avx2":
		return driftY(phi, p, c)
	}
	return 0
}
