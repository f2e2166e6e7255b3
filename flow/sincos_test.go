package flow

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ulpOf is the spacing of float64 values at |v|.
func ulpOf(v float64) float64 {
	v = math.Abs(v)
	return math.Nextafter(v, math.Inf(1)) - v
}

// cnfSincos agrees with math.Sin and math.Cos to 2 ulp of the value, or,
// where the value is small because y lies near a multiple of π/2, to 2 ulp of
// the reduced argument's scale (both reduce y − kπ/2 with a rounding of
// ulp(y)-relative size; docs/conventions.md §5.19), over |y| from 10⁻³⁰⁰ to
// beyond the reduction's range, plus the exceptional values.
func TestCNFSincos(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	var worstRel, worstAbs float64 // for |y| ≤ π/4 in ulp, else in units of 2^-53
	check := func(y float64) {
		s, c := cnfSincos(y)
		ws, wc := math.Sin(y), math.Cos(y)
		for _, p := range [][2]float64{{s, ws}, {c, wc}} {
			d := math.Abs(p[0] - p[1])
			if math.Abs(y) <= math.Pi/4 {
				worstRel = max(worstRel, d/ulpOf(p[1]))
			} else {
				worstAbs = max(worstAbs, d/0x1p-53)
			}
			if !(d <= 2*ulpOf(p[1]) || d <= 2*0x1p-53*max(1, math.Abs(y)*0x1p-33)) {
				t.Fatalf("y = %.17g: sin, cos = %.17g, %.17g; math: %.17g, %.17g", y, s, c, ws, wc)
			}
		}
	}
	for _, scale := range []float64{1e-300, 1e-8, 0.1, 1, math.Pi / 4, 3, 10, 100, 1e4, 1e5, 0x1p19, 1e6, 1e10, 1e300} {
		for range 20000 {
			check(scale * (2*r.Float64() - 1))
		}
	}
	// Near multiples of π/2, where the reduced argument is smallest.
	for k := -1000; k <= 1000; k++ {
		y := float64(k) * math.Pi / 2
		for _, d := range []float64{0, 1e-12, -1e-7, 0x1p-30} {
			check(y + d)
			check(math.Nextafter(y, math.Inf(1)))
		}
	}
	for _, y := range []float64{0, math.Copysign(0, -1), cnfSincosMax, -cnfSincosMax, math.Nextafter(cnfSincosMax, 1e9), math.MaxFloat64, math.SmallestNonzeroFloat64} {
		check(y)
	}
	for _, y := range []float64{math.Inf(1), math.Inf(-1), math.NaN()} {
		if s, c := cnfSincos(y); !math.IsNaN(s) || !math.IsNaN(c) {
			t.Errorf("sincos(%g) = %g, %g; want NaN", y, s, c)
		}
	}
	t.Logf("largest difference from math.Sin/Cos: %.2f ulp for |y| ≤ π/4, %.2f × 2^-53 beyond", worstRel, worstAbs)

	x := []float64{0.3, -2, 7.5}
	sn, cs := make([]float64, 3), make([]float64, 3)
	sincosScaled(1.7, x, sn, cs)
	for i, v := range x {
		if s, c := cnfSincos(1.7 * v); sn[i] != s || cs[i] != c {
			t.Errorf("sincosScaled(1.7, %g) = %g, %g; want %g, %g", v, sn[i], cs[i], s, c)
		}
	}
}

// BenchmarkCNFSincos times sin and cos of 2.3·x for 2^14 normal x (more than
// a branch predictor can learn: math.Sincos branches on the octant).
func BenchmarkCNFSincos(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	x := randn(r, 1<<14, 1)
	sn, cs := make([]float64, len(x)), make([]float64, len(x))
	b.Run("cnf", func(b *testing.B) {
		for range b.N {
			sincosScaled(2.3, x, sn, cs)
		}
	})
	b.Run("math", func(b *testing.B) {
		for range b.N {
			for i, v := range x {
				sn[i], cs[i] = math.Sincos(2.3 * v)
			}
		}
	})
}

// The table is its own mirror image, entry N − j = (−S_j, C_j), and the
// features are exactly odd (sin) and even (cos) in y, so the layer keeps its
// φ → −φ symmetry bit for bit (docs/conventions.md §5.19, "Features").
func TestCNFSincosSymmetry(t *testing.T) {
	for j := 1; j < cnfTabN; j++ {
		if a, b := cnfSinCosTab()[j], cnfSinCosTab()[cnfTabN-j]; a[0] != -b[0] || a[1] != b[1] {
			t.Fatalf("table entries %d and %d: %v, %v are not mirror images", j, cnfTabN-j, a, b)
		}
	}
	r := rand.New(rand.NewPCG(33, 34))
	for range 100000 {
		y := 20 * (2*r.Float64() - 1)
		s, c := cnfSincos(y)
		ms, mc := cnfSincos(-y)
		if ms != -s || mc != c {
			t.Fatalf("y = %.17g: sin, cos = %.17g, %.17g; at −y: %.17g, %.17g", y, s, c, ms, mc)
		}
	}
}
