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
//
// Every finite x gives a finite y and log-Jacobian (docs/conventions.md §5.10):
// the map is evaluated in log space from the end of [0,1] that expit(x) is
// near, with the spline in end-relative form (spline.ForwardEnd), so that
// 1 − u and 1 − s are never formed by cancellation. In the tails it is
// linear, y = a(x − log D_{K−1}) + O(e^{−x}) for x → ∞ and
// y = a(x + log D_0) + O(e^{x}) for x → −∞ (in symmetric mode D_{K−1} in
// both, by the reflection),
// with log|dy/dx| → log a. The symmetric map is computed at |x| with the sign
// applied, so it is odd exactly, and near 0 it keeps full relative precision.
// Results overflow only where a·|x| does.
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

// pass runs the map (inverse = false) or its inverse elementwise, with the
// final scale a at the output of the map and at the input of the inverse:
//
//	map:      y = a·F(x),        log|dy/dx| = log F′(x) + log a,
//	inverse:  x = F⁻¹(y/a),      log|dx/dy| = −log F′(x) − log a,
//
// F(x) = logit(S(expit(x))) evaluated by forwardAt and inverseAt. VJP, for
// L = g·out + gl·logJ, at the point x (the map's input, the inverse's output):
//
//	map:      ∂L/∂x = VJP of (F, log F′) with cotangents (a·g, gl),
//	          ∂L/∂a = Σ g·F(x) + gl/a;
//	inverse:  ∂L/∂z = u = (g − gl ∂_x log F′)/F′, z = y/a, ∂L/∂y = u/a,
//	          knot part = VJP of (F, log F′) at x with cotangents (−u, −gl),
//	          ∂L/∂a = Σ −u·z/a − gl/a
//
// (the implicit-function theorem, as spline.InverseVJP). A taped pass keeps
// each point (convPoint, convPointSize values) and, for the scale's
// cotangent, F(x); the VJP then needs no transcendental function.
func (d *DistConvertor) pass(tape *Tape, in, out, logJ []float64, inverse bool) {
	sp := d.spline()
	a, da := d.scale()
	loga := math.Log(a) // ± log a: its sign is the direction's
	if inverse {
		loga = -loga
	}
	f := len(in) / len(logJ)
	var pts, ts []float64 // the points, and F(x) of the map with a scale, kept for the VJP
	if tape != nil {
		pts = tape.Floats(convPointSize * len(in))
		if !inverse && d.Scale != nil {
			ts = tape.Floats(len(in))
		}
	}
	for b := range logJ {
		var lj float64
		for i := b * f; i < (b+1)*f; i++ {
			var c convPoint
			var v, l float64
			if inverse {
				c, v, l = d.inverseAt(sp, in[i]/a)
			} else {
				c, v, l = d.forwardAt(sp, in[i])
				if ts != nil {
					ts[i] = v
				}
				v *= a
			}
			out[i] = v
			lj += l
			if pts != nil {
				c.store(pts[convPointSize*i:])
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
				c := loadPoint(pts[convPointSize*i:])
				g := dout[i]
				if !inverse {
					din[i] = c.vjp(sp, a*g, gl, gX, gY, gD)
					if d.Scale != nil {
						ga += g*ts[i] + gl/a
					}
					continue
				}
				u := (g - gl*c.vjp(sp, 0, 1, nil, nil, nil)) / c.jacobian()
				if gX != nil {
					c.vjp(sp, -u, -gl, gX, gY, gD)
				}
				din[i] = u / a
				if d.Scale != nil {
					ga += -u*(in[i]/a)/a - gl/a
				}
			}
		}
		d.paramGrads(sp, grads, gX, gY, gD, ga*da)
	})
}

// The map F(x) = logit(S(expit(x))) in log space.
//
// Let ζ = |x|, σ = sign x, e = e^{−ζ}, and n = expit(−ζ) = e/(1+e),
// f = expit(ζ) = 1/(1+e): the distances of u = expit(x) from the end of [0,1]
// it is near and from the other end (n ≤ ½ ≤ f), both to full relative
// precision, with log n = −ζ + log f finite for all x. The spline is
// evaluated at the distance n from that end (spline.ForwardEnd): the image's
// distance from the same end is n·R, R the end-relative ratio (→ D_{K−1} or
// D_0 as n → 0), and its distance Y_far from the other end is not small.
// Then logit(s) = ±(log Y_far − log(n·R)):
//
//	F(x) = σ (ζ + log(Y_far/(R f))),
//	log F′(x) = log S′ + log u + log(1−u) − log s − log(1−s) = log(S′ f/(Y_far R)),
//
// (log n cancels in log F′) with Y_far = s for x ≥ 0 and 1 − s for x < 0.
//
// In symmetric mode the spline lives on [½,1] and F is evaluated at ζ, with
// the sign applied: F(x) = σ F(ζ), log F′ even. For ζ ≥ log 3 (n ≤ ¼) it is
// the form above from the upper end (Y_far = s = ½ + YLo). Near the centre,
// ζ < log 3, the point is measured from the lower end instead, at
// v = u − ½ = ½ tanh(ζ/2) = −½ expm1(−ζ)·f (e = 1 + expm1(−ζ) is exact to
// rounding there), so that small x keep their relative precision: with
// s − ½ = YLo and 1 − s = YHi (= ½ − YLo),
//
//	F(x) = σ log1p(2 YLo/YHi),   log F′(x) = log(S′ n f/((½ + YLo) YHi)).
//
// Both forms are exact; they differ at the switch by rounding only.

// ln3 is where the symmetric map switches from the centre form to the end form.
var ln3 = math.Log(3)

// convPoint is one point x of the map F, in the form of forwardAt: the
// logistic distances n, f of u = expit(x), the spline's point and where it
// was measured from. The inverse pass builds it at its solution x.
type convPoint struct {
	sigma float64 // x = σζ; in the end form ζ may be negative after an inverse
	n, f  float64 // expit(−ζ), expit(ζ)
	dist  float64 // the spline's distance from the end it is measured from
	code  float64 // convLower, convUpper (end form), convCentre
	yf, r float64 // end form: Y_far and the end-relative ratio R; centre: s and 1 − s
	deriv float64 // S′
}

// convPoint.code values (floats, as the point is kept on the tape).
const (
	convLower  = 0
	convUpper  = 1
	convCentre = 2
)

// convPointSize is the number of values store writes.
const convPointSize = 8

func (c *convPoint) store(dst []float64) {
	dst = dst[:convPointSize]
	dst[0], dst[1], dst[2], dst[3] = c.sigma, c.n, c.f, c.dist
	dst[4], dst[5], dst[6], dst[7] = c.code, c.yf, c.r, c.deriv
}

func loadPoint(src []float64) convPoint {
	src = src[:convPointSize]
	return convPoint{sigma: src[0], n: src[1], f: src[2], dist: src[3], code: src[4], yf: src[5], r: src[6], deriv: src[7]}
}

// signOf returns +1 for x ≥ 0 (and NaN), −1 for x < 0.
func signOf(x float64) float64 {
	if x < 0 {
		return -1
	}
	return 1
}

// forwardAt returns the point x, F(x) and log F′(x).
func (d *DistConvertor) forwardAt(sp *spline.Spline, x float64) (c convPoint, t, lj float64) {
	c.sigma = signOf(x)
	zeta := math.Abs(x)
	if d.Symmetric && zeta < ln3 {
		em := math.Expm1(-zeta)
		c.f = 1 / (2 + em)
		c.n = (1 + em) * c.f
		c.dist = -0.5 * em * c.f
		c.code = convCentre
		p := sp.ForwardEnd(c.dist, false)
		c.yf, c.r, c.deriv = sp.Y[0]+p.YLo, p.YHi, p.Deriv
		return c, c.sigma * math.Log1p(2*p.YLo/p.YHi), math.Log(p.Deriv * c.n * c.f / (c.yf * c.r))
	}
	e := math.Exp(-zeta)
	c.f = 1 / (1 + e)
	c.n = e * c.f
	c.dist = c.n
	upper := x >= 0 || d.Symmetric
	p := sp.ForwardEnd(c.n, upper)
	c.yf, c.code = p.YHi, convLower
	if upper {
		c.yf, c.code = sp.Y[0]+p.YLo, convUpper
	}
	c.r, c.deriv = p.Ratio, p.Deriv
	return c, c.sigma * (zeta + math.Log(c.yf/(c.r*c.f))), math.Log(c.deriv * c.f / (c.yf * c.r))
}

// inverseAt returns x = F⁻¹(z), log (F⁻¹)′(z) = −log F′(x) and the point x, in
// the log-space form of forwardAt with the roles of the two sides exchanged:
// ζ = |z|, n, f the distances of p = expit(z) from the ends, the spline
// inverted from the end p is near (spline.InverseEnd; the distance of
// w = S⁻¹(p) from it is n/R) and X_far the distance of w from the other end:
//
//	x = σ (ζ + log(X_far R/f)),   log (F⁻¹)′ = log(R f/(S′ X_far)),
//
// and near the centre in symmetric mode, with w − ½ = XLo, 1 − w = XHi:
//
//	x = σ log1p(2 XLo/XHi),   log (F⁻¹)′ = log(n f/(S′ (½ + XLo) XHi)).
//
// The point x is then given by the spline's distances of w (its logistic
// distances 1 − w, w: in the end form ζ = σx, possibly negative).
func (d *DistConvertor) inverseAt(sp *spline.Spline, z float64) (c convPoint, x, lj float64) {
	c.sigma = signOf(z)
	zeta := math.Abs(z)
	if d.Symmetric && zeta < ln3 {
		em := math.Expm1(-zeta)
		f := 1 / (2 + em)
		n := (1 + em) * f
		p := sp.InverseEnd(-0.5*em*f, false)
		c.n, c.f, c.dist, c.code = p.XHi, sp.X[0]+p.XLo, p.XLo, convCentre
		c.yf, c.r, c.deriv = sp.Y[0]+p.YLo, p.YHi, p.Deriv
		return c, c.sigma * math.Log1p(2*p.XLo/p.XHi), math.Log(n * f / (p.Deriv * c.f * c.n))
	}
	e := math.Exp(-zeta)
	f := 1 / (1 + e)
	n := e * f
	upper := z >= 0 || d.Symmetric
	p := sp.InverseEnd(n, upper)
	c.n, c.f, c.yf, c.code = p.XLo, p.XHi, p.YHi, convLower
	if upper {
		c.n, c.f, c.yf, c.code = p.XHi, sp.X[0]+p.XLo, sp.Y[0]+p.YLo, convUpper
	}
	c.dist, c.r, c.deriv = c.n, p.Ratio, p.Deriv
	return c, c.sigma * (zeta + math.Log(c.f*c.r/f)), math.Log(c.r * f / (c.deriv * c.f))
}

// jacobian returns F′(x), as in forwardAt without the logarithm.
func (c *convPoint) jacobian() float64 {
	if c.code == convCentre {
		return c.deriv * c.n * c.f / (c.yf * c.r)
	}
	return c.deriv * c.f / (c.yf * c.r)
}

// vjp is the VJP of (F, log F′) at the point c: for L = gF·F(x) + gJ·log F′(x)
// it returns ∂L/∂x and adds the knot cotangents into gX, gY, gD (nil: none).
// With g = σ gF (the cotangent of F as a function of ζ = σx), dn/dζ = −n f,
// d log n/dζ = −f and d log f/dζ = n:
//
//	end form:  L = g (log Y_far − log R − log n) + gJ (log S′ − log Y_far − log R + log f),
//	           spline cotangents ∂L/∂s = ±(g − gJ)/Y_far, ∂L/∂log R = −g − gJ, ∂L/∂log S′ = gJ
//	           at the distance n, and ∂L/∂ζ = −n f ∂L/∂n + g f + gJ n;
//	centre:    L = g (log s − log(1−s)) + gJ (log S′ + log n + log f − log s − log(1−s)),
//	           ∂L/∂s = (g − gJ)/s + (g + gJ)/(1−s) at the distance v (dv/dζ = n f),
//	           and ∂L/∂ζ = n f ∂L/∂v + gJ (n − f);
//
// then ∂L/∂x = σ ∂L/∂ζ. Every factor is finite in the tails (n → 0 only
// multiplies).
func (c *convPoint) vjp(sp *spline.Spline, gF, gJ float64, gX, gY, gD []float64) float64 {
	g := c.sigma * gF
	if c.code == convCentre {
		gd := sp.ForwardEndVJP(c.dist, false, (g-gJ)/c.yf+(g+gJ)/c.r, 0, gJ, gX, gY, gD)
		return c.sigma * (c.n*c.f*gd + gJ*(c.n-c.f))
	}
	upper, ds := c.code == convUpper, 1.0
	if !upper {
		ds = -1
	}
	gd := sp.ForwardEndVJP(c.dist, upper, ds*(g-gJ)/c.yf, -g-gJ, gJ, gX, gY, gD)
	return c.sigma * (-c.n*c.f*gd + g*c.f + gJ*c.n)
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
