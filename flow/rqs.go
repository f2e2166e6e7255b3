package flow

import (
	"math"
	"sync"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/nn"
	"github.com/normflow/normflow-go/spline"
)

// DefaultRQSBound is the half-width B of the spline interval [−B, B] of an
// RQSCoupling when RQSOptions.Bound is 0.
const DefaultRQSBound = 5

// RQSOptions configures an RQSCoupling.
type RQSOptions struct {
	// Knots is the number K ≥ 2 of spline knots; the conditioner has 3K−2
	// output channels: K−1 widths, K−1 heights, K derivatives, in this order.
	Knots int
	// Bound is B > 0, the spline acts on [−B, B] × [−B, B] with linear tails
	// outside; 0 means DefaultRQSBound.
	Bound float64
	// Z2 makes the layer odd, f(−x) = −f(x), with an even log-Jacobian: the
	// conditioner is fed |c| instead of the frozen field c, so the spline
	// parameters θ(|c|) are even in the field for any network (biases
	// allowed), and the spline is in symmetric mode (knots on [0, B],
	// point-reflected about 0), so S_θ(−u) = −S_θ(u) and S′_θ is even. Then
	// y_a(−x) = S_θ(−x_a) = −y_a(x) and logJ = Σ log S′_θ(x_a) is even.
	Z2 bool
}

// RQSCoupling is the rational-quadratic spline coupling y_a = S_{θ_a(c)}(x_a),
// y_f = x_f, with one spline per active site whose 3K−2 unconstrained
// parameters θ_a are the conditioner's outputs at that site (package spline;
// all-zero parameters give the identity). logJ = Σ_active log S′(x_a).
//
// Outside [−B, B] the spline is linear, y = Y_end + D_end (x − X_end), with
// logJ = log D_end and the knot cotangent ∂y/∂D_end = x − X_end as large as
// x: finite while D_end·|x| fits in a float64, provided the conditioner's
// output is bounded (docs/conventions.md §5.18; huge parameters give
// degenerate bins, see package spline).
//
// Cost: the knots are rebuilt (spline.SetParams) once per sample and active
// site in each pass, and once more in its VJP; Spline objects and their
// gather buffers are pooled, so passes allocate nothing per site. The
// exported fields are read-only after construction.
type RQSCoupling struct {
	coupling
	Net   nn.Conditioner
	Knots int
	Bound float64
	Z2    bool
	pool  sync.Pool // *rqsScratch
}

// rqsScratch is one worker's spline and buffers.
type rqsScratch struct {
	sp         *spline.Spline
	par        []float64 // w, h, v of one site (3K−2)
	gX, gY, gD []float64 // knot cotangents (K each)
	gp         []float64 // parameter cotangents of one site (3K−2)
}

// NewRQSCoupling makes a spline coupling on lat transforming the active sites
// of mask; net maps the frozen field [batch, 1, sites] (|frozen field| with
// Z2) to the spline parameters [batch, 3K−2, sites].
func NewRQSCoupling(name string, lat *lattice.Lattice, mask []bool, net nn.Conditioner, opts RQSOptions) (*RQSCoupling, error) {
	c, err := newCoupling("rqs", name, lat, mask, net)
	if err != nil {
		return nil, err
	}
	k := opts.Knots
	if k < 2 {
		return nil, c.errorf("knots = %d: must be at least 2", k)
	}
	bound := opts.Bound
	if bound == 0 {
		bound = DefaultRQSBound
	}
	if !(bound > 0) || math.IsInf(bound, 0) {
		return nil, c.errorf("bound = %g: must be positive and finite", opts.Bound)
	}
	if n := net.OutChannels(); n != 3*k-2 {
		return nil, c.errorf("conditioner has %d output channels, want 3·knots−2 = %d for knots = %d", n, 3*k-2, k)
	}
	l := &RQSCoupling{coupling: c, Net: net, Knots: k, Bound: bound, Z2: opts.Z2}
	l.pool.New = func() any {
		buf := make([]float64, 3*k+2*(3*k-2))
		return &rqsScratch{
			sp:  spline.New(k),
			gX:  buf[0:k:k],
			gY:  buf[k : 2*k : 2*k],
			gD:  buf[2*k : 3*k : 3*k],
			par: buf[3*k : 6*k-2 : 6*k-2],
			gp:  buf[6*k-2:],
		}
	}
	return l, nil
}

// Params lists the conditioner's parameters.
func (l *RQSCoupling) Params() []*nn.Param { return l.Net.Params() }

// Forward maps x to y: y_a = S_{θ_a}(x_a), adding Σ_active log S′(x_a).
func (l *RQSCoupling) Forward(tape *Tape, x, y, logJ []float64) { l.pass(tape, x, y, logJ, false) }

// Inverse maps y to x: x_a = S⁻¹_{θ_a}(y_a), adding Σ_active log (S⁻¹)′(y_a);
// the conditioner sees the frozen part of y (= that of x).
func (l *RQSCoupling) Inverse(tape *Tape, y, x, logJ []float64) { l.pass(tape, y, x, logJ, true) }

// pass runs the splines (inverse = false) or their inverses from in to out at
// the active sites, with the parameters θ_a from the conditioner:
//
//	map:      out_a = S(in_a),    logJ += log S′(in_a),
//	inverse:  out_a = S⁻¹(in_a),  logJ += log (S⁻¹)′(in_a) = −log S′(out_a).
//
// VJP, for L = g·out + gl·logJ: the spline VJP (splineVJP at x_a, the point
// on S's domain side: in_a for the map, out_a for the inverse) gives ∂L/∂in_a
// and the knot cotangents, which ParamsVJP maps to ∂L/∂θ_a; the conditioner
// VJP carries those to the frozen sites.
func (l *RQSCoupling) pass(tape *Tape, in, out, logJ []float64, inverse bool) {
	nb := l.batch(in, out, logJ)
	v, na, cv := l.v, len(l.active), (3*l.Knots-2)*l.v
	field, p, back := l.condition(tape, in, nb)
	var xs []float64 // x_a, kept for the VJP
	if tape != nil {
		xs = tape.Floats(nb * na)
	}
	sc := l.pool.Get().(*rqsScratch)
	copy(out, in)
	for b := range nb {
		var lj float64
		o := b * v
		for a, i := range l.active {
			l.setSpline(sc, p, b*cv+i)
			w, d, x := splineMap(sc.sp, in[o+i], inverse)
			out[o+i] = w
			lj += math.Log(d)
			if xs != nil {
				xs[b*na+a] = x
			}
		}
		logJ[b] += lj
	}
	l.pool.Put(sc)
	if tape == nil {
		return
	}
	dp, dc := tape.Floats(len(p)), tape.Floats(nb*v)
	tape.Push(func(dout, dlogJ, din []float64, grads *nn.Grads) {
		sc := l.pool.Get().(*rqsScratch)
		defer l.pool.Put(sc)
		copy(din, dout)
		for b := range nb {
			o := b * v
			for a, i := range l.active {
				l.setSpline(sc, p, b*cv+i)
				clear(sc.gX)
				clear(sc.gY)
				clear(sc.gD)
				din[o+i] = splineVJP(sc.sp, xs[b*na+a], dout[o+i], dlogJ[b], inverse, sc.gX, sc.gY, sc.gD)
				l.scatterGrads(sc, dp, b*cv+i)
			}
		}
		l.backward(back, dp, dc, field, din, nb, grads)
	})
}

// setSpline gathers the parameters of the site at p[off], p[off+v], … (one
// per channel) and builds the spline's knots.
func (l *RQSCoupling) setSpline(sc *rqsScratch, p []float64, off int) {
	for ch := range sc.par {
		sc.par[ch] = p[off+ch*l.v]
	}
	k := l.Knots
	sc.sp.SetParams(sc.par[:k-1], sc.par[k-1:2*k-2], sc.par[2*k-2:], -l.Bound, l.Bound, -l.Bound, l.Bound, l.Z2)
}

// scatterGrads maps the knot cotangents to the site's parameters and writes
// them to dp[off], dp[off+v], …
func (l *RQSCoupling) scatterGrads(sc *rqsScratch, dp []float64, off int) {
	k := l.Knots
	clear(sc.gp)
	sc.sp.ParamsVJP(sc.gX, sc.gY, sc.gD, sc.gp[:k-1], sc.gp[k-1:2*k-2], sc.gp[2*k-2:])
	for ch, g := range sc.gp {
		dp[off+ch*l.v] = g
	}
}

// condition evaluates the conditioner on the frozen part of in (its absolute
// value with Z2). It returns the frozen field, the parameters [batch, C,
// sites] and the VJP (nil without a tape).
func (l *RQSCoupling) condition(tape *Tape, in []float64, nb int) (field, p []float64, back nn.NetBackward) {
	field = scratch(tape, nb*l.v)
	l.frozenField(in, field, nb)
	nin := field
	if l.Z2 {
		nin = absField(tape, field)
	}
	p = scratch(tape, nb*(3*l.Knots-2)*l.v)
	back = l.Net.Forward(nin, p, nb, tape != nil)
	return field, p, back
}

// backward runs the conditioner VJP on dp and adds the frozen-site
// cotangents to din.
func (l *RQSCoupling) backward(back nn.NetBackward, dp, dc, field, din []float64, nb int, grads *nn.Grads) {
	back(dp, dc, grads)
	if !l.Z2 {
		field = nil
	}
	l.addFrozen(din, dc, field, nb)
}
