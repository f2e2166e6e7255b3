//go:build !amd64 || purego

package mcmc

// Without SIMD kernels (another architecture, or the purego build tag) the
// kick and the drift run their Go loops alone.

func axpyLevels() []string { return []string{"none"} }

func setAxpySIMD(level string) bool { return level == "none" }

func kickBlocks(p, g []float64, c float64) int { return 0 }

func driftBlocks(phi, p []float64, c float64) int { return 0 }
