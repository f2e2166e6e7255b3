//go:build !amd64 || purego

package flow

// Without SIMD kernels (another architecture, or the purego build tag)
// sincosScaled and sincosSumCos run sincosGo and sincosSumGo alone.

func sincosLevels() []string { return []string{"none"} }

func setSincosSIMD(level string) bool { return level == "none" }

func sincosSIMD() bool { return false }

func sincosBlocks(tab *[cnfTabN][2]float64, w float64, x, sn, cs []float64) int {
	panic("flow: no SIMD kernels")
}

func sincosSumBlocks(tab *[cnfTabN][2]float64, w float64, x, sn []float64, p *[8]float64) int {
	panic("flow: no SIMD kernels")
}
