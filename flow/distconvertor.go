package flow

import (
	"fmt"
	"math"
	"slices"
	"sync/atomic"

	"github.com/normflow/normflow-go/nn"
	"github.com/normflow/normflow-go/spline"
)

// softplusBeta is the sharpness β = ln 2 of softplus_β(v) = log(1+e^{βv})/β,
// chosen so that softplus_β(0) = 1 (docs/conventions.md §5.2).
const softplusBeta = math.Ln2

// DistConvertor is the seed library's distribution convertor (DistConvertor_):
// an elementwise map, the same at every site,
//
//	y = a · logit(S(expit(x))),
//
// where S is a trainable rational-quadratic spline on [0,1] (in symmetric mode
// defined on [½,1] and reflected, so that f(−x) = −f(x)), and a = softplus_β(p)
// an optional trainable final scale (a = 1 without it). All parameters zero
// give the identity. With u = expit(x), s = S(u), the log-Jacobian per element is
//
//	log|dy/dx| = log S'(u) + log u + log(1−u) − log s − log(1−s) + log a.
type DistConvertor struct {
	Knots     int
	Symmetric bool
	// Widths (K−1), Heights (K−1) and Derivs (K) are the spline's unconstrained
	// parameters; Scale (1, or nil) the final scale's.
	Widths, Heights, Derivs, Scale *nn.Param

	// cache holds the spline of the parameter values it was built from, so the
	// knots are computed once per optimiser step, not once per pass.
	cache atomic.Pointer[splineCache]
}

type splineCache struct {
	params []float64 // widths, heights, derivs concatenated
	sp     *spline.Spline
}

// NewDistConvertor makes an identity-initialised convertor with knots ≥ 2
// spline knots. Parameter names start with name (e.g. "flow.0").
func NewDistConvertor(name string, knots int, symmetric, finalScale bool) (*DistConvertor, error) {
	if knots < 2 {
		return nil, fmt.Errorf("dist_convertor: knots = %d: must be at least 2", knots)
	}
	d := &DistConvertor{
		Knots: knots, Symmetric: symmetric,
		Widths:  nn.NewParam(name+".widths", knots-1),
		Heights: nn.NewParam(name+".heights", knots-1),
		Derivs:  nn.NewParam(name+".derivs", knots),
	}
	if finalScale {
		d.Scale = nn.NewParam(name+".scale", 1)
	}
	return d, nil
}

// Params lists the trainable parameters.
func (d *DistConvertor) Params() []*nn.Param {
	ps := []*nn.Param{d.Widths, d.Heights, d.Derivs}
	if d.Scale != nil {
		ps = append(ps, d.Scale)
	}
	return ps
}

// spline returns the spline of the current parameters. It is rebuilt only
// when they changed since the last call; the returned spline is read-only and
// may be shared by concurrent passes.
func (d *DistConvertor) spline() *spline.Spline {
	w, h, v := d.Widths.Value, d.Heights.Value, d.Derivs.Value
	if c := d.cache.Load(); c != nil {
		p := c.params
		if slices.Equal(p[:len(w)], w) && slices.Equal(p[len(w):len(w)+len(h)], h) && slices.Equal(p[len(w)+len(h):], v) {
			return c.sp
		}
	}
	s := spline.New(d.Knots)
	s.SetParams(w, h, v, 0, 1, 0, 1, d.Symmetric)
	d.cache.Store(&splineCache{params: slices.Concat(w, h, v), sp: s})
	return s
}

// scale returns a = softplus_β(p) and da/dp = expit(βp) (1, 0 without a scale).
func (d *DistConvertor) scale() (a, da float64) {
	if d.Scale == nil {
		return 1, 0
	}
	p := softplusBeta * d.Scale.Value[0]
	return softplus(p) / softplusBeta, expit(p)
}

// Forward maps x to y = a·logit(S(expit(x))), adding log|dy/dx|.
func (d *DistConvertor) Forward(tape *Tape, x, y, logJ []float64) { d.pass(tape, x, y, logJ, false) }

// Inverse maps y to x = logit(S⁻¹(expit(y/a))), adding log|dx/dy|.
func (d *DistConvertor) Inverse(tape *Tape, y, x, logJ []float64) { d.pass(tape, y, x, logJ, true) }

// pass runs the map (inverse = false) or its inverse elementwise. Both are
// the chain z → p = expit(z) → q = S^{±1}(p) → logit(q), with the scale a at
// the output of the map and at the input of the inverse:
//
//	map:      z = x,    q = S(p),    y = a·logit(q),  log|dy/dx| = log S′(p) + λ + log a,
//	inverse:  z = y/a,  q = S⁻¹(p),  x = logit(q),    log|dx/dy| = log (S⁻¹)′(p) + λ − log a,
//
// λ = log p(1−p) − log q(1−q). VJP, for L = dout·out + gl·logJ, with g the
// cotangent of logit(q) (a·dout for the map, dout for the inverse):
//
//	gq = (g + gl(2q−1)) / (q(1−q)),   gp = spline VJP of (gq, gl),
//	gz = gp·p(1−p) + gl(1−2p),   ∂L/∂in = gz (map) or gz/a (inverse),
//	∂L/∂a = Σ dout·logit(q) + gl/a (map) or Σ −gz·z/a − gl/a (inverse).
func (d *DistConvertor) pass(tape *Tape, in, out, logJ []float64, inverse bool) {
	sp := d.spline()
	a, da := d.scale()
	loga := math.Log(a) // ± log a: its sign is the direction's
	if inverse {
		loga = -loga
	}
	f := len(in) / len(logJ)
	// With a tape, keep p and q for the VJP (it then needs no transcendental
	// function and no spline evaluation of its own).
	var ps, qs []float64
	if tape != nil {
		ps, qs = tape.Floats(len(in)), tape.Floats(len(in))
	}
	for b := range logJ {
		var lj float64
		// log|dout/din| = log[(S^{±1})′(p) · p(1−p) / (q(1−q))] ± log a: one log per element.
		for i := b * f; i < (b+1)*f; i++ {
			z := in[i]
			if inverse {
				z /= a
			}
			p, dp := expitD(z)
			q, dq, _ := splineMap(sp, p, inverse)
			r := 1 / (q * (1 - q))
			lq := math.Log(q * q * r) // logit(q) = log(q/(1−q))
			if !inverse {
				lq *= a
			}
			out[i] = lq
			lj += math.Log(dq * dp * r)
			if ps != nil {
				ps[i], qs[i] = p, q
			}
		}
		logJ[b] += lj + float64(f)*loga
	}
	if tape == nil {
		return
	}
	tape.Push(func(dout, dlogJ, din []float64, grads *nn.Grads) {
		gX, gY, gD := d.knotGrads(grads)
		var ga float64
		for b := range dlogJ {
			gl := dlogJ[b]
			for i := b * f; i < (b+1)*f; i++ {
				p, q := ps[i], qs[i]
				var x, g float64 // the spline's domain point, the cotangent of logit(q)
				if inverse {
					x, g = q, dout[i]
				} else {
					x, g = p, dout[i]*a
				}
				gq := (g + gl*(2*q-1)) / (q * (1 - q))
				gp := splineVJP(sp, x, gq, gl, inverse, gX, gY, gD)
				gz := gp*p*(1-p) + gl*(1-2*p)
				if inverse {
					din[i] = gz / a
					if d.Scale != nil {
						ga += -gz*(in[i]/a)/a - gl/a
					}
				} else {
					din[i] = gz
					if d.Scale != nil {
						ga += dout[i]*math.Log(q/(1-q)) + gl/a
					}
				}
			}
		}
		d.paramGrads(sp, grads, gX, gY, gD, ga*da)
	})
}

// knotGrads allocates knot cotangent buffers when parameter gradients are wanted.
func (d *DistConvertor) knotGrads(grads *nn.Grads) (gX, gY, gD []float64) {
	if grads == nil {
		return nil, nil, nil
	}
	buf := make([]float64, 3*d.Knots)
	return buf[:d.Knots], buf[d.Knots : 2*d.Knots], buf[2*d.Knots:]
}

// paramGrads maps knot cotangents to the parameters and adds the scale's.
func (d *DistConvertor) paramGrads(sp *spline.Spline, grads *nn.Grads, gX, gY, gD []float64, gp float64) {
	if grads == nil {
		return
	}
	sp.ParamsVJP(gX, gY, gD, grads.Of(d.Widths), grads.Of(d.Heights), grads.Of(d.Derivs))
	if d.Scale != nil {
		grads.Of(d.Scale)[0] += gp
	}
}

// expit is the logistic function 1/(1+e^{−x}).
func expit(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// softplus is log(1+eˣ), stable for large |x|.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// expitD returns u = expit(x) and its derivative u(1−u) = e/(1+e)² with
// e = exp(−|x|), accurate in both tails.
func expitD(x float64) (u, du float64) {
	e := math.Exp(-math.Abs(x))
	r := 1 / (1 + e)
	du = e * r * r
	if x >= 0 {
		return r, du
	}
	return e * r, du
}
