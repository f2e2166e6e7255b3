package nn

import (
	"math"
	"unsafe"
)

// Float32 tanh, the activation of most conditioner nets. math.Tanh in
// float64 costs more than the convolutions around it; this one is vectorised
// (kernels_amd64.s) and accurate to 2 ulps (TestTanh32):
//
//	|x| < 0.625:  tanh |x| = |x| + |x|·s·P(s), s = x² (the polynomial of Cephes' tanhf),
//	otherwise:    tanh |x| = 1 − 2/(e^{2|x|} + 1),
//
// then the sign of x (so tanh −0 = −0), with |x| clamped to 9.1, beyond which tanh rounds to ±1, and e^y = 2ⁿ·e^r,
// n = round(y/ln 2), r = y − n·ln 2 (ln 2 in two parts), e^r by Cephes' expf
// polynomial. NaN gives NaN.

// The constants of tanh32; the kernels hold the same values.
const (
	tanhThreshold = 0.625
	tanhClamp     = 9.1
	tanhLog2e     = 1.44269504088896341
	tanhLn2Hi     = 0.693359375
	tanhLn2Lo     = -2.12194440e-4
)

// tanh32 is the portable version of the kernel (without fused multiply-adds).
func tanh32(x float32) float32 {
	bits := math.Float32bits(x)
	sign := bits & (1 << 31)
	ax := math.Float32frombits(bits &^ sign)
	if ax < tanhThreshold {
		s := ax * ax
		p := float32(-5.70498872745e-3)*s + 2.06390887954e-2
		p = p*s - 5.37397155531e-2
		p = p*s + 1.33314422036e-1
		p = p*s - 3.33332819422e-1
		// on |x|, then the sign: −0 stays −0
		return math.Float32frombits(math.Float32bits(p*(ax*s)+ax) | sign)
	}
	y := 2 * min(ax, tanhClamp) // NaN stays NaN
	n := int32(y*tanhLog2e + 0.5)
	nf := float32(n)
	r := y - nf*tanhLn2Hi
	r -= nf * tanhLn2Lo
	p := float32(1.9875691500e-4)*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	e := (p*(r*r) + r + 1) * math.Float32frombits(uint32(n+127)<<23)
	return math.Float32frombits(math.Float32bits(1-2/(e+1)) | sign)
}

// tanhSlice32 writes y[i] = tanh(x[i]) (y may be x, but not overlap it
// otherwise).
func tanhSlice32(x, y []float32) {
	y = y[:len(x)]
	ks := simd32
	if ks == nil {
		for i, v := range x {
			y[i] = tanh32(v)
		}
		return
	}
	n := len(x) / ks.lanes * ks.lanes
	if n > 0 {
		vecTanh32(unsafe.Pointer(&y[0]), unsafe.Pointer(&x[0]), n)
	}
	if n < len(x) { // the tail through one padded vector
		var buf [16]float32
		copy(buf[:], x[n:])
		vecTanh32(unsafe.Pointer(&buf[0]), unsafe.Pointer(&buf[0]), ks.lanes)
		copy(y[n:], buf[:])
	}
}

// asFloat32 reinterprets s as []float32 when T is 32 bits wide.
func asFloat32[T Float](s []T) ([]float32, bool) {
	var z T
	if unsafe.Sizeof(z) != 4 {
		return nil, false
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s)), true
}

// tanhVJP writes dx = dy·(1 − y²), the VJP of tanh from its output (dx may
// be dy). The kernels round like the Go expression.
func tanhVJP[T Float](y, dy, dx []T) {
	dy = dy[:len(y)]
	dx = dx[:len(y)]
	var z T
	sz := int(unsafe.Sizeof(z))
	n := 0
	if kernelsFor[T]() != nil {
		n = len(y) / (128 / sz) * (128 / sz)
		if n > 0 {
			vecTanhVJP(sz, unsafe.Pointer(&dx[0]), unsafe.Pointer(&dy[0]), unsafe.Pointer(&y[0]), n)
		}
	}
	for i := n; i < len(y); i++ {
		v := y[i]
		dx[i] = dy[i] * (1 - v*v)
	}
}
