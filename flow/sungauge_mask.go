package flow

import (
	"fmt"

	"github.com/normflow/normflow-go/sun"
	"github.com/normflow/normflow-go/sungauge"
)

// The masks and the link update of gauge-equivariant coupling layers for
// SU(N) links in d = 2, 3, 4 (issue 16 item 3; Boyda et al.,
// arXiv:2008.05456, after Kanwar et al., arXiv:2003.06413): the layer with
// its conditioner and VJPs is SUNGaugeCoupling (docs/sun.md §10.5).

// SUNGaugeStripe is the usual period of the stripes of an SU(N) gauge mask:
// the links U_μ(x) with x_ν ≡ offset (mod period) are updated. With period
// 4 the stripes x_ν ≡ offset + 1, offset + 2 keep frozen plaquettes in the
// (μ, ν) plane, which 2-d needs for any context; period 2 (extents of 2
// allowed) leaves none there, only in the other planes.
const SUNGaugeStripe = 4

// SUNGaugeMask is the mask of one SU(N) gauge coupling (docs/sun.md §10.5):
// it updates the links U_μ(x) with x_ν ≡ Offset (mod Period), each through its
// "active" plaquette W = U_μν(x) = U_μ(x) S(x), S(x) = U_ν(x+μ̂) U_μ(x+ν̂)†
// U_ν(x)† (the up staple in the ν direction, all of whose links are frozen);
// the "frozen" plaquettes, of every plane, are those that contain no updated
// link, and only they may feed the conditioner.
type SUNGaugeMask struct {
	geo                    *sungauge.Geometry
	Mu, Nu, Period, Offset int
	active                 []int    // sites x of the updated links U_μ(x)
	frozen                 [][]bool // [plane][site]: the plaquette contains no updated link
	planes                 [][2]int // (μ, ν), μ < ν, in order
}

// NewSUNGaugeMask returns the mask (mu, nu, period, offset) on geo; mu ≠ nu
// are directions, period is 2 or 4 (SUNGaugeStripe) and 0 ≤ offset <
// period. The extent along nu must be a multiple of the period (for the
// stripes to close around the torus); it checks on the lattice that every
// active plaquette contains exactly one updated link.
func NewSUNGaugeMask(geo *sungauge.Geometry, mu, nu, period, offset int) (*SUNGaugeMask, error) {
	d := geo.Dim()
	if mu < 0 || mu >= d || nu < 0 || nu >= d || mu == nu {
		return nil, fmt.Errorf("sun gauge mask: mu = %d, nu = %d: need two different directions in 0 … %d", mu, nu, d-1)
	}
	if period != 2 && period != 4 {
		return nil, fmt.Errorf("sun gauge mask: period = %d: allowed: 2 or 4", period)
	}
	if offset < 0 || offset >= period {
		return nil, fmt.Errorf("sun gauge mask: offset = %d: must be in 0 … %d", offset, period-1)
	}
	lat := geo.Lattice()
	if l := lat.Shape()[nu]; l%period != 0 {
		return nil, fmt.Errorf("sun gauge mask: lattice %v has extent %d along axis %d: stripes of period %d need a multiple of %d", lat, l, nu, period, period)
	}
	m := &SUNGaugeMask{geo: geo, Mu: mu, Nu: nu, Period: period, Offset: offset}
	v := geo.Volume()
	updated := make([]bool, geo.Links())
	for x := range v {
		if lat.Coords(x)[nu]%period == offset {
			m.active = append(m.active, x)
			updated[geo.Link(mu, x)] = true
		}
	}
	for a := range d {
		for b := a + 1; b < d; b++ {
			m.planes = append(m.planes, [2]int{a, b})
			fr := make([]bool, v)
			for x := range v {
				// U_ab(x) has U_a(x), U_b(x+â), U_a(x+b̂), U_b(x)
				fr[x] = !updated[geo.Link(a, x)] && !updated[geo.Link(b, geo.Fwd(a, x))] &&
					!updated[geo.Link(a, geo.Fwd(b, x))] && !updated[geo.Link(b, x)]
			}
			m.frozen = append(m.frozen, fr)
		}
	}
	for _, x := range m.active {
		if updated[geo.Link(mu, geo.Fwd(nu, x))] {
			return nil, fmt.Errorf("sun gauge mask: lattice %v: the active plaquette at site %d contains two updated links", lat, x)
		}
	}
	return m, nil
}

// Active returns the sites x of the updated links U_μ(x).
func (m *SUNGaugeMask) Active() []int { return append([]int(nil), m.active...) }

// Planes returns the planes (μ, ν), μ < ν, in the order of the features.
func (m *SUNGaugeMask) Planes() [][2]int { return append([][2]int(nil), m.planes...) }

// Frozen reports whether the plaquette of plane p (index into Planes) at
// site x contains no updated link.
func (m *SUNGaugeMask) Frozen(p, x int) bool { return m.frozen[p][x] }

// FeatureChannels is the number of conditioner input channels: Re and Im of
// (1/N) Tr of the plaquette of each plane, 2·d(d−1)/2.
func (m *SUNGaugeMask) FeatureChannels() int { return 2 * len(m.planes) }

// Features writes the gauge-invariant context of one configuration f [d,
// sites…, N, N, 2] into out [2·planes, V]: channel 2p is (1/N) Re Tr and
// channel 2p+1 (1/N) Im Tr of the plaquette of plane p at each site where it
// is frozen, 0 where it is not. (For SU(3) the trace fixes the conjugacy
// class, for SU(2) its real part does.) The features do not depend on the
// updated links, so the conditioner's output does not either.
func (m *SUNGaugeMask) Features(f, out []float64) {
	v, n := m.geo.Volume(), m.geo.ColorN()
	if len(f) != m.geo.FieldSize() || len(out) != 2*len(m.planes)*v {
		panic(fmt.Sprintf("sun gauge mask: Features of %d values into %d, want %d into %d", len(f), len(out), m.geo.FieldSize(), 2*len(m.planes)*v))
	}
	u := sun.Complex(f)
	var pb [9]complex128
	pm := pb[:n*n]
	for p, pl := range m.planes {
		re, im := out[2*p*v:(2*p+1)*v], out[(2*p+1)*v:(2*p+2)*v]
		for x := range v {
			if !m.frozen[p][x] {
				re[x], im[x] = 0, 0
				continue
			}
			m.geo.Plaquette(pm, u, pl[0], pl[1], x)
			tr := sun.Trace(pm) / complex(float64(n), 0)
			re[x], im[x] = real(tr), imag(tr)
		}
	}
}

// staple sets dst = S(x) = U_ν(x+μ̂) U_μ(x+ν̂)† U_ν(x)†, so that the active
// plaquette is U_μ(x) S(x).
func (m *SUNGaugeMask) staple(dst, u []complex128, x int) {
	g := m.geo
	var tb [9]complex128
	t := tb[:len(dst)]
	sun.MulAdj(t, g.U(u, m.Nu, g.Fwd(m.Mu, x)), g.U(u, m.Mu, g.Fwd(m.Nu, x)))
	sun.MulAdj(dst, t, g.U(u, m.Nu, x))
}

// Update applies the spectral map h of sp to the active plaquettes of one
// configuration f [d, sites…, N, N, 2] in place (inverse = false) or its
// inverse, with the parameters of the active link at site x in params
// [NumParams, V] (channel-major, as a conditioner writes them: parameter k
// of site x at k·V + x), and returns the summed log-Jacobian with respect to
// Haar measure on the updated links:
//
//	W = U_μ(x) S(x),  W′ = h(W),  U_μ(x) ← W′ S(x)†        (= W′ W† U_μ(x)),
//
// so the active plaquette becomes W′. S is frozen, and right multiplication
// by it preserves Haar measure, so the map of U_μ(x) has the log-Jacobian of
// h at W; the Jacobian of the whole update is triangular (each updated link
// depends on itself only through its own plaquette), so logJ = Σ_active
// logJ_h. The inverse recomputes S from the unchanged links and takes
// W = h⁻¹(U′_μ(x) S). Under a gauge transformation W → Ω(x) W Ω(x)† and
// S → Ω(x+μ̂) S Ω(x)†, and h commutes with conjugation, so with parameters
// from gauge-invariant features the update is gauge equivariant.
func (m *SUNGaugeMask) Update(sp *sun.Spectral, f, params []float64, inverse bool) (logJ float64) {
	g, n := m.geo, m.geo.ColorN()
	v, np := g.Volume(), sp.NumParams()
	if sp.N() != n || len(f) != g.FieldSize() || len(params) != np*v {
		panic(fmt.Sprintf("sun gauge mask: Update of SU(%d) with %d values and %d parameters, want SU(%d), %d and %d × %d",
			sp.N(), len(f), len(params), n, g.FieldSize(), np, v))
	}
	u := sun.Complex(f)
	var sb, wb [9]complex128
	s, w := sb[:n*n], wb[:n*n]
	par := make([]float64, np)
	for _, x := range m.active {
		for k := range par {
			par[k] = params[k*v+x]
		}
		logJ += m.updateLink(sp, u, x, par, s, w, inverse)
	}
	return logJ
}

// updateLink updates the active link U_μ(x) of u in place, W = U_μ(x)S(x),
// U_μ(x) ← h(W)S(x)† (or h⁻¹), with the spectral parameters par of site x,
// and returns logJ_h(W); s and w (N² each) are scratch, and w holds W′ on
// return (the layer keeps it for its VJP).
func (m *SUNGaugeMask) updateLink(sp *sun.Spectral, u []complex128, x int, par []float64, s, w []complex128, inverse bool) (logJ float64) {
	m.staple(s, u, x)
	l := m.geo.U(u, m.Mu, x)
	sun.Mul(w, l, s)
	if inverse {
		logJ = sp.Inverse(w, w, par)
	} else {
		logJ = sp.Forward(w, w, par)
	}
	sun.MulAdj(l, w, s)
	return logJ
}
