package nn

import (
	"math"
	"testing"
)

// ulpErr is |got − want| in units of the float32 spacing at want.
func ulpErr(got float32, want float64) float64 {
	w := float32(math.Abs(want))
	ulp := math.Nextafter32(w, float32(math.Inf(1))) - w
	return math.Abs(float64(got)-want) / float64(ulp)
}

// tanhGrid is a dense grid of float32 inputs (both signs): every 1001st
// float32 bit pattern below 12 in magnitude, a uniform grid of step 2⁻¹⁶
// there, every float32 around the branch point 0.625, then large values,
// infinities, zeros.
func tanhGrid() []float32 {
	var xs []float32
	for b := uint32(0); b < math.Float32bits(12); b += 1001 {
		x := math.Float32frombits(b)
		xs = append(xs, x, -x)
	}
	for x := float32(0); x < 12; x += 1.0 / 65536 {
		xs = append(xs, x, -x)
	}
	for b := math.Float32bits(0.625) - 5000; b < math.Float32bits(0.625)+5000; b++ {
		x := math.Float32frombits(b)
		xs = append(xs, x, -x)
	}
	for _, x := range []float32{12, 20, 88, 89, 1e10, math.MaxFloat32, float32(math.Inf(1)), 1e-45, 0.625, 0.62499997, 9.1, 9.0} {
		xs = append(xs, x, -x)
	}
	return xs
}

// TestTanh32: the float32 tanh, portable and each SIMD kernel, is within 2
// ulps of math.Tanh on a dense grid including large |x|, keeps the sign of
// zero and gives NaN for NaN; any length works (vector tails).
func TestTanh32(t *testing.T) {
	xs := tanhGrid()
	check := func(level string, y []float32) {
		t.Helper()
		worst := 0.0
		for i, x := range xs {
			want := math.Tanh(float64(x))
			e := ulpErr(y[i], want)
			if e > 2 || math.IsNaN(float64(y[i])) {
				t.Fatalf("%s: tanh(%g) = %.9g, want %.9g (%.2f ulps)", level, x, y[i], want, e)
			}
			worst = max(worst, e)
			if x == 0 && math.Signbit(float64(y[i])) != math.Signbit(float64(x)) {
				t.Fatalf("%s: tanh(%g) = %g", level, x, y[i])
			}
		}
		t.Logf("%s: worst error %.3f ulps over %d points", level, worst, len(xs))
	}
	y := make([]float32, len(xs))
	for i, x := range xs {
		y[i] = tanh32(x)
	}
	check("tanh32", y)
	withSIMD(t, func(level string) {
		for _, n := range []int{len(xs), 1, 7, 15, 17, 33} { // tails
			y := make([]float32, n)
			tanhSlice32(xs[:n], y)
			if n == len(xs) {
				check(level, y)
			} else {
				for i := range y {
					if e := ulpErr(y[i], math.Tanh(float64(xs[i]))); e > 2 {
						t.Fatalf("%s: length %d: tanh(%g) = %g", level, n, xs[i], y[i])
					}
				}
			}
		}
		nan := []float32{float32(math.NaN()), 1, float32(math.NaN())}
		tanhSlice32(nan, nan)
		if !math.IsNaN(float64(nan[0])) || !math.IsNaN(float64(nan[2])) || !(math.Abs(float64(nan[1])-math.Tanh(1)) <= 1e-7) {
			t.Fatalf("%s: tanh of NaN, 1, NaN = %v", level, nan)
		}
		in := append([]float32(nil), xs[:100]...) // in place
		tanhSlice32(in, in)
		for i := range in {
			if ulpErr(in[i], math.Tanh(float64(xs[i]))) > 2 {
				t.Fatalf("%s: in place: tanh(%g) = %g", level, xs[i], in[i])
			}
		}
	})
}
