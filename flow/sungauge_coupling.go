package flow

import (
	"fmt"
	"sync"

	"github.com/normflow/normflow-go/nn"
	"github.com/normflow/normflow-go/sun"
	"github.com/normflow/normflow-go/sungauge"
)

// SUNGaugeCoupling is a gauge-equivariant coupling layer for SU(N) links
// (N = 2, 3) in d = 2, 3, 4 (Boyda et al., arXiv:2008.05456; docs/sun.md
// §10.5): the mask (μ, ν, period, offset) of SUNGaugeMask, a conditioner network
// that maps the gauge-invariant features of the frozen plaquettes [batch,
// 2·d(d−1)/2, V] to the spectral parameters of every site [batch,
// NumParams, V], and the update
//
//	W = U_μ(x) S(x),   W′ = h(W),   U_μ(x) ← W′ S(x)†,
//
// with h the conjugation-equivariant spectral map (sun.Spectral, §9) of the
// parameters at x; logJ = Σ_active logJ_h(W). Inverse: the features and S
// do not involve updated links, so they are the same on both sides, and
// W = h⁻¹(U′_μ(x) S). Fields are [batch, d, sites…, N, N, 2].
//
// VJPs (matrix cotangents G = ∂L/∂Re U + i ∂L/∂Im U, dL = Re Tr(G† dU); a
// product P = M₁⋯M_k has G_{M_i} = (M₁⋯M_{i−1})† G_P (M_{i+1}⋯M_k)†, and
// G_U = G_M† for a factor M = U†): with G′ the cotangent of U′ = W′S†,
// G_{W′} = G′S and S receives G′†W′; the spectral VJP gives G_W (tangent)
// and the parameters' cotangents; W = US gives G_U = G_W S† (which replaces
// the updated link's pass-through cotangent) and S receives U†G_W; S's
// three links receive their shares; the parameters' cotangents run through
// the network to the features, and a feature (1/N) Tr P gives G_P =
// ((ḡ_re + iḡ_im)/N)·1, spread over the frozen plaquette's four links.
// Input cotangents of updated links lie in the tangent space; those of the
// others are embedding gradients, of which only the tangent part is defined
// (action.MatrixField).
type SUNGaugeCoupling struct {
	name     string
	Mask     *SUNGaugeMask
	Net      nn.Conditioner
	Knots    int
	Features int // φ_k terms of SU(3)'s second spline (0 for SU(2))
	geo      *sungauge.Geometry
	np       int // spectral parameters per site
	pool     sync.Pool
}

// NewSUNGaugeCoupling makes the layer (mu, nu, period, offset) on geo with spectral
// splines of knots ≥ 2 knots (and, for SU(3), features ≥ 0 terms in the
// second spline's parameters; 0 for SU(2)); net maps [batch,
// 2·d(d−1)/2, V] to [batch, NumParams, V].
func NewSUNGaugeCoupling(name string, geo *sungauge.Geometry, mu, nu, period, offset int, net nn.Conditioner, knots, features int) (*SUNGaugeCoupling, error) {
	fail := func(format string, args ...any) (*SUNGaugeCoupling, error) {
		return nil, fmt.Errorf("sun gauge coupling %q: %s", name, fmt.Sprintf(format, args...))
	}
	m, err := NewSUNGaugeMask(geo, mu, nu, period, offset)
	if err != nil {
		return fail("%v", err)
	}
	if knots < 2 {
		return fail("knots = %d: must be at least 2", knots)
	}
	if geo.ColorN() == 2 && features != 0 || features < 0 {
		return fail("features = %d: must be 0 for SU(2) and ≥ 0 for SU(3)", features)
	}
	if net == nil {
		return fail("conditioner is nil")
	}
	sp := sun.NewSpectral(geo.ColorN(), knots, features)
	if c := net.InChannels(); c != m.FeatureChannels() {
		return fail("conditioner has %d input channels, want %d (Re, Im Tr of the frozen plaquettes of each plane)", c, m.FeatureChannels())
	}
	if c := net.OutChannels(); c != sp.NumParams() {
		return fail("conditioner has %d output channels, want the %d spectral parameters (knots %d, features %d)", c, sp.NumParams(), knots, features)
	}
	l := &SUNGaugeCoupling{name: name, Mask: m, Net: net, Knots: knots, Features: features, geo: geo, np: sp.NumParams()}
	l.pool.New = func() any { return sun.NewSpectral(geo.ColorN(), knots, features) }
	return l, nil
}

var _ Layer = (*SUNGaugeCoupling)(nil)

// Name is the name given to the constructor.
func (l *SUNGaugeCoupling) Name() string { return l.name }

// Params lists the conditioner's parameters.
func (l *SUNGaugeCoupling) Params() []*nn.Param { return l.Net.Params() }

// Forward maps U to U′, adding Σ_active logJ_h.
func (l *SUNGaugeCoupling) Forward(tape *Tape, x, y, logJ []float64) { l.pass(tape, x, y, logJ, false) }

// Inverse maps U′ back to U, adding the inverse's log-Jacobian.
func (l *SUNGaugeCoupling) Inverse(tape *Tape, y, x, logJ []float64) { l.pass(tape, y, x, logJ, true) }

// linkS returns the indices of the links of S(x) = A B† C†:
// A = U_ν(x+μ̂), B = U_μ(x+ν̂), C = U_ν(x).
func (l *SUNGaugeCoupling) linkS(x int) (a, b, c int) {
	g, mu, nu := l.geo, l.Mask.Mu, l.Mask.Nu
	return g.Link(nu, g.Fwd(mu, x)), g.Link(mu, g.Fwd(nu, x)), g.Link(nu, x)
}

// pass runs the forward map or the inverse from in to out.
func (l *SUNGaugeCoupling) pass(tape *Tape, in, out, logJ []float64, inverse bool) {
	g, m := l.geo, l.Mask
	nb, fs, v := len(logJ), g.FieldSize(), g.Volume()
	if len(in) != nb*fs || len(out) != nb*fs {
		panic(fmt.Sprintf("sun gauge coupling %q: input %d and output %d values for batch %d × %d", l.name, len(in), len(out), nb, fs))
	}
	n := g.ColorN()
	n2, nc, na := n*n, m.FeatureChannels(), len(m.active)
	c := scratch(tape, nb*nc*v)
	for b := range nb {
		m.Features(in[b*fs:(b+1)*fs], c[b*nc*v:(b+1)*nc*v])
	}
	p := scratch(tape, nb*l.np*v)
	back := l.Net.Forward(c, p, nb, tape != nil)
	sp := l.pool.Get().(*sun.Spectral)
	var saved []float64 // input configurations and W′ of every active link, for the VJP
	if tape != nil {
		saved = tape.Floats(nb*fs + nb*na*2*n2)
		copy(saved, in)
	}
	copy(out, in)
	par := make([]float64, l.np)
	var sb, wb [9]complex128
	s, w := sb[:n2], wb[:n2]
	for b := range nb {
		u := sun.Complex(out[b*fs : (b+1)*fs])
		var lj float64
		for a, x := range m.active {
			for k := range par {
				par[k] = p[(b*l.np+k)*v+x]
			}
			lj += m.updateLink(sp, u, x, par, s, w, inverse)
			if saved != nil {
				copy(sun.Complex(saved[nb*fs+(b*na+a)*2*n2:nb*fs+(b*na+a+1)*2*n2]), w)
			}
		}
		logJ[b] += lj
	}
	l.pool.Put(sp)
	if tape == nil {
		return
	}
	dp, dc := tape.Floats(nb*l.np*v), tape.Floats(nb*nc*v)
	tape.Push(func(dout, dlogJ, din []float64, grads *nn.Grads) {
		sp := l.pool.Get().(*sun.Spectral)
		defer l.pool.Put(sp)
		copy(din, dout)
		clear(dp)
		par, gpar := make([]float64, l.np), make([]float64, l.np)
		var sb, wb, wob, gb, t1b, t2b, gsb [9]complex128
		s, w, wo, gw, t1, t2, gs := sb[:n2], wb[:n2], wob[:n2], gb[:n2], t1b[:n2], t2b[:n2], gsb[:n2]
		for b := range nb {
			u := sun.Complex(saved[b*fs : (b+1)*fs])
			gy := sun.Complex(dout[b*fs : (b+1)*fs])
			gi := sun.Complex(din[b*fs : (b+1)*fs])
			for a, x := range m.active {
				for k := range par {
					par[k] = p[(b*l.np+k)*v+x]
				}
				copy(wo, sun.Complex(saved[nb*fs+(b*na+a)*2*n2:nb*fs+(b*na+a+1)*2*n2]))
				m.staple(s, u, x)
				link := g.U(u, m.Mu, x)
				sun.Mul(w, link, s)
				gOut := g.U(gy, m.Mu, x) // G′
				sun.Mul(t1, gOut, s)     // G_W′ = G′ S
				clear(gpar)
				if inverse {
					sp.InverseVJP(gw, w, par, t1, dlogJ[b], gpar)
				} else {
					sp.ForwardVJP(gw, w, par, t1, dlogJ[b], gpar)
				}
				for k, gv := range gpar {
					dp[(b*l.np+k)*v+x] = gv
				}
				sun.MulAdj(g.U(gi, m.Mu, x), gw, s) // G_U = G_W S†
				sun.AdjMul(gs, gOut, wo)            // G_S = G′† W′ …
				sun.AdjMul(t2, link, gw)            // … + U† G_W
				for i := range gs {
					gs[i] += t2[i]
				}
				l.spreadS(gi, u, gs, x, t1, t2)
			}
		}
		clear(dc)
		back(dp, dc, grads)
		for b := range nb {
			u := sun.Complex(saved[b*fs : (b+1)*fs])
			gi := sun.Complex(din[b*fs : (b+1)*fs])
			dcb := dc[b*nc*v : (b+1)*nc*v]
			for pi, pl := range m.planes {
				for x := range v {
					if !m.frozen[pi][x] {
						continue
					}
					gp := complex(dcb[2*pi*v+x], dcb[(2*pi+1)*v+x]) / complex(float64(n), 0)
					if gp == 0 {
						continue
					}
					l.spreadPlaquette(gi, u, gp, pl[0], pl[1], x, t1, t2, gs)
				}
			}
		}
	})
}

// spreadS adds the cotangent gs of S(x) = A B† C† to its links' cotangents
// in gi: G_A = G_S C B, G_B = C† G_S† A, G_C = G_S† A B†. t1, t2 are scratch.
func (l *SUNGaugeCoupling) spreadS(gi, u, gs []complex128, x int, t1, t2 []complex128) {
	n := l.geo.ColorN()
	ia, ib, ic := l.linkS(x)
	ua, ub, uc := sun.Mat(u, ia, n), sun.Mat(u, ib, n), sun.Mat(u, ic, n)
	sun.Mul(t1, gs, uc)
	sun.Mul(t1, t1, ub)
	addMatC(sun.Mat(gi, ia, n), t1)
	sun.AdjMul(t1, uc, adjInto(t2, gs))
	sun.Mul(t1, t1, ua)
	addMatC(sun.Mat(gi, ib, n), t1)
	sun.AdjMul(t1, gs, ua)
	sun.MulAdj(t1, t1, ub)
	addMatC(sun.Mat(gi, ic, n), t1)
}

// adjInto sets t = a† and returns it.
func adjInto(t, a []complex128) []complex128 {
	sun.Adj(t, a)
	return t
}

// spreadPlaquette adds to gi the cotangents of the four links of the
// plaquette P = U_a(x) U_b(x+â) U_a(x+b̂)† U_b(x)† for the cotangent
// G_P = gp·1: with M₁ … M₄ its factors, G_{M_i} = (M₁⋯M_{i−1})† G_P
// (M_{i+1}⋯M₄)†, and G_U = G_M† for the two adjoint factors.
func (l *SUNGaugeCoupling) spreadPlaquette(gi, u []complex128, gp complex128, a, b, x int, t1, t2, t3 []complex128) {
	g := l.geo
	u1, u2, u3, u4 := g.U(u, a, x), g.U(u, b, g.Fwd(a, x)), g.U(u, a, g.Fwd(b, x)), g.U(u, b, x)
	// G_U1 = gp (U2 U3† U4†)† = gp U4 U3 U2†
	sun.Mul(t1, u4, u3)
	sun.MulAdj(t1, t1, u2)
	addScaled(g.U(gi, a, x), t1, gp)
	// G_U2 = gp U1† (U3† U4†)† = gp U1† U4 U3
	sun.Mul(t2, u4, u3)
	sun.AdjMul(t1, u1, t2)
	addScaled(g.U(gi, b, g.Fwd(a, x)), t1, gp)
	// G_{U3†} = gp (U1 U2)† U4 → G_U3 = conj(gp) U4† U1 U2
	sun.Mul(t2, u1, u2)
	sun.AdjMul(t1, u4, t2)
	addScaled(g.U(gi, a, g.Fwd(b, x)), t1, cconj(gp))
	// G_{U4†} = gp (U1 U2 U3†)† → G_U4 = conj(gp) U1 U2 U3†
	sun.MulAdj(t3, t2, u3)
	addScaled(g.U(gi, b, x), t3, cconj(gp))
}

func cconj(z complex128) complex128 { return complex(real(z), -imag(z)) }

func addMatC(dst, a []complex128) {
	for i := range dst {
		dst[i] += a[i]
	}
}

func addScaled(dst, a []complex128, c complex128) {
	for i := range dst {
		dst[i] += c * a[i]
	}
}
