//go:build !amd64 || purego

package action

// Without SIMD kernels (another architecture, or the purego build tag) the
// φ⁴ force runs its Go loops alone.

func gradLevels() []string { return []string{"none"} }

func setGradSIMD(level string) bool { return level == "none" }

func grad2SIMD(g, f []float64, l1 int, a2, a4, w0 float64) bool { return false }
