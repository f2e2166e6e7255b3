package flow

import (
	"math"

	"github.com/normflow/normflow-go/nn"
)

// Pade11 and Pade22 are elementwise monotone rational ("Padé") maps of the unit
// interval [0, 1] onto itself, the same map at every site, with f(0) = 0,
// f(1) = 1 and f the identity when all parameters are 0 (their initial value).
// They are conveniently written in u = x/(1−x) ∈ [0, ∞) (x = u/(1+u)), but are
// evaluated in x directly so that they stay finite at x = 1. Inputs outside
// [0, 1] (and NaN) give NaN outputs and a NaN log-Jacobian for their sample,
// forward and inverse.

// Pade11 is the Möbius map of [0, 1] onto itself
//
//	f(x) = a x / (1 + (a−1) x),   a = exp(p) > 0,
//
// i.e. u_y = a·u_x in u-space. Its derivative is f'(x) = a / (1 + (a−1) x)²,
// and its inverse is x = y / (a − (a−1) y), the same map with p → −p.
type Pade11 struct {
	// P (1 value) is log a.
	P *nn.Param
}

// NewPade11 makes an identity-initialised Pade11 layer; its parameter is named
// name+".p".
func NewPade11(name string) *Pade11 {
	return &Pade11{P: nn.NewParam(name+".p", 1)}
}

// Params lists the trainable parameter.
func (l *Pade11) Params() []*nn.Param { return []*nn.Param{l.P} }

// unitTerms holds f, f' and log f' at one x and, with grad, the partials of f
// and log f' needed by the VJPs (with respect to x and to each raw parameter).
type unitTerms struct {
	f, j, lj float64    // f(x), f'(x), log f'(x)
	ljx      float64    // ∂ log f'/∂x
	fp, ljp  [3]float64 // ∂f/∂θ_k, ∂ log f'/∂θ_k
}

// nanTerms is what an input outside [0, 1] evaluates to.
var nanTerms = unitTerms{f: math.NaN(), j: math.NaN(), lj: math.NaN(), ljx: math.NaN()}

// pade11Eval evaluates the Pade11 map with parameter p at x. The denominator
// D = 1 + (a−1) x is formed as 1 + (a−1) x for a ≥ 1 and as (1−x) + a x for
// a < 1: sums of non-negative terms either way, exactly 1 at a = 1, and equal
// to a at x = 1 (with a = 1 + expm1(p)), so f(0) = 0, f(1) = 1 exactly.
func pade11Eval(p, x float64, grad bool) unitTerms {
	if !(x >= 0 && x <= 1) {
		return nanTerms
	}
	am1 := math.Expm1(p)
	a := 1 + am1
	var t unitTerms
	var den, logDen float64
	if am1 >= 0 {
		den = 1 + am1*x
		logDen = math.Log1p(am1 * x)
	} else {
		den = (1 - x) + a*x
		logDen = math.Log(den)
	}
	t.f = a * x / den
	t.j = a / (den * den)
	t.lj = p - 2*logDen
	if grad {
		t.ljx = -2 * am1 / den
		t.fp[0] = a * x * (1 - x) / (den * den)
		t.ljp[0] = 1 - 2*a*x/den
	}
	return t
}

// Forward maps x to y = f(x) elementwise and adds Σ log f'(x) per sample.
func (l *Pade11) Forward(tape *Tape, x, y, logJ []float64) {
	p := l.P.Value[0]
	unitPass(tape, x, y, logJ, nil, func(x float64, grad bool) unitTerms {
		return pade11Eval(p, x, grad)
	}, []*nn.Param{l.P}, 1)
}

// Inverse maps y to x = f⁻¹(y) elementwise and adds −Σ log f'(x) per sample.
// f⁻¹ is the Pade11 map with −p, so this is the forward pass at −p with the
// parameter cotangent negated.
func (l *Pade11) Inverse(tape *Tape, y, x, logJ []float64) {
	p := l.P.Value[0]
	unitPass(tape, y, x, logJ, nil, func(y float64, grad bool) unitTerms {
		return pade11Eval(-p, y, grad)
	}, []*nn.Param{l.P}, -1)
}

// Pade22 is the [2/2] rational map of [0, 1] onto itself, in u = x/(1−x),
//
//	f = (u² + b u) / (u² + c u + d),
//	b = exp(pb),  c = b + exp(pc),  d = exp(pd),
//
// evaluated as f = (x² + b x(1−x)) / (x² + c x(1−x) + d (1−x)²). Then
//
//	f'(x) = [(c−b) x² + 2d x(1−x) + b d (1−x)²] / [x² + c x(1−x) + d (1−x)²]²
//
// (df/du = [(c−b)u² + 2du + bd]/(u²+cu+d)² times du/dx = 1/(1−x)²) is a ratio
// of sums of positive terms, so f is strictly increasing, with f(0) = 0,
// f(1) = 1, f'(0) = b/d and f'(1) = c−b. pb = pc = pd = 0 (b = 1, c = 2, d = 1)
// gives the identity. The inverse solves (1−y)u² + (b − cy)u − dy = 0 for its
// non-negative root in a cancellation-free form and returns x = u/(1+u).
type Pade22 struct {
	// PB, PC, PD (1 value each) are log b, log(c−b) and log d.
	PB, PC, PD *nn.Param
}

// NewPade22 makes an identity-initialised Pade22 layer; its parameters are
// named name+".pb", name+".pc" and name+".pd".
func NewPade22(name string) *Pade22 {
	return &Pade22{
		PB: nn.NewParam(name+".pb", 1),
		PC: nn.NewParam(name+".pc", 1),
		PD: nn.NewParam(name+".pd", 1),
	}
}

// Params lists the trainable parameters (pb, pc, pd).
func (l *Pade22) Params() []*nn.Param { return []*nn.Param{l.PB, l.PC, l.PD} }

// coef returns b, e = c − b and d.
func (l *Pade22) coef() (b, e, d float64) {
	return math.Exp(l.PB.Value[0]), math.Exp(l.PC.Value[0]), math.Exp(l.PD.Value[0])
}

// pade22Eval evaluates the Pade22 map with b, e = c − b, d at x. With t = 1−x,
//
//	N = x (x + b t),  D = x² + c x t + d t²,  M = e x² + 2d x t + b d t²,
//
// f = N/D and f' = M/D²; the partials with respect to (pb, pc, pd) use
// D − N = t (e x + d t), so every term is a product of non-negative factors.
func pade22Eval(b, e, d, x float64, grad bool) unitTerms {
	if !(x >= 0 && x <= 1) {
		return nanTerms
	}
	c := b + e
	t := 1 - x
	xt := x * t
	tt := t * t
	num := x * (x + b*t)
	den := x*x + c*xt + d*tt
	m := e*x*x + 2*d*xt + b*d*tt
	var r unitTerms
	r.f = num / den
	r.j = m / (den * den)
	r.lj = math.Log(m) - 2*math.Log(den)
	if grad {
		den2 := den * den
		mx := 2*e*x + 2*d*(t-x) - 2*b*d*t
		dx := 2*x + c*(t-x) - 2*d*t
		r.ljx = mx/m - 2*dx/den
		r.fp[0] = b * xt * t * (e*x + d*t) / den2
		r.fp[1] = -e * num * xt / den2
		r.fp[2] = -d * num * tt / den2
		r.ljp[0] = b*d*tt/m - 2*b*xt/den
		r.ljp[1] = e*x*x/m - 2*e*xt/den
		r.ljp[2] = d*(2*xt+b*tt)/m - 2*d*tt/den
	}
	return r
}

// pade22Inverse returns the x ∈ [0, 1] with f(x) = y. With B = b − cy =
// b(1−y) − e y and Δ = B² + 4(1−y)dy, the root is u = 2dy/(B + √Δ) for B ≥ 0
// and u = (√Δ − B)/(2(1−y)) for B < 0; writing u = num/den, x = num/(num+den),
// which is exact at y = 0 (x = 0) and y = 1 (x = 1).
func pade22Inverse(b, e, d, y float64) float64 {
	switch {
	case !(y >= 0 && y <= 1):
		return math.NaN()
	case y == 0:
		return 0
	case y == 1:
		return 1
	}
	s := 1 - y
	bb := b*s - e*y
	sq := math.Hypot(bb, 2*math.Sqrt(s*d*y))
	var num, den float64
	if bb >= 0 {
		num, den = 2*d*y, bb+sq
	} else {
		num, den = sq-bb, 2*s
	}
	return num / (num + den)
}

// Forward maps x to y = f(x) elementwise and adds Σ log f'(x) per sample.
func (l *Pade22) Forward(tape *Tape, x, y, logJ []float64) {
	b, e, d := l.coef()
	unitPass(tape, x, y, logJ, nil, func(x float64, grad bool) unitTerms {
		return pade22Eval(b, e, d, x, grad)
	}, l.Params(), 1)
}

// Inverse maps y to x = f⁻¹(y) elementwise and adds −Σ log f'(x) per sample.
func (l *Pade22) Inverse(tape *Tape, y, x, logJ []float64) {
	b, e, d := l.coef()
	unitPass(tape, y, x, logJ, func(y float64) float64 {
		return pade22Inverse(b, e, d, y)
	}, func(x float64, grad bool) unitTerms {
		return pade22Eval(b, e, d, x, grad)
	}, l.Params(), 1)
}

// unitPass runs the elementwise map f given by eval (inv == nil) or its
// inverse inv = f⁻¹ from in to out, and records the VJP, adding sign × the
// cotangent of raw parameter θ_k into ps[k] (eval's fp[k], ljp[k]). With x the
// point on f's domain side,
//
//	map:      x = in,         out = f(x),  logJ += Σ log f'(x),
//	inverse:  x = inv(in),    out = x,     logJ −= Σ log f'(x).
//
// VJP, for L = g·out + gl·logJ: the map has ∂L/∂in = g f' + gl ∂_x log f' and
// ∂L/∂θ = g ∂_θ f + gl ∂_θ log f'. The inverse has dx/dy = 1/f' and
// dx/dθ = −∂_θ f/f', so with u = g − gl ∂_x log f',
//
//	∂L/∂in = u/f',  ∂L/∂θ = −u ∂_θ f/f' − gl ∂_θ log f'.
func unitPass(tape *Tape, in, out, logJ []float64, inv func(float64) float64, eval func(float64, bool) unitTerms, ps []*nn.Param, sign float64) {
	inverse := inv != nil
	f := len(in) / len(logJ)
	for b := range logJ {
		var lj float64
		for i := b * f; i < (b+1)*f; i++ {
			if inverse {
				out[i] = inv(in[i])
				lj += eval(out[i], false).lj
			} else {
				t := eval(in[i], false)
				out[i] = t.f
				lj += t.lj
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
		var g [3]float64
		for b := range dlogJ {
			gl := dlogJ[b]
			for i := b * f; i < (b+1)*f; i++ {
				t := eval(xs[i], true)
				if inverse {
					u := dout[i] - gl*t.ljx
					din[i] = u / t.j
					for k := range ps {
						g[k] += -u*t.fp[k]/t.j - gl*t.ljp[k]
					}
				} else {
					din[i] = dout[i]*t.j + gl*t.ljx
					for k := range ps {
						g[k] += dout[i]*t.fp[k] + gl*t.ljp[k]
					}
				}
			}
		}
		if grads != nil {
			for k, p := range ps {
				grads.Of(p)[0] += sign * g[k]
			}
		}
	})
}
