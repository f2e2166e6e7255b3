package flow

import (
	"fmt"
	"math"
	"sync"

	"github.com/normflow/normflow-go/gauge"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/nn"
	"github.com/normflow/normflow-go/spline"
)

// GaugeCoupling is the gauge-equivariant coupling layer of Kanwar et al.
// (arXiv:2003.06413; Albergo et al.'s tutorial arXiv:2101.08176, §"gauge
// equivariant coupling layer") for 2-d U(1) link angles [batch, 2V]
// (package gauge: θ_μ(x), plaquettes θ_P(x) = θ_0(x) + θ_1(x+0̂) − θ_0(x+1̂) − θ_1(x)).
//
// Masks. A layer (μ, offset) updates the links θ_μ(x) on the stripes
// x_ν ≡ offset (mod 4), ν = 1 − μ. Each such link lies in two plaquettes,
// P(x) and P(x − ν̂): the plaquettes P(x) on the stripes are "active" (each
// contains exactly one updated link, θ_μ(x), with sign σ = +1 for μ = 0 and
// −1 for μ = 1), those on the stripes shifted by −ν̂ are "passive" (they
// contain an updated link but are not transformed themselves) and all others
// are "frozen": they contain no updated link, so the layer leaves them
// unchanged. NewGaugeCoupling checks this on the given lattice.
//
// Map. With P the active plaquette angle wrapped into (−π, π] and h a
// circular RQ spline (spline.Circular on u = P + π ∈ (0, 2π]) whose
// parameters come from a conditioner net fed cos θ_P and sin θ_P of the frozen
// plaquettes (two channels, zero at active and passive ones),
//
//	P′ = h(P) = S(P + π) − π,   θ_μ(x) → θ_μ(x) + σ (P′ − P),
//
// so the active plaquette becomes P′ while every other link is unchanged.
// Because S(u) − u is 2π-periodic the shift is a smooth function of the links.
// The Jacobian is triangular (an updated link's new value depends on itself
// through its own active plaquette with ∂/∂θ = σ·σ·h′ = h′, and otherwise on
// frozen plaquettes and links it does not update), so
//
//	logJ = Σ_active log h′(P).
//
// Inverse: the frozen plaquettes, hence the spline parameters, are the same
// on both sides; the new active plaquette is wrap(P′) = h(P) ∈ (−π, π]
// exactly, so P = h⁻¹(wrap(P′)) and θ_μ(x) = θ′_μ(x) − σ (wrap(P′) − P).
//
// Gauge equivariance. The conditioner sees only plaquettes and the update
// adds to a link a function of plaquettes only; plaquettes are gauge
// invariant and a gauge transformation adds to each link a term independent
// of the link angles, so f(g·θ) = g·f(θ) exactly.
//
// VJPs. Every active plaquette is P = Σ_k s_k θ_{l_k} (wrapping shifts by a
// constant), so with cotangents dy, dlogJ of the forward pass and
// L = dy_l σ (h(P) − P) + dlogJ log h′(P) + …, the spline VJP gives
// ∂L/∂P = σ dy_l (h′ − 1) + dlogJ ∂ log h′/∂P and the parameter
// cotangents; ∂L/∂P is spread to the plaquette's four links with their
// signs, and the conditioner's input cotangents (dcos, dsin) to the frozen
// plaquettes' links through ∂P = −sin P dcos + cos P dsin. The inverse pass
// is the same with h replaced by h⁻¹.
//
// Cost: the spline knots (softmax, softplus) are built once per sample and
// active plaquette in a pass; a taped pass saves them (spline.Circular.Save)
// for its VJP.
//
// Concurrency: as for the other couplings, all scratch is per pass (tape
// arena or fresh) and splines are pooled, so workers may run passes
// concurrently.
//
// Range (docs/conventions.md §5.18): links of any magnitude whose plaquette
// sums fit give finite results, but a plaquette is known only to a few
// ulp(max |θ|) and the inverse spline amplifies that by 1/S′: the round trip
// is exact to that precision (tested to |θ| = 10⁶).
type GaugeCoupling struct {
	name   string
	geo    *gauge.Geometry
	Net    nn.Conditioner
	Knots  int
	Mu     int
	Offset int
	v      int
	// per active plaquette: its site, the updated link (index into [2V]) and
	// the link's sign σ in the plaquette.
	activeP []int
	link    []int
	sigma   []float64
	frozenP []int // sites of the frozen plaquettes
	pool    sync.Pool
}

// gaugeScratch is one worker's spline and buffers.
type gaugeScratch struct {
	sp         *spline.Circular
	par        []float64 // w, h, v of one plaquette (3(K−1))
	gX, gY, gD []float64 // knot cotangents (K each)
	gp         []float64 // parameter cotangents of one plaquette
}

// GaugeStripe is the period of the stripes of a GaugeCoupling: links with
// x_ν ≡ offset (mod GaugeStripe) are updated, offset = 0 … GaugeStripe−1.
const GaugeStripe = 4

// NewGaugeCoupling makes the layer (mu, offset) on the 2-d lattice lat with a
// circular spline of knots ≥ 2 knots; net maps the frozen plaquettes
// [batch, 2, V] (cos, sin) to the spline parameters [batch, 3(knots−1), V]
// (widths, heights, derivatives).
func NewGaugeCoupling(name string, lat *lattice.Lattice, mu, offset int, net nn.Conditioner, knots int) (*GaugeCoupling, error) {
	fail := func(format string, args ...any) (*GaugeCoupling, error) {
		return nil, fmt.Errorf("gauge coupling %q: %s", name, fmt.Sprintf(format, args...))
	}
	geo, err := gauge.NewGeometry(lat)
	if err != nil {
		return fail("%v", err)
	}
	if d := geo.Dim(); d != 2 {
		return fail("lattice %v has %d axes: the U(1) gauge coupling is 2-d only (docs/conventions.md §3)", lat, d)
	}
	if mu != 0 && mu != 1 {
		return fail("mu = %d: must be 0 or 1", mu)
	}
	if offset < 0 || offset >= GaugeStripe {
		return fail("offset = %d: must be in 0 … %d", offset, GaugeStripe-1)
	}
	if knots < 2 {
		return fail("knots = %d: must be at least 2", knots)
	}
	if net == nil {
		return fail("conditioner is nil")
	}
	if n := net.InChannels(); n != 2 {
		return fail("conditioner has %d input channels, want 2 (cos and sin of the frozen plaquettes)", n)
	}
	if n := net.OutChannels(); n != 3*(knots-1) {
		return fail("conditioner has %d output channels, want 3·(knots−1) = %d for knots = %d", n, 3*(knots-1), knots)
	}
	v := lat.Volume()
	nu := 1 - mu
	l := &GaugeCoupling{name: name, geo: geo, Net: net, Knots: knots, Mu: mu, Offset: offset, v: v}
	updated := make([]bool, 2*v)
	for x := range v {
		if lat.Coords(x)[nu]%GaugeStripe == offset {
			updated[geo.Link(mu, x)] = true
			l.activeP = append(l.activeP, x)
			l.link = append(l.link, geo.Link(mu, x))
			l.sigma = append(l.sigma, 1-2*float64(mu)) // θ_0(x): +, θ_1(x): −
		}
	}
	if len(l.activeP) == 0 {
		return fail("no links to update: lattice %v has no x_%d ≡ %d (mod %d)", lat, nu, offset, GaugeStripe)
	}
	isActive := make([]bool, v)
	for _, x := range l.activeP {
		isActive[x] = true
	}
	for x := range v {
		n := 0
		for _, k := range geo.Links(x) {
			if updated[k] {
				n++
			}
		}
		switch {
		case isActive[x] && n != 1:
			return fail("lattice %v: the active plaquette at site %d contains %d updated links, want 1 (extent %d along axis %d does not fit stripes of period %d)",
				lat, x, n, lat.Shape()[nu], nu, GaugeStripe)
		case !isActive[x] && n == 0:
			l.frozenP = append(l.frozenP, x)
		}
	}
	k := knots
	l.pool.New = func() any {
		buf := make([]float64, 3*k+2*3*(k-1))
		return &gaugeScratch{
			sp:  spline.NewCircular(k),
			gX:  buf[0:k:k],
			gY:  buf[k : 2*k : 2*k],
			gD:  buf[2*k : 3*k : 3*k],
			par: buf[3*k : 3*k+3*(k-1) : 3*k+3*(k-1)],
			gp:  buf[3*k+3*(k-1):],
		}
	}
	return l, nil
}

// Name is the name given to the constructor.
func (l *GaugeCoupling) Name() string { return l.name }

// Params lists the conditioner's parameters.
func (l *GaugeCoupling) Params() []*nn.Param { return l.Net.Params() }

// ActiveLinks returns the indices (into [2V]) of the links the layer updates.
func (l *GaugeCoupling) ActiveLinks() []int { return append([]int(nil), l.link...) }

// FrozenPlaquettes returns the sites of the plaquettes the conditioner sees.
func (l *GaugeCoupling) FrozenPlaquettes() []int { return append([]int(nil), l.frozenP...) }

// Forward maps θ to θ′ (see the type comment), adding Σ_active log h′(P).
func (l *GaugeCoupling) Forward(tape *Tape, x, y, logJ []float64) { l.pass(tape, x, y, logJ, false) }

// Inverse maps θ′ back to θ, adding Σ_active log (h⁻¹)′(P′).
func (l *GaugeCoupling) Inverse(tape *Tape, y, x, logJ []float64) { l.pass(tape, y, x, logJ, true) }

// setSpline gathers the parameters of the plaquette at p[off], p[off+v], …
func (l *GaugeCoupling) setSpline(sc *gaugeScratch, p []float64, off int) {
	for ch := range sc.par {
		sc.par[ch] = p[off+ch*l.v]
	}
	k := l.Knots - 1
	sc.sp.SetParams(sc.par[:k], sc.par[k:2*k], sc.par[2*k:])
}

// scatterGrads maps the knot cotangents to the plaquette's parameters at dp[off], dp[off+v], …
func (l *GaugeCoupling) scatterGrads(sc *gaugeScratch, dp []float64, off int) {
	k := l.Knots - 1
	clear(sc.gp)
	sc.sp.ParamsVJP(sc.gX, sc.gY, sc.gD, sc.gp[:k], sc.gp[k:2*k], sc.gp[2*k:])
	for ch, g := range sc.gp {
		dp[off+ch*l.v] = g
	}
}

// spread adds g times the link signs of the plaquette at x to d [2V].
func (l *GaugeCoupling) spread(d []float64, x int, g float64) {
	for k, li := range l.geo.Links(x) {
		d[li] += gauge.PlaquetteSigns[k] * g
	}
}

// pass runs the forward map (inverse = false: spline S) or the inverse
// (S⁻¹) from in to out.
func (l *GaugeCoupling) pass(tape *Tape, in, out, logJ []float64, inverse bool) {
	nb := len(logJ)
	v, na := l.v, len(l.activeP)
	if len(in) != nb*2*v || len(out) != nb*2*v {
		panic(fmt.Sprintf("gauge coupling %q: input %d and output %d values for batch %d × 2V = %d",
			l.name, len(in), len(out), nb, 2*v))
	}
	cv := 3 * (l.Knots - 1) * v
	// Conditioner input: cos, sin of the frozen plaquettes [batch, 2, V].
	c := scratch(tape, nb*2*v)
	for b := range nb {
		th := in[b*2*v : (b+1)*2*v]
		for _, x := range l.frozenP {
			p := l.geo.Plaquette(th, x)
			c[b*2*v+x], c[b*2*v+v+x] = math.Cos(p), math.Sin(p)
		}
	}
	p := scratch(tape, nb*cv)
	back := l.Net.Forward(c, p, nb, tape != nil)
	var us []float64 // spline inputs, kept for the VJP: u = P + π (forward) or x = S⁻¹(u′) (inverse)
	var st []float64 // spline states (knots), kept for the VJP
	sc := l.pool.Get().(*gaugeScratch)
	ss := sc.sp.StateSize()
	if tape != nil {
		us = tape.Floats(nb * na)
		st = tape.Floats(nb * na * ss)
	}
	copy(out, in)
	for b := range nb {
		var lj float64
		th := in[b*2*v : (b+1)*2*v]
		o := out[b*2*v : (b+1)*2*v]
		for a, x := range l.activeP {
			l.setSpline(sc, p, b*cv+x)
			if st != nil {
				sc.sp.Save(st[(b*na+a)*ss : (b*na+a+1)*ss])
			}
			u := gauge.Wrap(l.geo.Plaquette(th, x)) + math.Pi
			w, d, xu := splineMap(sc.sp.Spline, u, inverse)
			if us != nil {
				us[b*na+a] = xu
			}
			o[l.link[a]] += l.sigma[a] * (w - u)
			lj += math.Log(d)
		}
		logJ[b] += lj
	}
	l.pool.Put(sc)
	if tape == nil {
		return
	}
	dp, dc := tape.Floats(nb*cv), tape.Floats(nb*2*v)
	tape.Push(func(dout, dlogJ, din []float64, grads *nn.Grads) {
		sc := l.pool.Get().(*gaugeScratch)
		defer l.pool.Put(sc)
		copy(din, dout)
		for b := range nb {
			do := dout[b*2*v : (b+1)*2*v]
			di := din[b*2*v : (b+1)*2*v]
			for a, x := range l.activeP {
				sc.sp.Load(st[(b*na+a)*ss : (b*na+a+1)*ss])
				clear(sc.gX)
				clear(sc.gY)
				clear(sc.gD)
				g := l.sigma[a] * do[l.link[a]]
				du := splineVJP(sc.sp.Spline, us[b*na+a], g, dlogJ[b], inverse, sc.gX, sc.gY, sc.gD)
				l.scatterGrads(sc, dp, b*cv+x)
				l.spread(di, x, du-g)
			}
		}
		back(dp, dc, grads)
		for b := range nb {
			o := b * 2 * v
			di := din[o : o+2*v]
			for _, x := range l.frozenP {
				// c holds cos P, sin P of the frozen plaquettes.
				l.spread(di, x, -c[o+v+x]*dc[o+x]+c[o+x]*dc[o+v+x])
			}
		}
	})
}
