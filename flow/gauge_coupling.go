package flow

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/normflow/normflow-go/gauge"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/nn"
	"github.com/normflow/normflow-go/spline"
)

// GaugeCoupling is the gauge-equivariant coupling layer of Kanwar et al.
// (arXiv:2003.06413; Albergo et al.'s tutorial arXiv:2101.08176, §"gauge
// equivariant coupling layer") for U(1) link angles [batch, d·V] in
// d = 2, 3, 4 (package gauge: θ_μ(x), plaquettes
// θ_μν(x) = θ_μ(x) + θ_ν(x+μ̂) − θ_μ(x+ν̂) − θ_ν(x), μ < ν; in 2-d
// θ_P(x) = θ_0(x) + θ_1(x+0̂) − θ_0(x+1̂) − θ_1(x)), generalised to d > 2 as
// the SU(N) coupling is (flow/sungauge_mask.go, docs/sun.md §10).
//
// Masks. A layer (μ, offset) updates the links θ_μ(x) on the stripes
// x_ν ≡ offset (mod 4), ν = μ+1 mod d (1 − μ in 2-d). Each such link lies in
// 2(d−1) plaquettes: the plaquettes of the plane (μ, ν) at x on the stripes
// are "active" (each contains exactly one updated link, θ_μ(x), with sign
// σ = +1 for μ < ν and −1 for μ > ν, i.e. μ = d−1), the others containing an
// updated link (the (μ, ν) ones at x − ν̂ and those of the planes (μ, ρ),
// ρ ≠ ν) are "passive" (not transformed themselves) and all others, of every
// plane, are "frozen": they contain no updated link, so the layer leaves
// them unchanged. NewGaugeCoupling checks this on the given lattice.
//
// Map. With P the active plaquette angle wrapped into (−π, π] and h a
// circular RQ spline (spline.Circular on u = P + π ∈ (0, 2π]) whose
// parameters come from a conditioner net fed cos θ_P and sin θ_P of the frozen
// plaquettes (2P channels [batch, 2P, V]: cos of the P = d(d−1)/2 planes,
// then sin; two in 2-d; zero at active and passive ones; the parameters of
// the active plaquette at x are read at the site x),
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
	planes int // P = d(d−1)/2
	// per active plaquette: its index p·V + x (gauge.Geometry), its site x,
	// the updated link (index into [d·V]) and the link's sign σ in the
	// plaquette.
	activeP []int
	activeX []int
	link    []int
	sigma   []float64
	frozenP []int // indices p·V + x of the frozen plaquettes, every plane
	pool    sync.Pool
}

// gaugeScratch is one worker's spline and buffers.
type gaugeScratch struct {
	sp         *spline.Circular
	par        []float64 // w, h, v of one plaquette (3(K−1))
	gX, gY, gD []float64 // knot cotangents (K each)
	gp         []float64 // parameter cotangents of one plaquette
}

// newGaugeScratch returns the scratch of a circular spline of k knots and
// its cotangents, in one allocation.
func newGaugeScratch(k int) *gaugeScratch {
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

// GaugeStripe is the period of the stripes of a GaugeCoupling: links with
// x_ν ≡ offset (mod GaugeStripe) are updated, offset = 0 … GaugeStripe−1.
const GaugeStripe = 4

// NewGaugeCoupling makes the layer (mu, offset) on the lattice lat of 2 to 4
// axes with a circular spline of knots ≥ 2 knots; net maps the frozen
// plaquettes [batch, 2P, V] (cos, sin; P = d(d−1)/2 planes) to the spline
// parameters [batch, 3(knots−1), V] (widths, heights, derivatives).
func NewGaugeCoupling(name string, lat *lattice.Lattice, mu, offset int, net nn.Conditioner, knots int) (*GaugeCoupling, error) {
	fail := func(format string, args ...any) (*GaugeCoupling, error) {
		return nil, fmt.Errorf("gauge coupling %q: %s", name, fmt.Sprintf(format, args...))
	}
	geo, err := gauge.NewGeometry(lat)
	if err != nil {
		return fail("%v", err)
	}
	d := geo.Dim()
	if mu < 0 || mu >= d {
		return fail("mu = %d: must be in 0 … %d", mu, d-1)
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
	np := len(geo.Planes())
	if n := net.InChannels(); n != 2*np {
		return fail("conditioner has %d input channels, want 2·%d = %d (cos and sin of the frozen plaquettes of the %d planes)", n, np, 2*np, np)
	}
	if n := net.OutChannels(); n != 3*(knots-1) {
		return fail("conditioner has %d output channels, want 3·(knots−1) = %d for knots = %d", n, 3*(knots-1), knots)
	}
	v := lat.Volume()
	nu := (mu + 1) % d // the stripe direction; 1 − μ in 2-d
	// The active plaquettes lie in the plane (μ, ν): plane index pl, stored
	// as (min, max), in which θ_μ(x) has the sign σ = +1 for μ < ν (first
	// link) and −1 for μ > ν (last link).
	pl, sigma := slices.Index(geo.Planes(), [2]int{min(mu, nu), max(mu, nu)}), 1.0
	if mu > nu {
		sigma = -1
	}
	l := &GaugeCoupling{name: name, geo: geo, Net: net, Knots: knots, Mu: mu, Offset: offset, v: v, planes: np}
	updated := make([]bool, d*v)
	for x := range v {
		if lat.Coords(x)[nu]%GaugeStripe == offset {
			updated[geo.Link(mu, x)] = true
			l.activeP = append(l.activeP, pl*v+x)
			l.activeX = append(l.activeX, x)
			l.link = append(l.link, geo.Link(mu, x))
			l.sigma = append(l.sigma, sigma)
		}
	}
	if len(l.activeP) == 0 {
		return fail("no links to update: lattice %v has no x_%d ≡ %d (mod %d)", lat, nu, offset, GaugeStripe)
	}
	isActive := make([]bool, np*v)
	for _, i := range l.activeP {
		isActive[i] = true
	}
	for i := range np * v {
		n := 0
		for _, k := range geo.Links(i) {
			if updated[k] {
				n++
			}
		}
		switch {
		case isActive[i] && n != 1:
			return fail("lattice %v: the active plaquette at site %d contains %d updated links, want 1 (extent %d along axis %d does not fit stripes of period %d)",
				lat, i%v, n, lat.Shape()[nu], nu, GaugeStripe)
		case !isActive[i] && n == 0:
			l.frozenP = append(l.frozenP, i)
		}
	}
	l.pool.New = func() any { return newGaugeScratch(knots) }
	return l, nil
}

// Name is the name given to the constructor.
func (l *GaugeCoupling) Name() string { return l.name }

// Params lists the conditioner's parameters.
func (l *GaugeCoupling) Params() []*nn.Param { return l.Net.Params() }

// ActiveLinks returns the indices (into [d·V]) of the links the layer updates.
func (l *GaugeCoupling) ActiveLinks() []int { return append([]int(nil), l.link...) }

// FrozenPlaquettes returns the indices p·V + x (plane p, site x; the sites
// in 2-d) of the plaquettes the conditioner sees.
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

// spread adds g times the link signs of the plaquette i = p·V + x to d [d·V].
func (l *GaugeCoupling) spread(d []float64, i int, g float64) {
	for k, li := range l.geo.Links(i) {
		d[li] += gauge.PlaquetteSigns[k] * g
	}
}

// pass runs the forward map (inverse = false: spline S) or the inverse
// (S⁻¹) from in to out.
func (l *GaugeCoupling) pass(tape *Tape, in, out, logJ []float64, inverse bool) {
	nb := len(logJ)
	v, na, f := l.v, len(l.activeP), l.geo.FieldSize()
	if len(in) != nb*f || len(out) != nb*f {
		panic(fmt.Sprintf("gauge coupling %q: input %d and output %d values for batch %d × d·V = %d",
			l.name, len(in), len(out), nb, f))
	}
	cv := 3 * (l.Knots - 1) * v
	// Conditioner input: cos, sin of the frozen plaquettes [batch, 2P, V]
	// (channels: cos of the planes 0 … P−1, then sin of them; [batch, 2, V]
	// in 2-d); pv = P·V.
	pv := l.planes * v
	c := scratch(tape, nb*2*pv)
	for b := range nb {
		th := in[b*f : (b+1)*f]
		for _, i := range l.frozenP {
			p := l.geo.Plaquette(th, i)
			c[b*2*pv+i], c[b*2*pv+pv+i] = math.Cos(p), math.Sin(p)
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
		th := in[b*f : (b+1)*f]
		o := out[b*f : (b+1)*f]
		for a, x := range l.activeP {
			l.setSpline(sc, p, b*cv+l.activeX[a])
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
	dp, dc := tape.Floats(nb*cv), tape.Floats(nb*2*pv)
	tape.Push(func(dout, dlogJ, din []float64, grads *nn.Grads) {
		sc := l.pool.Get().(*gaugeScratch)
		defer l.pool.Put(sc)
		copy(din, dout)
		for b := range nb {
			do := dout[b*f : (b+1)*f]
			di := din[b*f : (b+1)*f]
			for a, x := range l.activeP {
				sc.sp.Load(st[(b*na+a)*ss : (b*na+a+1)*ss])
				clear(sc.gX)
				clear(sc.gY)
				clear(sc.gD)
				g := l.sigma[a] * do[l.link[a]]
				du := splineVJP(sc.sp.Spline, us[b*na+a], g, dlogJ[b], inverse, sc.gX, sc.gY, sc.gD)
				l.scatterGrads(sc, dp, b*cv+l.activeX[a])
				l.spread(di, x, du-g)
			}
		}
		back(dp, dc, grads)
		for b := range nb {
			o := b * 2 * pv
			di := din[b*f : (b+1)*f]
			for _, i := range l.frozenP {
				// c holds cos P, sin P of the frozen plaquettes.
				l.spread(di, i, -c[o+pv+i]*dc[o+i]+c[o+i]*dc[o+pv+i])
			}
		}
	})
}
