//go:build !amd64 || purego

package flow

// Without the amd64 kernels every row of the FFT runs the portable Go loops.

// fftVecLen is the number of leading values of a row of n that the SIMD
// kernels take: none here.
func fftVecLen(n int) int { return 0 }

// fftSIMDLevels lists the FFT kernel sets this build runs: only "none".
func fftSIMDLevels() []string { return []string{"none"} }

// setFFTSIMD selects the FFT kernels (tests compare the sets); only "none"
// exists here.
func setFFTSIMD(level string) bool { return level == "none" }

func fftDIF4(x *complex128, rs, n int, w *float64) { panic("flow: no FFT SIMD kernels") }
func fftDIT4(x *complex128, rs, n int, w *float64) { panic("flow: no FFT SIMD kernels") }
func fftDIF2(x *complex128, rs, n int, w *float64) { panic("flow: no FFT SIMD kernels") }
func fftDIT2(x *complex128, rs, n int, w *float64) { panic("flow: no FFT SIMD kernels") }
func fftMulAcc(acc *complex128, ka, kb *float64, z *complex128, n int) {
	panic("flow: no FFT SIMD kernels")
}
