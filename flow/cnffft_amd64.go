//go:build amd64 && !purego

package flow

import "github.com/normflow/normflow-go/internal/cpufeat"

//go:generate go run gen_fft.go

// The FFT's row butterflies run in the kernels of cnffft_amd64.s (see
// gen_fft.go): AVX-512 F (4 complex128 per zmm) where cpufeat.AVX512 reports
// it, else AVX2-level ymm code (2 per ymm, plain AVX instructions) where
// cpufeat.AVX2 does, else the portable Go loops. All three give the same
// bits.

// Assembly kernels: x points at the first row, rs is the row stride in bytes,
// n the number of values per row (a multiple of the lane count), w the row's
// twiddles in the layout of cnfFFTStage.twv (nil: none, radix 4 only).

//go:noescape
func dif4Z(x *complex128, rs, n int, w *float64)

//go:noescape
func dit4Z(x *complex128, rs, n int, w *float64)

//go:noescape
func dif2Z(x *complex128, rs, n int, w *float64)

//go:noescape
func dit2Z(x *complex128, rs, n int, w *float64)

//go:noescape
func dif4Y(x *complex128, rs, n int, w *float64)

//go:noescape
func dit4Y(x *complex128, rs, n int, w *float64)

//go:noescape
func dif2Y(x *complex128, rs, n int, w *float64)

//go:noescape
func dit2Y(x *complex128, rs, n int, w *float64)

//go:noescape
func mulAccZ(acc *complex128, ka, kb *float64, z *complex128, n int)

//go:noescape
func mulAccY(acc *complex128, ka, kb *float64, z *complex128, n int)

// fftLanes is the complex128 count per register of the selected kernels: 4
// (AVX-512), 2 (AVX2) or 0 (portable Go). fftDIF4, fftDIT4, fftDIF2 and
// fftDIT2 are the selected row-butterfly kernels, and fftMulAcc is
// acc[k] += complex(ka[k], −kb[k])·z[k] for k < n (a multiple of the lane
// count), bit-identical to the Go loop of cnfMulAcc; none is called when
// fftLanes is 0.
var (
	fftLanes                           int
	fftDIF4, fftDIT4, fftDIF2, fftDIT2 func(x *complex128, rs, n int, w *float64)
	fftMulAcc                          func(acc *complex128, ka, kb *float64, z *complex128, n int)
)

// fftSIMDLevels lists the FFT kernel sets this CPU runs, best first, then
// "none" (the portable Go code).
func fftSIMDLevels() []string { return cpufeat.Levels() }

// setFFTSIMD selects the FFT kernels of one of fftSIMDLevels (tests and
// benchmarks compare them) and reports whether the CPU runs it. It must not
// run concurrently with a transform.
func setFFTSIMD(level string) bool {
	if !cpufeat.Runs(level) {
		return false
	}
	switch level {
	case "avx512":
		fftLanes = 4
		fftDIF4, fftDIT4, fftDIF2, fftDIT2, fftMulAcc = dif4Z, dit4Z, dif2Z, dit2Z, mulAccZ
	case "avx2":
		fftLanes = 2
		fftDIF4, fftDIT4, fftDIF2, fftDIT2, fftMulAcc = dif4Y, dit4Y, dif2Y, dit2Y, mulAccY
	default:
		fftLanes = 0
	}
	return true
}

func init() { setFFTSIMD(fftSIMDLevels()[0]) }

// fftVecLen is the number of leading values of a row of n that the SIMD
// kernels take: n rounded down to a multiple of the lane count.
func fftVecLen(n int) int { return n &^ (fftLanes - 1) }
