//go:build !amd64 || purego

package nn

import "unsafe"

// Without SIMD kernels (another architecture, or the purego build tag)
// simd32 and simd64 stay nil and the seam runs the portable Go code; the
// kernel entry points below are never called.

func simdLevels() []string { return []string{"none"} }

func setSIMD(level string) bool { return level == "none" }

func callNN(kind, mr, ns, nv int, p *nnArgs) { panic("nn: no SIMD kernels") }

func callNT(kind, mr, nr int, shared bool, p *ntArgs) { panic("nn: no SIMD kernels") }

func vecTanh32(dst, src unsafe.Pointer, n int) { panic("nn: no SIMD kernels") }

func vecTanhVJP(sz int, dx, dy, y unsafe.Pointer, n int) { panic("nn: no SIMD kernels") }

func vecSum(sz int, p unsafe.Pointer, n int) float64 { panic("nn: no SIMD kernels") }
