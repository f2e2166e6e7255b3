package flow

import (
	"math"
	"math/rand/v2"
	"testing"
)

// unitInputs returns n inputs uniform in [0.02, 0.98].
func unitInputs(r *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = 0.02 + 0.96*r.Float64()
	}
	return x
}

// unitLayers returns fresh identity-initialised Pade11 and Pade22 layers.
func unitLayers() []Layer { return []Layer{NewPade11("p11"), NewPade22("p22")} }

// unitEval returns the evaluator (f, f', partials) of a layer at its current parameters.
func unitEval(l Layer) func(x float64) unitTerms {
	switch l := l.(type) {
	case *Pade11:
		p := l.P.Value[0]
		return func(x float64) unitTerms { return pade11Eval(p, x, true) }
	case *Pade22:
		b, e, d := l.coef()
		return func(x float64) unitTerms { return pade22Eval(b, e, d, x, true) }
	}
	panic("unknown layer")
}

func TestPade01IdentityAtInit(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 1))
	x := unitInputs(r, 40)
	x = append(x, 0, 1, 1e-300, 0.5, 1-0x1p-53)
	for _, l := range unitLayers() {
		for _, inverse := range []bool{false, true} {
			y, logJ := pass(l, inverse, nil, x, 1)
			for i := range x {
				if !(math.Abs(y[i]-x[i]) <= 1e-15*x[i]) {
					t.Errorf("%T inverse=%v: f(%.17g) = %.17g at init", l, inverse, x[i], y[i])
				}
			}
			if !(math.Abs(logJ[0]) <= 1e-14) {
				t.Errorf("%T inverse=%v: logJ at init = %g", l, inverse, logJ[0])
			}
		}
	}
	// Pade11 is bit-exact at init.
	y, logJ := pass(NewPade11("p"), false, nil, x, 1)
	for i := range x {
		if y[i] != x[i] {
			t.Errorf("Pade11: f(%.17g) = %.17g at init", x[i], y[i])
		}
	}
	if logJ[0] != 0 {
		t.Errorf("Pade11: logJ at init = %g", logJ[0])
	}
}

// The generic layer contract with random parameters on inputs inside (0, 1).
func TestPade01Generic(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 2))
	for trial := 0; trial < 5; trial++ {
		for _, l := range unitLayers() {
			randomize(l, r, 0.7)
			const batch = 3
			x := unitInputs(r, batch*4)
			checkInverse(t, l, x, batch, 1e-12)
			checkLogJ(t, l, x, batch, 1e-6)
			checkVJP(t, l, x, batch, r, 1e-5)
		}
	}
}

// f is strictly increasing on [0, 1] with f(0) = 0, f(1) = 1 exactly (both
// ways), f' > 0 matching a finite difference and the closed forms.
func TestPade01MonotoneEndpoints(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 3))
	for trial := 0; trial < 20; trial++ {
		for _, l := range unitLayers() {
			randomize(l, r, 0.7)
			ev := unitEval(l)
			y, _ := pass(l, false, nil, []float64{0, 1}, 1)
			xi, _ := pass(l, true, nil, []float64{0, 1}, 1)
			if y[0] != 0 || y[1] != 1 || xi[0] != 0 || xi[1] != 1 {
				t.Fatalf("%T: endpoints f = %v, f⁻¹ = %v", l, y, xi)
			}
			prev := math.Inf(-1)
			const n = 4000
			for k := 0; k <= n; k++ {
				x := float64(k) / n
				tp := ev(x)
				if !(tp.f > prev) || !(tp.j > 0) || tp.f < 0 || tp.f > 1 {
					t.Fatalf("%T: not increasing in [0,1] at %g (f=%g, prev=%g, f'=%g)", l, x, tp.f, prev, tp.j)
				}
				prev = tp.f
				if !(math.Abs(math.Log(tp.j)-tp.lj) <= 1e-13*(1+math.Abs(tp.lj))) {
					t.Fatalf("%T: log f'(%g) = %.17g, log of f' %.17g", l, x, tp.lj, math.Log(tp.j))
				}
				if k == 0 || k == n {
					continue
				}
				const h = 1e-6
				fd := (ev(x+h).f - ev(x-h).f) / (2 * h)
				if !(math.Abs(fd-tp.j) <= 1e-7*(1+tp.j)) {
					t.Fatalf("%T: f'(%g) = %.15g, finite difference %.15g", l, x, tp.j, fd)
				}
				if !(math.Abs(unitClosed(l, x)-tp.f) <= 1e-14) {
					t.Fatalf("%T: f(%g) = %.17g, closed form %.17g", l, x, tp.f, unitClosed(l, x))
				}
				if j := unitClosedJ(l, x); !(math.Abs(j-tp.j) <= 1e-13*j) {
					t.Fatalf("%T: f'(%g) = %.17g, closed form %.17g", l, x, tp.j, j)
				}
			}
		}
	}
}

// unitClosed is f(x) written directly from the definition (in u-space for Pade22).
func unitClosed(l Layer, x float64) float64 {
	switch l := l.(type) {
	case *Pade11:
		a := math.Exp(l.P.Value[0])
		return a * x / (1 + (a-1)*x)
	case *Pade22:
		b, e, d := l.coef()
		c := b + e
		u := x / (1 - x)
		return (u*u + b*u) / (u*u + c*u + d)
	}
	panic("unknown layer")
}

// unitClosedJ is f'(x) from the definition: a/(1+(a−1)x)², or df/du·du/dx.
func unitClosedJ(l Layer, x float64) float64 {
	switch l := l.(type) {
	case *Pade11:
		a := math.Exp(l.P.Value[0])
		s := 1 + (a-1)*x
		return a / (s * s)
	case *Pade22:
		b, e, d := l.coef()
		c := b + e
		u := x / (1 - x)
		q := u*u + c*u + d
		return (e*u*u + 2*d*u + b*d) / (q * q) / ((1 - x) * (1 - x))
	}
	panic("unknown layer")
}

// The inverses agree with the closed form (Pade11) and leave a residual of a
// few ulps over the whole interval, including near the endpoints (Pade22).
func TestPade01InverseAccuracy(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 4))
	for trial := 0; trial < 10; trial++ {
		l11, l22 := NewPade11("p11"), NewPade22("p22")
		randomize(l11, r, 1)
		randomize(l22, r, 1)
		a := math.Exp(l11.P.Value[0])
		b, e, d := l22.coef()
		for k := 0; k < 5000; k++ {
			y := r.Float64()
			if k%2 == 0 {
				y = math.Pow(10, -12*r.Float64()) // near 0
			} else if k%4 == 1 {
				y = 1 - math.Pow(10, -12*r.Float64()) // near 1
			}
			x := pade11Eval(-l11.P.Value[0], y, false).f
			if want := y / (a - (a-1)*y); !(math.Abs(x-want) <= 1e-14*want) {
				t.Fatalf("Pade11 a=%g: f⁻¹(%.17g) = %.17g, closed form %.17g", a, y, x, want)
			}
			x = pade22Inverse(b, e, d, y)
			tp := pade22Eval(b, e, d, x, false)
			if !(x >= 0 && x <= 1) || !(math.Abs(tp.f-y) <= 1e-15*(y+tp.j*x)) {
				t.Fatalf("Pade22 (b,e,d)=(%g,%g,%g): f(f⁻¹(%.17g)) = %.17g", b, e, d, y, tp.f)
			}
		}
	}
}

// Inputs outside [0, 1] and NaN map to NaN, forward and inverse.
func TestPade01OutsideNaN(t *testing.T) {
	for _, l := range unitLayers() {
		for _, inverse := range []bool{false, true} {
			for _, x := range []float64{-1e-9, 1 + 1e-9, -3, math.Inf(1), math.NaN()} {
				y, logJ := pass(l, inverse, nil, []float64{0.3, x}, 1)
				if !math.IsNaN(y[1]) || !math.IsNaN(logJ[0]) || math.IsNaN(y[0]) {
					t.Errorf("%T inverse=%v: f(%g) = %g, logJ %g", l, inverse, x, y[1], logJ[0])
				}
			}
		}
	}
}
