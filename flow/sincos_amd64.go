//go:build amd64 && !purego

package flow

import (
	"math"

	"github.com/normflow/normflow-go/internal/cpufeat"
)

// The SIMD kernels of sincosScaled and sincosSumCos (sincos_amd64.s). Each
// runs whole blocks of 8 elements of x (len(x) a multiple of 8) from the
// start and returns how many it did: all of them, or up to the first block
// holding an element with !(|w x| ≤ cnfSincosMax), which it leaves to the
// Go code. The Z kernels use AVX-512F instructions only (zmm registers, the
// opmask registers K1–K3, VGATHERQPD, VPANDQ, VPSLLQ, KORTESTW, KXNORW); the
// Y kernels use AVX and AVX2 (VGATHERQPD, VPSLLQ, VPCMPEQQ on ymm).
//
//go:noescape
func sincosZ(tab *[cnfTabN][2]float64, w float64, x, sn, cs []float64) int

//go:noescape
func sincosY(tab *[cnfTabN][2]float64, w float64, x, sn, cs []float64) int

// The sum kernels add cos(w x[i]) to lane i mod 8 of the partial sums p,
// which they load first and store back at the end.
//
//go:noescape
func sincosSumZ(tab *[cnfTabN][2]float64, w float64, x, sn []float64, p *[8]float64) int

//go:noescape
func sincosSumY(tab *[cnfTabN][2]float64, w float64, x, sn []float64, p *[8]float64) int

// sincosConsts are the kernels' constants, each in 4 lanes (one ymm operand;
// the AVX-512 kernels broadcast lane 0), in the order of the offsets the
// assembly reads them at (32 bytes apart, see sincos_amd64.s). They are the
// same Go constants sincosGo uses, converted to float64 once here.
var sincosConsts = func() (c [13][4]uint64) {
	vals := [...]uint64{
		1<<63 - 1, // |y| mask
		math.Float64bits(cnfSincosMax),
		math.Float64bits(cnfTabScale),
		math.Float64bits(cnfRnd),
		math.Float64bits(cnfTabA),
		math.Float64bits(cnfTabB),
		math.Float64bits(cnfTabC),
		math.Float64bits(cnfS3),
		math.Float64bits(cnfS5),
		math.Float64bits(cnfC4),
		math.Float64bits(cnfC6),
		math.Float64bits(-0.5),
		cnfTabN - 1, // index mask
	}
	for i, v := range vals {
		c[i] = [4]uint64{v, v, v, v}
	}
	return c
}()

// sincosLevel is the kernel set in use: "avx512", "avx2" or "none".
var sincosLevel string

// sincosLevels lists the kernel sets this CPU runs, best first, then "none"
// (the portable Go code).
func sincosLevels() []string { return cpufeat.Levels() }

// setSincosSIMD switches the kernels to a set of sincosLevels (tests and
// benchmarks compare them) and reports whether the CPU runs it. It must not
// run concurrently with sincosScaled or sincosSumCos.
func setSincosSIMD(level string) bool {
	if !cpufeat.Runs(level) {
		return false
	}
	sincosLevel = level
	return true
}

func init() { setSincosSIMD(sincosLevels()[0]) }

// sincosSIMD reports whether a kernel set is in use.
func sincosSIMD() bool { return sincosLevel != "none" }

// sincosBlocks runs sincosZ or sincosY.
func sincosBlocks(tab *[cnfTabN][2]float64, w float64, x, sn, cs []float64) int {
	if sincosLevel == "avx512" {
		return sincosZ(tab, w, x, sn, cs)
	}
	return sincosY(tab, w, x, sn, cs)
}

// sincosSumBlocks runs sincosSumZ or sincosSumY.
func sincosSumBlocks(tab *[cnfTabN][2]float64, w float64, x, sn []float64, p *[8]float64) int {
	if sincosLevel == "avx512" {
		return sincosSumZ(tab, w, x, sn, p)
	}
	return sincosSumY(tab, w, x, sn, p)
}
