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
	forEachSincosLevel(t, testCNFSincos)
}

func testCNFSincos(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	// The arguments are collected first and evaluated in one sincosScaled
	// call, so that they run through the kernels in blocks of 8.
	var ys []float64
	for _, scale := range []float64{1e-300, 1e-8, 0.1, 1, math.Pi / 4, 3, 10, 100, 1e4, 1e5, 0x1p19, 1e6, 1e10, 1e300} {
		for range 20000 {
			ys = append(ys, scale*(2*r.Float64()-1))
		}
	}
	// Near multiples of π/2, where the reduced argument is smallest.
	for k := -1000; k <= 1000; k++ {
		y := float64(k) * math.Pi / 2
		for _, d := range []float64{0, 1e-12, -1e-7, 0x1p-30} {
			ys = append(ys, y+d, math.Nextafter(y, math.Inf(1)))
		}
	}
	ys = append(ys, 0, math.Copysign(0, -1), cnfSincosMax, -cnfSincosMax, math.Nextafter(cnfSincosMax, 1e9), math.MaxFloat64, math.SmallestNonzeroFloat64)
	sn, cs := make([]float64, len(ys)), make([]float64, len(ys))
	sincosScaled(1, ys, sn, cs)
	gs, gc := make([]float64, len(ys)), make([]float64, len(ys))
	sincosGo(cnfSinCosTab(), 1, ys, gs, gc)
	for i, y := range ys { // the kernels give the Go code's bits
		if math.Float64bits(sn[i]) != math.Float64bits(gs[i]) || math.Float64bits(cs[i]) != math.Float64bits(gc[i]) {
			t.Fatalf("y = %.17g: sin, cos = %.17g, %.17g; Go code: %.17g, %.17g", y, sn[i], cs[i], gs[i], gc[i])
		}
	}
	var worstRel, worstAbs float64 // for |y| ≤ π/4 in ulp, else in units of 2^-53
	for i, y := range ys {
		s, c := sn[i], cs[i]
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
	for _, y := range []float64{math.Inf(1), math.Inf(-1), math.NaN()} {
		if s, c := cnfSincos(y); !math.IsNaN(s) || !math.IsNaN(c) {
			t.Errorf("sincos(%g) = %g, %g; want NaN", y, s, c)
		}
	}
	t.Logf("largest difference from math.Sin/Cos: %.2f ulp for |y| ≤ π/4, %.2f × 2^-53 beyond", worstRel, worstAbs)

	x := []float64{0.3, -2, 7.5}
	sn, cs = make([]float64, 3), make([]float64, 3)
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
	levels := sincosLevels()
	defer setSincosSIMD(levels[0])
	for _, l := range levels {
		setSincosSIMD(l)
		b.Run("cnf-"+l, func(b *testing.B) {
			for range b.N {
				sincosScaled(2.3, x, sn, cs)
			}
		})
		b.Run("sumcos-"+l, func(b *testing.B) {
			for range b.N {
				sincosSumCos(2.3, x, sn)
			}
		})
	}
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
	forEachSincosLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(33, 34))
		y, my := make([]float64, 100000), make([]float64, 100000)
		for i := range y {
			y[i] = 20 * (2*r.Float64() - 1)
			my[i] = -y[i]
		}
		s, c := make([]float64, len(y)), make([]float64, len(y))
		ms, mc := make([]float64, len(y)), make([]float64, len(y))
		sincosScaled(1, y, s, c)
		sincosScaled(1, my, ms, mc)
		for i := range y {
			if ms[i] != -s[i] || mc[i] != c[i] {
				t.Fatalf("y = %.17g: sin, cos = %.17g, %.17g; at −y: %.17g, %.17g", y[i], s[i], c[i], ms[i], mc[i])
			}
		}
	})
}

// forEachSincosLevel runs f once with each kernel set this CPU has
// (sincosLevels: "avx512", "avx2", then "none", the Go code), as a subtest
// named after it.
func forEachSincosLevel(t *testing.T, f func(t *testing.T)) {
	levels := sincosLevels()
	defer setSincosSIMD(levels[0])
	for _, l := range levels {
		if !setSincosSIMD(l) {
			t.Fatalf("setSincosSIMD(%q) refused a level sincosLevels lists", l)
		}
		t.Run(l, f)
	}
}

// sincosSumCosRef is the documented sum of sincosSumCos, spelled out: the
// cosines of sincosGo, element i added to partial p[i mod 8] in index order,
// the partials combined as ((p0 + p4) + (p1 + p5)) + ((p2 + p6) + (p3 + p7)).
func sincosSumCosRef(w float64, x []float64) (sn []float64, sum float64) {
	sn, cs := make([]float64, len(x)), make([]float64, len(x))
	sincosGo(cnfSinCosTab(), w, x, sn, cs)
	var p [8]float64
	for i, c := range cs {
		p[i%8] = p[i%8] + c
	}
	return sn, ((p[0] + p[4]) + (p[1] + p[5])) + ((p[2] + p[6]) + (p[3] + p[7]))
}

// sincosTestInputs returns n arguments mixing normal values, values next to
// the table's cell boundaries (odd multiples of π/N, where k's rounding
// flips) and to multiples of 2π/N, ±0, subnormals, values just inside and
// beyond ±cnfSincosMax/w, and (with special) NaN and ±Inf at random places.
func sincosTestInputs(r *rand.Rand, n int, w float64, special bool) []float64 {
	x := make([]float64, n)
	ww := w
	if ww == 0 {
		ww = 1
	}
	for i := range x {
		switch r.IntN(10) {
		case 0, 1, 2:
			x[i] = r.NormFloat64() * 3
		case 3:
			m := float64(r.IntN(4001) - 2000)
			x[i] = (m * math.Pi / cnfTabN) / ww
			for range r.IntN(3) {
				x[i] = math.Nextafter(x[i], math.Inf(r.IntN(2)*2-1))
			}
		case 4:
			x[i] = (float64(r.IntN(2001)-1000) * 2 * math.Pi / cnfTabN) / ww
		case 5:
			x[i] = math.Copysign(0, float64(r.IntN(2)*2-1))
		case 6:
			x[i] = math.Float64frombits(r.Uint64N(1<<52)) * float64(r.IntN(2)*2-1)
		case 7, 8:
			lim := cnfSincosMax / math.Abs(ww)
			x[i] = lim
			for range r.IntN(4) {
				x[i] = math.Nextafter(x[i], math.Inf(r.IntN(2)*2-1))
			}
			if r.IntN(2) == 0 {
				x[i] = -x[i]
			}
			if r.IntN(4) == 0 {
				x[i] *= 1 + r.Float64()
			}
		default:
			x[i] = r.NormFloat64() * 1e3
		}
	}
	if special && n > 0 {
		for range 1 + r.IntN(3) {
			x[r.IntN(n)] = []float64{math.NaN(), math.Inf(1), math.Inf(-1)}[r.IntN(3)]
		}
	}
	return x
}

// Every kernel set gives the Go code's results bit for bit: sn and cs of
// sincosScaled, sn and the sum of sincosSumCos, for lengths 0…70 and 1000
// (whole blocks of 8 and tails), several w, with and without elements that
// leave the kernels for math.Sincos.
func TestCNFSincosPathsBitIdentical(t *testing.T) {
	same := func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }
	r := rand.New(rand.NewPCG(35, 36))
	type tcase struct {
		w float64
		x []float64
	}
	var cases []tcase
	for _, w := range []float64{1, 2.3, -0.7, 0, 137.5, -1e-3} {
		for n := 0; n <= 70; n++ {
			for _, special := range []bool{false, true} {
				cases = append(cases, tcase{w, sincosTestInputs(r, n, w, special)})
			}
		}
		for _, special := range []bool{false, true} {
			cases = append(cases, tcase{w, sincosTestInputs(r, 1000, w, special)})
		}
	}
	forEachSincosLevel(t, func(t *testing.T) {
		for _, c := range cases {
			n := len(c.x)
			wsn, wcs := make([]float64, n), make([]float64, n)
			sincosGo(cnfSinCosTab(), c.w, c.x, wsn, wcs)
			sn, cs := make([]float64, n), make([]float64, n)
			sincosScaled(c.w, c.x, sn, cs)
			for i := range c.x {
				if !same(sn[i], wsn[i]) || !same(cs[i], wcs[i]) {
					t.Fatalf("sincosScaled(%g, x[%d] = %.17g), n = %d: %.17g, %.17g; Go code: %.17g, %.17g", c.w, i, c.x[i], n, sn[i], cs[i], wsn[i], wcs[i])
				}
			}
			rsn, rsum := sincosSumCosRef(c.w, c.x)
			sn2 := make([]float64, n)
			sum := sincosSumCos(c.w, c.x, sn2)
			for i := range c.x {
				if !same(sn2[i], rsn[i]) {
					t.Fatalf("sincosSumCos(%g, x[%d] = %.17g), n = %d: sin %.17g; Go code: %.17g", c.w, i, c.x[i], n, sn2[i], rsn[i])
				}
			}
			if !same(sum, rsum) {
				t.Fatalf("sincosSumCos(%g, x), n = %d: sum %.17g; reference: %.17g", c.w, n, sum, rsum)
			}
		}
	})
}

// The 8-partial sum is the documented order, written out term by term, on
// an input where the order matters: cos 0 = 1 first, then 15 cosines of
// size 6·10⁻¹⁷ (y = π/2 rounded), each below half an ulp of 1, so that
// summed in index order they vanish, but not in the tree.
func TestCNFSincosSumOrder(t *testing.T) {
	x := make([]float64, 16)
	for i := 1; i < len(x); i++ {
		x[i] = math.Pi / 2
	}
	forEachSincosLevel(t, func(t *testing.T) {
		sn := make([]float64, len(x))
		got := sincosSumCos(1, x, sn)
		cs := make([]float64, len(x))
		sincosGo(cnfSinCosTab(), 1, x, make([]float64, len(x)), cs)
		p := func(j int) float64 { return (0 + cs[j]) + cs[j+8] }
		want := ((p(0) + p(4)) + (p(1) + p(5))) + ((p(2) + p(6)) + (p(3) + p(7)))
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("sum %.17g, want %.17g", got, want)
		}
		_, ref := sincosSumCosRef(1, x)
		if math.Float64bits(got) != math.Float64bits(ref) {
			t.Errorf("sum %.17g, sincosSumCosRef %.17g", got, ref)
		}
		var plain float64
		for _, c := range cs {
			plain += c
		}
		if got == plain {
			t.Errorf("sum %.17g equals the index-order sum: the test input does not tell the orders apart", got)
		}
	})
}
