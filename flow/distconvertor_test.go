package flow

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestDistConvertorIdentityAtInit(t *testing.T) {
	for _, sym := range []bool{false, true} {
		for _, scale := range []bool{false, true} {
			d, err := NewDistConvertor("dc", 10, sym, scale)
			if err != nil {
				t.Fatal(err)
			}
			x := []float64{-5, -1.3, -0.2, 0, 0.7, 2.5, 8}
			y, logJ := pass(d, false, nil, x, 1)
			for i := range x {
				if !(math.Abs(y[i]-x[i]) <= 1e-12*(1+math.Abs(x[i]))) {
					t.Errorf("sym=%v scale=%v: f(%g) = %.15g at initialisation", sym, scale, x[i], y[i])
				}
			}
			if !(math.Abs(logJ[0]) <= 1e-12) {
				t.Errorf("sym=%v scale=%v: logJ = %g at initialisation", sym, scale, logJ[0])
			}
		}
	}
}

func TestDistConvertorContract(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, sym := range []bool{false, true} {
		for _, scale := range []bool{false, true} {
			d, _ := NewDistConvertor("dc", 6, sym, scale)
			randomize(d, r, 0.7)
			const batch = 3
			x := randn(r, batch*4, 1.5)
			checkInverse(t, d, x, batch, 1e-10)
			checkLogJ(t, d, x, batch, 1e-6)
			checkVJP(t, d, x, batch, r, 1e-5)
		}
	}
}

func TestDistConvertorSymmetricIsOdd(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	d, _ := NewDistConvertor("dc", 10, true, true)
	randomize(d, r, 1)
	x := randn(r, 50, 2)
	neg := make([]float64, len(x))
	for i := range x {
		neg[i] = -x[i]
	}
	y, lp := pass(d, false, nil, x, len(x))
	yn, ln := pass(d, false, nil, neg, len(x))
	for i := range x {
		if !(math.Abs(y[i]+yn[i]) <= 1e-12*(1+math.Abs(y[i]))) || !(math.Abs(lp[i]-ln[i]) <= 1e-11) {
			t.Fatalf("f(%g) = %g, f(%g) = %g; logJ %g vs %g", x[i], y[i], -x[i], yn[i], lp[i], ln[i])
		}
	}
}

func TestDistConvertorRejectsFewKnots(t *testing.T) {
	if _, err := NewDistConvertor("dc", 1, false, false); err == nil {
		t.Error("knots = 1 accepted")
	}
}

func TestSequenceContract(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	a, _ := NewDistConvertor("a", 5, true, false)
	b, _ := NewDistConvertor("b", 4, false, true)
	randomize(a, r, 0.6)
	randomize(b, r, 0.6)
	s := NewSequence(a, b)
	if len(s.Params()) != 7 {
		t.Fatalf("sequence has %d parameters, want 7", len(s.Params()))
	}
	x := randn(r, 2*3, 1.2)
	checkInverse(t, s, x, 2, 1e-10)
	checkLogJ(t, s, x, 2, 1e-6)
	checkVJP(t, s, x, 2, r, 1e-5)
}

// tailInputs are convertor inputs from the centre to the far tails: where
// 1 − expit(x) loses digits (≳ 20), where it rounds to 0 (≳ 37) or
// underflows (≳ 745), and beyond.
var tailInputs = []float64{1e-300, 1e-8, 0.3, 2, 20, 25, 30, 36, 37, 38, 40, 50, 200, 745, 800, 1e3, 1e6, 1e100, 1e300}

// The identity initialisation is the identity at every magnitude: y(36) was
// 36.044, y(38) = +Inf and y(−40) = NaN (logJ = +Inf) when 1 − u was formed
// by subtraction.
func TestDistConvertorIdentityTails(t *testing.T) {
	for _, sym := range []bool{false, true} {
		d, _ := NewDistConvertor("dc", 10, sym, true)
		for _, x0 := range tailInputs {
			for _, x := range []float64{x0, -x0} {
				y, lf := pass(d, false, nil, []float64{x}, 1)
				xr, li := pass(d, true, nil, []float64{x}, 1)
				// Near 0 the non-symmetric map goes through S(½) = ½: absolute precision.
				atol := 0.0
				if !sym {
					atol = 1e-15
				}
				if !(math.Abs(y[0]-x) <= 4e-16*math.Abs(x)+atol) || !(math.Abs(xr[0]-x) <= 4e-16*math.Abs(x)+atol) {
					t.Errorf("sym=%v: f(%g) = %.17g, f⁻¹(%g) = %.17g", sym, x, y[0], x, xr[0])
				}
				if !(math.Abs(lf[0]) <= 1e-15) || !(math.Abs(li[0]) <= 1e-15) {
					t.Errorf("sym=%v: logJ at %g: forward %g, inverse %g", sym, x, lf[0], li[0])
				}
			}
		}
	}
}

// endSlopes returns the spline's slopes D_0 and D_{K−1}.
func endSlopes(d *DistConvertor) (d0, d1 float64) {
	sp := d.spline()
	return sp.D[0], sp.D[len(sp.D)-1]
}

// Random parameters: the map is finite at every magnitude, linear in the
// tails, y = a(x − log D_{K−1}) for x → ∞ and a(x + log D_0) for x → −∞
// (D_{K−1} on both sides in symmetric mode) with logJ → log a, the inverse
// undoes it to a few ulps of the magnitude, and the symmetric map is odd
// bit for bit.
func TestDistConvertorTails(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	for _, sym := range []bool{false, true} {
		for _, scale := range []bool{false, true} {
			for range 4 {
				d, _ := NewDistConvertor("dc", 7, sym, scale)
				randomize(d, r, 1)
				a, _ := d.scale()
				d0, d1 := endSlopes(d)
				if sym {
					d0 = d1
				}
				for _, x0 := range tailInputs {
					for _, x := range []float64{x0, -x0} {
						y, lf := pass(d, false, nil, []float64{x}, 1)
						xr, li := pass(d, true, nil, y, 1)
						if math.IsNaN(y[0]) || math.IsInf(y[0], 0) || math.IsNaN(lf[0]) || math.IsInf(lf[0], 0) {
							t.Fatalf("sym=%v: f(%g) = %g, logJ %g", sym, x, y[0], lf[0])
						}
						// The round trip amplifies the rounding of y by the condition
						// |y|/(|x| f′), and so does logJ (of the point it comes back to).
						cond := max(1, math.Abs(y[0])/(math.Abs(x)*math.Exp(lf[0])))
						if !(math.Abs(xr[0]-x) <= 1e-14*cond*(math.Abs(x)+1)) || !(math.Abs(lf[0]+li[0]) <= 1e-13*cond) {
							t.Errorf("sym=%v scale=%v: f⁻¹(f(%g)) = %.17g, logJ %g + %g", sym, scale, x, xr[0], lf[0], li[0])
						}
						if x0 >= 50 {
							want := a * (x - math.Log(d1))
							if x < 0 {
								want = a * (x + math.Log(d0))
							}
							if !(math.Abs(y[0]-want) <= 1e-15*math.Abs(want)+a*4*math.Exp(-x0)*(d0+1/d0+d1+1/d1)) {
								t.Errorf("sym=%v: f(%g) = %.17g, linear tail %.17g", sym, x, y[0], want)
							}
							if !(math.Abs(lf[0]-math.Log(a)) <= 1e-15+4*math.Exp(-x0)*(d0+1/d0+d1+1/d1)) {
								t.Errorf("sym=%v: logJ at %g = %.17g, log a = %.17g", sym, x, lf[0], math.Log(a))
							}
						}
						if sym {
							yn, ln := pass(d, false, nil, []float64{-x}, 1)
							if yn[0] != -y[0] || ln[0] != lf[0] {
								t.Errorf("f(%g) = %.17g but f(%g) = %.17g; logJ %.17g, %.17g", x, y[0], -x, yn[0], lf[0], ln[0])
							}
						}
					}
				}
				if sym {
					// Near the centre the symmetric map keeps relative precision: f(x) ≈ a·D_0·x.
					sp := d.spline()
					for _, x := range []float64{1e-300, 1e-100, 1e-30} {
						y, _ := pass(d, false, nil, []float64{x}, 1)
						if want := a * sp.D[0] * x; !(math.Abs(y[0]-want) <= 1e-13*want) {
							t.Errorf("f(%g) = %.17g, a·D_0·x = %.17g", x, y[0], want)
						}
					}
				}
			}
		}
	}
}

// The contract (inverse, log-Jacobian and VJPs by finite differences) in the
// tails, where the old formulas lost digits (x ≈ ±30) or broke (±50), and
// far beyond (±800: 1 − expit underflows).
func TestDistConvertorContractTails(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	for _, sym := range []bool{false, true} {
		for _, scale := range []bool{false, true} {
			d, _ := NewDistConvertor("dc", 6, sym, scale)
			randomize(d, r, 0.7)
			x := []float64{30, -30, 50, -50, 36, -38, 800, -800}
			const batch = 4
			checkInverse(t, d, x, batch, 1e-13)
			checkLogJ(t, d, x, batch, 1e-6)
			checkVJP(t, d, x, batch, r, 1e-5)
		}
	}
}
