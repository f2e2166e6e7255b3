package flow

import (
	"math"

	"github.com/normflow/normflow-go/nn"
)

// Pade is the seed library's odd Padé [3/2] elementwise layer (docs/conventions.md §5.14),
// the same map at every site:
//
//	f(x) = a x (a + x²) / (1 + a x²) = x · (1 + (a²−1) w),   w = 1/(1 + a x²),
//
// with one trainable parameter p and
//
//	a = 3 · expit(p − ln 2) ∈ (0, 3),
//
// so p = 0 (the initial value) gives a = 1 and f the identity. f is odd and
// strictly increasing for every 0 < a < 3, with slope a² at 0 and
// f(x) = x + (a²−1)/(a x) + O(x⁻³) in the tails (linear, unit slope). Its
// derivative is
//
//	f'(x) = 1 + (a²−1) w (2w − 1) = a (a + (3−a²) x² + a x⁴) / (1 + a x²)²,
//
// and the log-Jacobian per element is log f'(x). The inverse solves the cubic
// a x³ − a y x² + a² x − y = 0 for its unique real root by Newton's method
// safeguarded by bisection on the bracket [y/max(1,a²), y/min(1,a²)], to full
// precision.
type Pade struct {
	// P (1 value) is the unconstrained parameter of a.
	P *nn.Param
}

// NewPade makes an identity-initialised Padé layer; its parameter is named name+".p".
func NewPade(name string) *Pade {
	return &Pade{P: nn.NewParam(name+".p", 1)}
}

// Params lists the trainable parameter.
func (l *Pade) Params() []*nn.Param { return []*nn.Param{l.P} }

// coef returns a = 3 expit(p − ln 2) and da/dp = a (1 − a/3).
func (l *Pade) coef() (a, da float64) {
	a = 3 * expit(l.P.Value[0]-math.Ln2)
	return a, a * (1 - a/3)
}

// padeTerms holds f, f' and their partial derivatives at one x.
type padeTerms struct {
	f, j   float64 // f(x), f'(x)
	jx     float64 // ∂f'/∂x
	fa, ja float64 // ∂f/∂a, ∂f'/∂a
}

// padeEval evaluates f and f' (and, with grad, the partials) stably for any x,
// including |x| large enough that x² overflows. With u = x², w = 1/(1 + a u)
// and uw = u·w, f = x·m and
//
//	m  = 1 + (a²−1) w            = a (a w + uw),
//	f' = 1 + (a²−1) w (2w − 1)   = a (a w² + (3−a²) uw·w + a uw²);
//
// for a ≥ 1 the first forms are sums of non-negative terms (and exactly 1 at
// a = 1), for a < 1 the second ones, so neither cancels.
func padeEval(a, x float64, grad bool) padeTerms {
	u := x * x
	w := 1 / (1 + a*u)
	uw := 1 / (a + 1/u) // u·w, = 1/a for u = ∞ and 0 for u = 0
	c := a*a - 1
	var t padeTerms
	if c >= 0 {
		t.f = x * (1 + c*w)
		t.j = 1 + c*w*(2*w-1)
	} else {
		t.f = x * (a * (a*w + uw))
		t.j = a * (a*w*w + (3-a*a)*uw*w + a*uw*uw)
	}
	if grad {
		// ∂w/∂x = −2 a x w², ∂w/∂a = −u w².
		t.jx = -2 * a * c * (x * w) * w * (4*w - 1)
		t.fa = x * (2*a*w - c*uw*w)
		t.ja = 2*a*w*(2*w-1) - c*uw*w*(4*w-1)
	}
	return t
}

// padeInverse returns the x with f(x) = y.
func padeInverse(a, y float64) float64 {
	if y == 0 || math.IsNaN(y) || math.IsInf(y, 0) {
		return y
	}
	neg := y < 0
	y = math.Abs(y)
	// f(x)/x = 1 + (a²−1) w lies between 1 and a² for x > 0.
	lo, hi := y, y/(a*a)
	if lo > hi {
		lo, hi = hi, lo
	}
	// Start from x₀ = y/(1 + (a²−1) w(y)): exact to leading order at both ends.
	x := y / (1 + (a*a-1)/(1+a*y*y))
	x = min(max(x, lo), hi)
	for range 200 {
		t := padeEval(a, x, false)
		g := t.f - y
		if g == 0 {
			break
		}
		if g > 0 {
			hi = x
		} else {
			lo = x
		}
		xn := x - g/t.j
		if !(xn >= lo && xn <= hi) {
			xn = 0.5 * (lo + hi)
		}
		if math.Abs(xn-x) <= 0x1p-53*x || hi-lo <= 0x1p-53*hi {
			x = xn
			break
		}
		x = xn
	}
	if neg {
		return -x
	}
	return x
}

// Forward maps x to y = f(x) elementwise and adds Σ log f'(x) per sample.
func (l *Pade) Forward(tape *Tape, x, y, logJ []float64) { l.pass(tape, x, y, logJ, false) }

// Inverse maps y to x = f⁻¹(y) elementwise and adds −Σ log f'(x) per sample.
func (l *Pade) Inverse(tape *Tape, y, x, logJ []float64) { l.pass(tape, y, x, logJ, true) }

// pass runs f (inverse = false) or f⁻¹ elementwise from in to out. With x the
// point on f's domain side,
//
//	map:      x = in,         out = f(x),  logJ += Σ log f'(x),
//	inverse:  x = f⁻¹(in),    out = x,     logJ −= Σ log f'(x).
//
// VJP, for L = g·out + gl·logJ: the map has ∂L/∂in = g f' + gl ∂_x f'/f' and
// ∂L/∂a = Σ g ∂_a f + gl ∂_a f'/f'. The inverse has dx/dy = 1/f' and
// dx/da = −∂_a f/f', so with u = g − gl ∂_x f'/f',
// ∂L/∂in = u/f' and ∂L/∂a = Σ −u ∂_a f/f' − gl ∂_a f'/f'.
func (l *Pade) pass(tape *Tape, in, out, logJ []float64, inverse bool) {
	a, da := l.coef()
	f := len(in) / len(logJ)
	for b := range logJ {
		var lj float64
		for i := b * f; i < (b+1)*f; i++ {
			if inverse {
				out[i] = padeInverse(a, in[i])
				lj += math.Log(padeEval(a, out[i], false).j)
			} else {
				t := padeEval(a, in[i], false)
				out[i] = t.f
				lj += math.Log(t.j)
			}
		}
		if inverse {
			logJ[b] -= lj
		} else {
			logJ[b] += lj
		}
	}
	if tape == nil {
		return
	}
	xs := in // the points x: the map's input, a copy of the inverse's output
	if inverse {
		xs = tape.Floats(len(out))
		copy(xs, out)
	}
	tape.Push(func(dout, dlogJ, din []float64, grads *nn.Grads) {
		var ga float64
		for b := range dlogJ {
			gl := dlogJ[b]
			for i := b * f; i < (b+1)*f; i++ {
				t := padeEval(a, xs[i], true)
				if inverse {
					u := dout[i] - gl*t.jx/t.j
					din[i] = u / t.j
					ga += -u*t.fa/t.j - gl*t.ja/t.j
				} else {
					din[i] = dout[i]*t.j + gl*t.jx/t.j
					ga += dout[i]*t.fa + gl*t.ja/t.j
				}
			}
		}
		if grads != nil {
			grads.Of(l.P)[0] += ga * da
		}
	})
}
