package flow

import (
	"fmt"
	"math"
	"math/cmplx"
	"sync"

	"github.com/normflow/normflow-go/gauge"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/nn"
)

// U1StapleCoupling is the stapled-link coupling of U(1) link angles
// [batch, d·V] in d = 2, 3, 4 (docs/conventions.md §5.16.1; the U(1) analogue
// of StapleCoupling, docs/sun.md §10.7, after the stapled-link flows of
// Komijani & Marinkovic, arXiv:2501.18288, with the circular splines of
// Kanwar et al., arXiv:2003.06413). With the staple sum of θ_μ(x)
//
//	A(x) = Σ_{ν≠μ} [e^{i(θ_ν(x+μ̂) − θ_μ(x+ν̂) − θ_ν(x))} + e^{i(−θ_ν(x+μ̂−ν̂) − θ_μ(x−ν̂) + θ_ν(x−ν̂))}]
//
// the 2(d−1) plaquettes containing θ_μ(x) have Σ_P cos θ_P =
// Re(e^{iθ_μ(x)} A) (docs/conventions.md §3), so the link's conditional
// density given all other links is von Mises in w = θ_μ(x) + arg A,
// ∝ exp(β|A| cos w).
//
// Mask: the links θ_μ(x) of one direction μ on the sites of one parity p,
// (Σ_ν x_ν) mod 2 = p (even extents); every link of their staples is
// frozen. Map: with u = wrap(θ_μ(x) + arg A) + π ∈ (0, 2π] and S a circular
// RQ spline (spline.Circular, 3(K−1) parameters per site, as in
// GaugeCoupling) whose parameters a per-site conditioner computes from the
// gauge-invariant feature s = |A|/(2(d−1)) ∈ [0, 1] (one channel [batch, 1,
// V], zero on the sites of the other parity),
//
//	θ_μ(x) → θ_μ(x) + S(u) − u,
//
// i.e. w′ = h(w), θ′ = w′ − arg A. S(u) − u is 2π-periodic, so the shift is
// a smooth function of the links; the output is not wrapped. logJ =
// Σ_active log S′(u): each updated link depends on itself only through u,
// and otherwise on frozen links. Inverse: A and s are the same on both
// sides, u = S⁻¹(u′), θ = θ′ − (u′ − u).
//
// Gauge equivariance: under θ_μ(x) → θ_μ(x) + α(x) − α(x+μ̂), arg A shifts by
// α(x+μ̂) − α(x) (mod 2π), so w and |A| are invariant and the shift S(u) − u
// is too.
//
// VJPs: with dy the cotangent of θ′_μ(x) and du the spline VJP's cotangent
// of u (splineVJP: dy S′ + dlogJ ∂log S′/∂u), θ_μ(x) gets dy + (du − dy) and
// arg A gets g_arg = du − dy. With z_j = e^{iφ_j} the staple terms and φ_j
// = Σ ±θ of its links, ∂ arg A/∂φ_j = Re(z_j Ā)/|A|² and ∂|A|/∂φ_j =
// −Im(z_j Ā)/|A|, so φ_j gets g_arg Re(z_j Ā)/|A|² − g_|A| Im(z_j Ā)/|A|,
// spread to its three links with their signs. At A = 0 (measure zero)
// the cotangents through A are dropped.
type U1StapleCoupling struct {
	name       string
	Mu, Parity int
	Net        nn.Conditioner
	Knots      int
	geo        *gauge.Geometry
	active     []int // sites x of the updated links θ_μ(x)
	pool       sync.Pool
}

// NewU1StapleCoupling makes the U(1) stapled-link coupling (mu, parity) on
// lat (2 to 4 axes, all extents even) with a circular spline of knots ≥ 2
// knots; net maps [batch, 1, V] (s = |A|/(2(d−1))) to [batch, 3(knots−1),
// V] (widths, heights, derivatives).
func NewU1StapleCoupling(name string, lat *lattice.Lattice, mu, parity int, net nn.Conditioner, knots int) (*U1StapleCoupling, error) {
	fail := func(format string, args ...any) (*U1StapleCoupling, error) {
		return nil, fmt.Errorf("u1 staple coupling %q: %s", name, fmt.Sprintf(format, args...))
	}
	if lat == nil {
		return fail("lattice is nil")
	}
	geo, err := gauge.NewGeometry(lat)
	if err != nil {
		return fail("%v", err)
	}
	d := geo.Dim()
	if mu < 0 || mu >= d {
		return fail("mu = %d: must be a direction in 0 … %d", mu, d-1)
	}
	if parity != 0 && parity != 1 {
		return fail("parity = %d: must be 0 or 1", parity)
	}
	active, err := evenOddSites(lat, parity)
	if err != nil {
		return fail("%v", err)
	}
	if knots < 2 {
		return fail("knots = %d: must be at least 2", knots)
	}
	if net == nil {
		return fail("conditioner is nil")
	}
	if c := net.InChannels(); c != 1 {
		return fail("conditioner has %d input channels, want 1 (|A|/(2(d−1)) of the staple sum)", c)
	}
	if c := net.OutChannels(); c != 3*(knots-1) {
		return fail("conditioner has %d output channels, want 3·(knots−1) = %d for knots = %d", c, 3*(knots-1), knots)
	}
	l := &U1StapleCoupling{name: name, Mu: mu, Parity: parity, Net: net, Knots: knots, geo: geo}
	l.active = active
	l.pool.New = func() any { return newGaugeScratch(knots) }
	return l, nil
}

var _ Layer = (*U1StapleCoupling)(nil)

// Name is the name given to the constructor.
func (l *U1StapleCoupling) Name() string { return l.name }

// Params lists the conditioner's parameters.
func (l *U1StapleCoupling) Params() []*nn.Param { return l.Net.Params() }

// Active returns the sites x of the updated links θ_μ(x).
func (l *U1StapleCoupling) Active() []int { return append([]int(nil), l.active...) }

// Forward maps θ to θ′, adding Σ_active log S′(u).
func (l *U1StapleCoupling) Forward(tape *Tape, x, y, logJ []float64) {
	l.pass(tape, x, y, logJ, false)
}

// Inverse maps θ′ back to θ, adding Σ_active log (S⁻¹)′(u′).
func (l *U1StapleCoupling) Inverse(tape *Tape, y, x, logJ []float64) {
	l.pass(tape, y, x, logJ, true)
}

// staple returns the staple sum A = Σ_j e^{iφ_j} of θ_μ(x) in th [d·V].
func (l *U1StapleCoupling) staple(th []float64, x int) complex128 {
	var a complex128
	l.staplePhases(th, x, func(_ [3]int, _ [3]float64, phi float64) {
		a += cmplx.Rect(1, phi)
	})
	return a
}

// staplePhases calls f with the three links (indices into [d·V]), their
// signs and the phase φ of every staple term of θ_μ(x).
func (l *U1StapleCoupling) staplePhases(th []float64, x int, f func(links [3]int, signs [3]float64, phi float64)) {
	g, mu := l.geo, l.Mu
	lat := g.Lattice()
	xm := lat.Fwd(mu, x)
	up, down := [3]float64{1, -1, -1}, [3]float64{-1, -1, 1}
	for nu := range g.Dim() {
		if nu == mu {
			continue
		}
		// up: θ_ν(x+μ̂) − θ_μ(x+ν̂) − θ_ν(x)
		k := [3]int{g.Link(nu, xm), g.Link(mu, lat.Fwd(nu, x)), g.Link(nu, x)}
		f(k, up, th[k[0]]-th[k[1]]-th[k[2]])
		// down: −θ_ν(x+μ̂−ν̂) − θ_μ(x−ν̂) + θ_ν(x−ν̂)
		y := lat.Bwd(nu, x)
		k = [3]int{g.Link(nu, lat.Bwd(nu, xm)), g.Link(mu, y), g.Link(nu, y)}
		f(k, down, -th[k[0]]-th[k[1]]+th[k[2]])
	}
}

// pass runs the forward map (S) or the inverse (S⁻¹) from in to out.
func (l *U1StapleCoupling) pass(tape *Tape, in, out, logJ []float64, inverse bool) {
	g := l.geo
	nb, fs, v := len(logJ), g.FieldSize(), g.Volume()
	if len(in) != nb*fs || len(out) != nb*fs {
		panic(fmt.Sprintf("u1 staple coupling %q: input %d and output %d values for batch %d × d·V = %d", l.name, len(in), len(out), nb, fs))
	}
	na, cv := len(l.active), 3*(l.Knots-1)*v
	norm := 1 / float64(2*(g.Dim()-1))
	// A of every active link [batch, active], kept for the VJP
	as := scratch(tape, 2*nb*na)
	c := scratch(tape, nb*v) // s = |A|/(2(d−1)) [batch, 1, V]
	clear(c)
	for b := range nb {
		th := in[b*fs : (b+1)*fs]
		for i, x := range l.active {
			a := l.staple(th, x)
			as[2*(b*na+i)], as[2*(b*na+i)+1] = real(a), imag(a)
			c[b*v+x] = cmplx.Abs(a) * norm
		}
	}
	p := scratch(tape, nb*cv)
	back := l.Net.Forward(c, p, nb, tape != nil)
	var us, st []float64 // spline inputs and states, kept for the VJP
	sc := l.pool.Get().(*gaugeScratch)
	ss := sc.sp.StateSize()
	if tape != nil {
		us = tape.Floats(nb * na)
		st = tape.Floats(nb * na * ss)
	}
	copy(out, in)
	for b := range nb {
		var lj float64
		o := out[b*fs : (b+1)*fs]
		for i, x := range l.active {
			l.setSpline(sc, p, b*cv+x, v)
			if st != nil {
				sc.sp.Save(st[(b*na+i)*ss : (b*na+i+1)*ss])
			}
			k := g.Link(l.Mu, x)
			arg := math.Atan2(as[2*(b*na+i)+1], as[2*(b*na+i)])
			u := gauge.Wrap(o[k]+arg) + math.Pi
			w, d, xu := splineMap(sc.sp.Spline, u, inverse)
			if us != nil {
				us[b*na+i] = xu
			}
			o[k] += w - u
			lj += math.Log(d)
		}
		logJ[b] += lj
	}
	l.pool.Put(sc)
	if tape == nil {
		return
	}
	dp, dc := tape.Floats(nb*cv), tape.Floats(nb*v)
	saved := tape.Floats(nb * fs)
	copy(saved, in)
	tape.Push(func(dout, dlogJ, din []float64, grads *nn.Grads) {
		sc := l.pool.Get().(*gaugeScratch)
		defer l.pool.Put(sc)
		copy(din, dout)
		clear(dp)
		garg := make([]float64, nb*na) // cotangent of arg A of every active link
		for b := range nb {
			do := dout[b*fs : (b+1)*fs]
			di := din[b*fs : (b+1)*fs]
			for i, x := range l.active {
				sc.sp.Load(st[(b*na+i)*ss : (b*na+i+1)*ss])
				clear(sc.gX)
				clear(sc.gY)
				clear(sc.gD)
				k := g.Link(l.Mu, x)
				gy := do[k]
				du := splineVJP(sc.sp.Spline, us[b*na+i], gy, dlogJ[b], inverse, sc.gX, sc.gY, sc.gD)
				l.scatterGrads(sc, dp, b*cv+x, v)
				di[k] += du - gy
				garg[b*na+i] = du - gy
			}
		}
		clear(dc)
		back(dp, dc, grads)
		for b := range nb {
			th := saved[b*fs : (b+1)*fs]
			di := din[b*fs : (b+1)*fs]
			for i, x := range l.active {
				a := complex(as[2*(b*na+i)], as[2*(b*na+i)+1])
				r := cmplx.Abs(a)
				if r == 0 {
					continue
				}
				ga, gr := garg[b*na+i], dc[b*v+x]*norm
				ac := cmplx.Conj(a)
				l.staplePhases(th, x, func(links [3]int, signs [3]float64, phi float64) {
					z := cmplx.Rect(1, phi) * ac
					gphi := ga*real(z)/(r*r) - gr*imag(z)/r
					for j, lk := range links {
						di[lk] += signs[j] * gphi
					}
				})
			}
		}
	})
}

// setSpline gathers the parameters of the site at p[off], p[off+v], …
func (l *U1StapleCoupling) setSpline(sc *gaugeScratch, p []float64, off, v int) {
	for ch := range sc.par {
		sc.par[ch] = p[off+ch*v]
	}
	k := l.Knots - 1
	sc.sp.SetParams(sc.par[:k], sc.par[k:2*k], sc.par[2*k:])
}

// scatterGrads maps the knot cotangents to the site's parameters at
// dp[off], dp[off+v], …
func (l *U1StapleCoupling) scatterGrads(sc *gaugeScratch, dp []float64, off, v int) {
	k := l.Knots - 1
	clear(sc.gp)
	sc.sp.ParamsVJP(sc.gX, sc.gY, sc.gD, sc.gp[:k], sc.gp[k:2*k], sc.gp[2*k:])
	for ch, gv := range sc.gp {
		dp[off+ch*v] = gv
	}
}
