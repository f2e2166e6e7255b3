package flow

import (
	"math"
	"math/rand/v2"
	"testing"
)

// pForA returns the parameter p with 3 expit(p − ln 2) = a.
func pForA(a float64) float64 { return math.Log(a/(3-a)) + math.Ln2 }

// padeDirect is f(x) = a x (a + x²)/(1 + a x²) as written in docs/conventions.md §5.14.
func padeDirect(a, x float64) float64 { return a * x * (a + x*x) / (1 + a*x*x) }

func TestPadeIdentityAtInit(t *testing.T) {
	l := NewPade("pade")
	if a, _ := l.coef(); a != 1 {
		t.Fatalf("a at init = %.17g, want 1", a)
	}
	r := rand.New(rand.NewPCG(1, 1))
	x := randn(r, 12, 3)
	x = append(x, 0, 1e-300, -1e300, math.Inf(1))
	y, logJ := pass(l, false, nil, x, 1)
	for i := range x {
		if y[i] != x[i] {
			t.Errorf("f(%g) = %g at init", x[i], y[i])
		}
	}
	if logJ[0] != 0 {
		t.Errorf("logJ at init = %g", logJ[0])
	}
}

// The generic layer contract at several a (including a > √3, where the
// numerator of f' is not termwise positive), on inputs of mixed scale.
func TestPadeGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for _, a := range []float64{0.2, 0.8, 1, 1.5, 2.2, 2.8} {
		l := NewPade("pade")
		l.P.Value[0] = pForA(a)
		if got, _ := l.coef(); !(math.Abs(got-a) <= 1e-14) {
			t.Fatalf("a = %g, want %g", got, a)
		}
		const batch = 3
		x := randn(r, batch*4, 1.5)
		x[1], x[5], x[10] = 40, -250, 0 // tails and the origin
		checkInverse(t, l, x, batch, 1e-12)
		checkLogJ(t, l, x, batch, 1e-6)
		checkVJP(t, l, x, batch, r, 1e-6)
	}
}

// f agrees with the direct rational form, is odd, strictly increasing, with
// f' > 0 matching a finite difference, for a across (0, 3).
func TestPadeMonotoneOdd(t *testing.T) {
	for _, a := range []float64{0.05, 0.5, 1.7, 2.5, 2.99} {
		prev := math.Inf(-1)
		for k := -4000; k <= 4000; k++ {
			x := float64(k) / 400
			tp := padeEval(a, x, false)
			if d := padeDirect(a, x); !(math.Abs(tp.f-d) <= 1e-14*(1+math.Abs(d))) {
				t.Fatalf("a=%g: f(%g) = %.17g, direct %.17g", a, x, tp.f, d)
			}
			if tn := padeEval(a, -x, false); tn.f != -tp.f || tn.j != tp.j {
				t.Fatalf("a=%g: not odd at %g", a, x)
			}
			if !(tp.f > prev) || !(tp.j > 0) {
				t.Fatalf("a=%g: not increasing at %g (f=%g, prev=%g, f'=%g)", a, x, tp.f, prev, tp.j)
			}
			prev = tp.f
			const h = 1e-6
			fd := (padeDirect(a, x+h) - padeDirect(a, x-h)) / (2 * h)
			if !(math.Abs(fd-tp.j) <= 1e-7*(1+fd)) {
				t.Fatalf("a=%g: f'(%g) = %g, finite difference %g", a, x, tp.j, fd)
			}
			want := a * (a + (3-a*a)*x*x + a*x*x*x*x) / ((1 + a*x*x) * (1 + a*x*x))
			if !(math.Abs(want-tp.j) <= 1e-13*want) {
				t.Fatalf("a=%g: f'(%g) = %.17g, rational form %.17g", a, x, tp.j, want)
			}
		}
		if s := padeEval(a, 0, false).j; !(math.Abs(s-a*a) <= 1e-15) {
			t.Errorf("a=%g: f'(0) = %g, want a² = %g", a, s, a*a)
		}
	}
}

// Tails: f(x) = x + (a²−1)/(a x) + O(x⁻³), f' → 1, including |x| where x²
// overflows; the inverse and logJ stay finite and exact there.
func TestPadeTails(t *testing.T) {
	for _, a := range []float64{0.3, 1.4, 2.9} {
		l := NewPade("pade")
		l.P.Value[0] = pForA(a)
		for _, x := range []float64{1e2, 1e4, 1e8, 1e20, 1e160, 1e300, math.MaxFloat64} {
			for _, s := range []float64{1, -1} {
				xx := s * x
				tp := padeEval(a, xx, true)
				want := xx + (a*a-1)/(a*xx)
				if !(math.Abs(tp.f-want) <= 1e-15*math.Abs(want)+2*math.Abs((a*a-1)/(a*a*xx*xx*xx))) {
					t.Errorf("a=%g: f(%g) = %.17g, tail %.17g", a, xx, tp.f, want)
				}
				if !(math.Abs(tp.j-1) <= 10/(x*x)+1e-15) {
					t.Errorf("a=%g: f'(%g) = %g, want → 1", a, xx, tp.j)
				}
				for _, v := range []float64{tp.jx, tp.fa, tp.ja} {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Errorf("a=%g: partials at %g not finite: %+v", a, xx, tp)
					}
				}
				if xr := padeInverse(a, tp.f); !(math.Abs(xr-xx) <= 4e-16*math.Abs(xx)) {
					t.Errorf("a=%g: f⁻¹(f(%g)) = %.17g", a, xx, xr)
				}
			}
		}
		y, lf := pass(l, false, nil, []float64{1e300, -1e200}, 1)
		_, li := pass(l, true, nil, y, 1)
		if math.IsNaN(lf[0]) || !(math.Abs(lf[0]) <= 1e-15) || lf[0]+li[0] != 0 {
			t.Errorf("a=%g: tail logJ forward %g, inverse %g", a, lf[0], li[0])
		}
	}
}

// The inverse solves the cubic to full precision over many scales: the
// residual of f(x) = y is a few ulps and the round trip is tight where f is
// well conditioned.
func TestPadeInverseAccuracy(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for _, a := range []float64{0.1, 0.9, 1.3, 2.4, 2.95} {
		for k := 0; k < 20000; k++ {
			y := math.Pow(10, 12*r.Float64()-6) * r.NormFloat64()
			x := padeInverse(a, y)
			tp := padeEval(a, x, false)
			// Residual within rounding of f near x (cond. ≈ f'·|x|/|y|).
			if !(math.Abs(tp.f-y) <= 8e-16*(math.Abs(y)+tp.j*math.Abs(x))) {
				t.Fatalf("a=%g: f(f⁻¹(%.17g)) = %.17g", a, y, tp.f)
			}
			if x != -padeInverse(a, -y) {
				t.Fatalf("a=%g: inverse not odd at %g", a, y)
			}
		}
	}
	if padeInverse(2, 0) != 0 || !math.IsNaN(padeInverse(2, math.NaN())) || padeInverse(2, math.Inf(-1)) != math.Inf(-1) {
		t.Error("inverse special values")
	}
}
