package flow

import (
	"fmt"
	"math"
	"math/cmplx"
	"sync"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/nn"
	"github.com/normflow/normflow-go/sun"
	"github.com/normflow/normflow-go/sungauge"
)

// StapleCoupling is a gauge-equivariant coupling of SU(N) links (N = 2, 3,
// d = 2, 3, 4) that conditions each updated link on its whole staple sum
// (docs/sun.md §10.7; the stapled-link flows of Komijani & Marinkovic,
// arXiv:2501.18288, in our own construction on top of Boyda et al.,
// arXiv:2008.05456). The link's conditional density given all other links
// is p(U_μ(x) | rest) ∝ exp((β/N) Re Tr(U_μ(x) A(x))), with
//
//	A(x) = Σ_{ν≠μ} [U_ν(x+μ̂) U_μ(x+ν̂)† U_ν(x)† + U_ν(x+μ̂−ν̂)† U_μ(x−ν̂)† U_ν(x−ν̂)]
//
// the sum of the 2(d−1) staples (sungauge.Geometry.Staple). Mask: the links
// U_μ(x) of one direction μ on the sites of one parity p, (Σ_ν x_ν) mod 2 =
// p (even extents), whose staples hold only frozen links. With P(A) ∈ SU(N)
// the special-unitary polar factor of A (sun.PolarSU), which transforms as
// A does, A → Ω(x+μ̂) A Ω(x)†, the update is
//
//	W = U_μ(x) P,   W′ = h(W),   U_μ(x) ← W′ P†,
//
// with h the conjugation-equivariant spectral map (sun.Spectral, §9) whose
// parameters a per-site conditioner computes from gauge-invariant features
// of à = A/(2(d−1)): s = √(Tr(Ã†Ã)/N), and for SU(3) also Tr((Ã†Ã)²)/N,
// Re det Ã, Im det Ã (with s: the singular values and the determinant
// phase; for SU(2) A = rV exactly, s = r/(2(d−1)) is all there is, and the
// conditional of W is the one-matrix model at β_eff = βr). Features are
// zero on the sites of the other parity. logJ = Σ_active logJ_h(W): right
// multiplication by the frozen P preserves Haar measure and each updated
// link depends on itself only. Inverse: W = h⁻¹(U′P), U = W P†.
//
// VJPs (cotangents as in SUNGaugeCoupling): with G′ that of U′ = W′P†,
// G_{W′} = G′P and G_P = G′†W′; the spectral VJP gives G_W and the
// parameters' cotangents; W = UP gives G_U = G_W P† and G_P += U†G_W;
// sun.PolarSUVJP takes G_P to G_A, the features' cotangents add theirs,
// and G_A is spread to the three links of each staple.
type StapleCoupling struct {
	name       string
	Mu, Parity int
	Net        nn.Conditioner
	Knots      int
	Features   int // φ_k terms of SU(3)'s second spline (0 for SU(2))
	geo        *sungauge.Geometry
	active     []int // sites x of the updated links U_μ(x)
	np         int   // spectral parameters per site
	pool       sync.Pool
}

// StapleFeatureChannels is the number of conditioner input channels of a
// StapleCoupling of SU(n): 1 for SU(2), 4 for SU(3).
func StapleFeatureChannels(n int) int {
	if n == 2 {
		return 1
	}
	return 4
}

// NewStapleCoupling makes the stapled-link coupling (mu, parity) on geo,
// whose extents must all be even, with spectral splines of knots ≥ 2 knots
// and features ≥ 0 terms (SU(3); 0 for SU(2)); net maps [batch,
// StapleFeatureChannels, V] to [batch, NumParams, V].
func NewStapleCoupling(name string, geo *sungauge.Geometry, mu, parity int, net nn.Conditioner, knots, features int) (*StapleCoupling, error) {
	fail := func(format string, args ...any) (*StapleCoupling, error) {
		return nil, fmt.Errorf("staple coupling %q: %s", name, fmt.Sprintf(format, args...))
	}
	if geo == nil {
		return fail("geometry is nil")
	}
	d, n := geo.Dim(), geo.ColorN()
	if mu < 0 || mu >= d {
		return fail("mu = %d: must be a direction in 0 … %d", mu, d-1)
	}
	if parity != 0 && parity != 1 {
		return fail("parity = %d: must be 0 or 1", parity)
	}
	lat := geo.Lattice()
	active, err := evenOddSites(lat, parity)
	if err != nil {
		return fail("%v", err)
	}
	if knots < 2 {
		return fail("knots = %d: must be at least 2", knots)
	}
	if n == 2 && features != 0 || features < 0 {
		return fail("features = %d: must be 0 for SU(2) and ≥ 0 for SU(3)", features)
	}
	if net == nil {
		return fail("conditioner is nil")
	}
	sp := sun.NewSpectral(n, knots, features)
	if c := net.InChannels(); c != StapleFeatureChannels(n) {
		return fail("conditioner has %d input channels, want %d (the gauge-invariant features of the staple sum)", c, StapleFeatureChannels(n))
	}
	if c := net.OutChannels(); c != sp.NumParams() {
		return fail("conditioner has %d output channels, want the %d spectral parameters (knots %d, features %d)", c, sp.NumParams(), knots, features)
	}
	l := &StapleCoupling{name: name, Mu: mu, Parity: parity, Net: net, Knots: knots, Features: features, geo: geo, np: sp.NumParams()}
	l.active = active
	l.pool.New = func() any { return sun.NewSpectral(n, knots, features) }
	return l, nil
}

var _ Layer = (*StapleCoupling)(nil)

// Name is the name given to the constructor.
func (l *StapleCoupling) Name() string { return l.name }

// Params lists the conditioner's parameters.
func (l *StapleCoupling) Params() []*nn.Param { return l.Net.Params() }

// Active returns the sites x of the updated links U_μ(x).
func (l *StapleCoupling) Active() []int { return append([]int(nil), l.active...) }

// Forward maps U to U′, adding Σ_active logJ_h.
func (l *StapleCoupling) Forward(tape *Tape, x, y, logJ []float64) { l.pass(tape, x, y, logJ, false) }

// Inverse maps U′ back to U, adding the inverse's log-Jacobian.
func (l *StapleCoupling) Inverse(tape *Tape, y, x, logJ []float64) { l.pass(tape, y, x, logJ, true) }

// stapleScale is 1/(2(d−1)), which maps the staple sum to à with ‖Ã‖ ≤ √N.
func (l *StapleCoupling) stapleScale() complex128 {
	return complex(1/float64(2*(l.geo.Dim()-1)), 0)
}

// features writes the gauge-invariant features of the staple sum a into
// f[k·v], k = 0 … channels−1: s = √(Tr(Ã†Ã)/N), and for SU(3)
// Tr((Ã†Ã)²)/N, Re det Ã, Im det Ã, with à = a/(2(d−1)).
func (l *StapleCoupling) features(f []float64, v int, a []complex128) {
	n := l.geo.ColorN()
	n2 := n * n
	var tb, mb [9]complex128
	t, m := tb[:n2], mb[:n2]
	c := l.stapleScale()
	for i := range t {
		t[i] = a[i] * c
	}
	var t1 float64
	for _, z := range t {
		t1 += real(z)*real(z) + imag(z)*imag(z)
	}
	f[0] = math.Sqrt(t1 / float64(n))
	if n == 2 {
		return
	}
	sun.AdjMul(m, t, t) // M = Ã†Ã, Tr M² = Σ |M_ij|² (M Hermitian)
	var t2 float64
	for _, z := range m {
		t2 += real(z)*real(z) + imag(z)*imag(z)
	}
	det := sun.Det(t)
	f[v], f[2*v], f[3*v] = t2/float64(n), real(det), imag(det)
}

// featuresVJP adds to ga the cotangent of the staple sum a for the
// cotangents g[k·v] of its features: with à = a/n_s and M = Ã†Ã,
//
//	G_à = (g_s/(N s)) à + (4 g_t2/N) Ã M + (g_re + i g_im) adj(Ã)†
//
// (dt1 = (2/N) Re Tr(Ã†dÃ), ds = dt1/(2s); dTr M² = 4 Re Tr(MÃ†dÃ);
// d det à = Tr(adj(Ã) dÃ)), and G_a = G_Ã/n_s. At s = 0 (A = 0) the
// s-term is dropped.
func (l *StapleCoupling) featuresVJP(ga []complex128, g []float64, v int, a []complex128) {
	n := l.geo.ColorN()
	n2 := n * n
	var tb, mb, rb [9]complex128
	t, m, r := tb[:n2], mb[:n2], rb[:n2]
	c := l.stapleScale()
	var t1 float64
	for i := range t {
		t[i] = a[i] * c
		t1 += real(t[i])*real(t[i]) + imag(t[i])*imag(t[i])
	}
	s := math.Sqrt(t1 / float64(n))
	if s > 0 && g[0] != 0 {
		f := complex(g[0]/(float64(n)*s), 0) * c
		for i := range ga {
			ga[i] += f * t[i]
		}
	}
	if n == 2 {
		return
	}
	sun.AdjMul(m, t, t)
	sun.Mul(r, t, m)
	f := complex(4*g[v]/float64(n), 0) * c
	for i := range ga {
		ga[i] += f * r[i]
	}
	sun.Adjugate(m, t)
	gd := complex(g[2*v], g[3*v]) * c
	for i := range n {
		for j := range n {
			ga[i*n+j] += gd * cmplx.Conj(m[j*n+i])
		}
	}
}

// pass runs the forward map or the inverse from in to out.
func (l *StapleCoupling) pass(tape *Tape, in, out, logJ []float64, inverse bool) {
	g := l.geo
	nb, fs, v := len(logJ), g.FieldSize(), g.Volume()
	if len(in) != nb*fs || len(out) != nb*fs {
		panic(fmt.Sprintf("staple coupling %q: input %d and output %d values for batch %d × %d", l.name, len(in), len(out), nb, fs))
	}
	n, mu := g.ColorN(), l.Mu
	n2, nc, na := n*n, l.Net.InChannels(), len(l.active)
	// A and P(A) of every active link [batch, active, N, N], kept for the VJP
	ap := sun.Complex(scratch(tape, 2*2*nb*na*n2))
	as, ps := ap[:nb*na*n2], ap[nb*na*n2:]
	c := scratch(tape, nb*nc*v)
	clear(c)
	var pol sun.Polar
	for b := range nb {
		u := sun.Complex(in[b*fs : (b+1)*fs])
		for i, x := range l.active {
			k := b*na + i
			a := as[k*n2 : (k+1)*n2]
			g.Staple(a, u, mu, x) // frozen links only: the same in out as in in
			pol.SU(ps[k*n2:(k+1)*n2], a)
			l.features(c[b*nc*v+x:], v, a)
		}
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
	var wb [9]complex128
	w := wb[:n2]
	for b := range nb {
		u := sun.Complex(out[b*fs : (b+1)*fs])
		var lj float64
		for i, x := range l.active {
			for k := range par {
				par[k] = p[(b*l.np+k)*v+x]
			}
			k := b*na + i
			pm := ps[k*n2 : (k+1)*n2]
			link := g.U(u, mu, x)
			sun.Mul(w, link, pm)
			if inverse {
				lj += sp.Inverse(w, w, par)
			} else {
				lj += sp.Forward(w, w, par)
			}
			sun.MulAdj(link, w, pm)
			if saved != nil {
				copy(sun.Complex(saved[nb*fs+k*2*n2:nb*fs+(k+1)*2*n2]), w)
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
		var pol sun.Polar
		gas := make([]complex128, nb*na*n2) // G_A of every active link
		var wb, wob, gob, gwb, gpb, t1b, t2b [9]complex128
		w, wo, gOut, gw, gp, t1, t2 := wb[:n2], wob[:n2], gob[:n2], gwb[:n2], gpb[:n2], t1b[:n2], t2b[:n2]
		for b := range nb {
			u := sun.Complex(saved[b*fs : (b+1)*fs])
			gy := sun.Complex(dout[b*fs : (b+1)*fs])
			gi := sun.Complex(din[b*fs : (b+1)*fs])
			for i, x := range l.active {
				for k := range par {
					par[k] = p[(b*l.np+k)*v+x]
				}
				k := b*na + i
				a, pm := as[k*n2:(k+1)*n2], ps[k*n2:(k+1)*n2]
				copy(wo, sun.Complex(saved[nb*fs+k*2*n2:nb*fs+(k+1)*2*n2]))
				link := g.U(u, mu, x)
				sun.Mul(w, link, pm)
				copy(gOut, g.U(gy, mu, x)) // G′
				sun.Mul(t1, gOut, pm)      // G_W′ = G′ P
				clear(gpar)
				if inverse {
					sp.InverseVJP(gw, w, par, t1, dlogJ[b], gpar)
				} else {
					sp.ForwardVJP(gw, w, par, t1, dlogJ[b], gpar)
				}
				for k, gv := range gpar {
					dp[(b*l.np+k)*v+x] = gv
				}
				sun.MulAdj(g.U(gi, mu, x), gw, pm) // G_U = G_W P†
				sun.AdjMul(gp, gOut, wo)           // G_P = G′† W′ …
				sun.AdjMul(t2, link, gw)           // … + U† G_W
				for k := range gp {
					gp[k] += t2[k]
				}
				pol.VJP(gas[k*n2:(k+1)*n2], a, gp)
			}
		}
		clear(dc)
		back(dp, dc, grads)
		for b := range nb {
			u := sun.Complex(saved[b*fs : (b+1)*fs])
			gi := sun.Complex(din[b*fs : (b+1)*fs])
			for i, x := range l.active {
				k := b*na + i
				ga := gas[k*n2 : (k+1)*n2]
				l.featuresVJP(ga, dc[b*nc*v+x:], v, as[k*n2:(k+1)*n2])
				l.spreadStaples(gi, u, ga, x, t1, t2)
			}
		}
	})
}

// spreadStaples adds the cotangent ga of the staple sum A(x) of U_μ(x) to
// the cotangents gi of its links: for each ν ≠ μ, the up staple B C† D†
// (B = U_ν(x+μ̂), C = U_μ(x+ν̂), D = U_ν(x)) gives G_B = G D C, G_C = D† G†
// B, G_D = G† B C†, and the down staple E† F† H (E = U_ν(x+μ̂−ν̂), F =
// U_μ(x−ν̂), H = U_ν(x−ν̂)) gives G_E = F† H G†, G_F = H G† E†, G_H = F E G
// (a product M₁⋯M_k has G_{M_i} = (M₁⋯M_{i−1})† G (M_{i+1}⋯M_k)†, and G_U
// = G_M† for a factor M = U†). t1, t2 are scratch.
func (l *StapleCoupling) spreadStaples(gi, u, ga []complex128, x int, t1, t2 []complex128) {
	g, mu := l.geo, l.Mu
	xm := g.Fwd(mu, x)
	var gab [9]complex128
	gadj := gab[:len(ga)]
	sun.Adj(gadj, ga)
	for nu := range g.Dim() {
		if nu == mu {
			continue
		}
		xn := g.Fwd(nu, x)
		ub, uc, ud := g.U(u, nu, xm), g.U(u, mu, xn), g.U(u, nu, x)
		sun.Mul(t1, ga, ud)
		sun.Mul(t1, t1, uc)
		addMatC(g.U(gi, nu, xm), t1)
		sun.AdjMul(t1, ud, gadj)
		sun.Mul(t1, t1, ub)
		addMatC(g.U(gi, mu, xn), t1)
		sun.Mul(t1, gadj, ub)
		sun.MulAdj(t1, t1, uc)
		addMatC(g.U(gi, nu, x), t1)
		y, ym := g.Bwd(nu, x), g.Bwd(nu, xm)
		ue, uf, uh := g.U(u, nu, ym), g.U(u, mu, y), g.U(u, nu, y)
		sun.Mul(t2, uh, gadj)
		sun.AdjMul(t1, uf, t2)
		addMatC(g.U(gi, nu, ym), t1)
		sun.MulAdj(t1, t2, ue)
		addMatC(g.U(gi, mu, y), t1)
		sun.Mul(t1, uf, ue)
		sun.Mul(t1, t1, ga)
		addMatC(g.U(gi, nu, y), t1)
	}
}

// evenOddSites returns the sites x of lat with (Σ_ν x_ν) mod 2 = parity, the
// active sites of the even-odd mask of a stapled-link coupling (docs/sun.md
// §10.7), or an error naming the first odd extent (the parity must be well
// defined around the torus).
func evenOddSites(lat *lattice.Lattice, parity int) ([]int, error) {
	for a, e := range lat.Shape() {
		if e%2 != 0 {
			return nil, fmt.Errorf("lattice %v has odd extent %d along axis %d: the even-odd mask needs even extents", lat, e, a)
		}
	}
	var sites []int
	for x := range lat.Volume() {
		s := 0
		for _, c := range lat.Coords(x) {
			s += c
		}
		if s%2 == parity {
			sites = append(sites, x)
		}
	}
	return sites, nil
}
