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

// fftMulAcc is acc[k] += complex(ka[k], −kb[k])·z[k] for k < n (a multiple
// of the lane count), bit-identical to the Go loop of cnfFFT.apply.
func fftMulAcc(acc *complex128, ka, kb *float64, z *complex128, n int) {
	if fftLanes == 4 {
		mulAccZ(acc, ka, kb, z, n)
	} else {
		mulAccY(acc, ka, kb, z, n)
	}
}

// fftLanes is the complex128 count per register of the selected kernels: 4
// (AVX-512), 2 (AVX2) or 0 (portable Go).
var fftLanes int

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
	fftLanes = map[string]int{"avx512": 4, "avx2": 2, "none": 0}[level]
	return true
}

func init() { setFFTSIMD(fftSIMDLevels()[0]) }

// fftVecLen is the number of leading values of a row of n that the SIMD
// kernels take: n rounded down to a multiple of the lane count.
func fftVecLen(n int) int { return n &^ (fftLanes - 1) }

func fftDIF4(x *complex128, rs, n int, w *float64) {
	if fftLanes == 4 {
		dif4Z(x, rs, n, w)
	} else {
		dif4Y(x, rs, n, w)
	}
}

func fftDIT4(x *complex128, rs, n int, w *float64) {
	if fftLanes == 4 {
		dit4Z(x, rs, n, w)
	} else {
		dit4Y(x, rs, n, w)
	}
}

func fftDIF2(x *complex128, rs, n int, w *float64) {
	if fftLanes == 4 {
		dif2Z(x, rs, n, w)
	} else {
		dif2Y(x, rs, n, w)
	}
}

func fftDIT2(x *complex128, rs, n int, w *float64) {
	if fftLanes == 4 {
		dit2Z(x, rs, n, w)
	} else {
		dit2Y(x, rs, n, w)
	}
}
