package action

import (
	"fmt"
	"math"

	"github.com/normflow/normflow-go/lattice"
)

// Phi4 is the real scalar φ⁴ action on a periodic lattice, written in the
// hopping form shared by every convention (docs/conventions.md §2.1):
//
//	S = Σ_x [ W2 φ(x)² + W4 φ(x)⁴ − W0 Σ_μ φ(x) φ(x+μ̂) ].
//
// The constructors translate each convention's parameters into (W0, W2, W4).
type Phi4 struct {
	lat        *lattice.Lattice
	W0, W2, W4 float64
	// Convention and Params record how the action was specified, for reports.
	Convention string
	Params     map[string]float64
}

// NewPhi4 is the seed library's convention (normflow's ScalarPhi4Action) with
// hopping parameter κ, mass m², coupling λ and lattice spacing a:
//
//	S = Σ_x [ (κ'/2) Σ_μ (φ(x+μ̂) − φ(x))² + (m²'/2) φ² + λ' φ⁴ ],
//	κ' = κ a^(d−2), m²' = m² a^d, λ' = λ a^d,
//
// so W0 = κ', W2 = (m²' + 2dκ')/2, W4 = λ'.
func NewPhi4(lat *lattice.Lattice, kappa, mSq, lambda, a float64) (*Phi4, error) {
	if err := finite(map[string]float64{"kappa": kappa, "m_sq": mSq, "lambd": lambda, "a": a}); err != nil {
		return nil, err
	}
	if a <= 0 {
		return nil, fmt.Errorf("action: lattice spacing a = %g: must be positive", a)
	}
	d := float64(lat.Dim())
	k := kappa * math.Pow(a, d-2)
	m := mSq * math.Pow(a, d)
	l := lambda * math.Pow(a, d)
	return &Phi4{lat: lat, W0: k, W2: (m + 2*d*k) / 2, W4: l,
		Convention: "seed", Params: map[string]float64{"kappa": kappa, "m_sq": mSq, "lambd": lambda, "a": a}}, nil
}

// NewPhi4Albergo is the convention of Albergo, Kanwar, Shanahan
// (arXiv:1904.12072) and the tutorial (arXiv:2101.08176):
//
//	S = Σ_x [ Σ_μ (φ(x+μ̂) − φ(x))² + m² φ² + λ φ⁴ ],
//
// i.e. W0 = 2, W2 = 2d + m², W4 = λ: the seed convention with κ = 2, m² → 2m².
func NewPhi4Albergo(lat *lattice.Lattice, mSq, lambda float64) (*Phi4, error) {
	s, err := NewPhi4(lat, 2, 2*mSq, lambda, 1)
	if err != nil {
		return nil, err
	}
	s.Convention, s.Params = "albergo2019", map[string]float64{"m_sq": mSq, "lambd": lambda}
	return s, nil
}

// NewPhi4Hopping is the hopping-parameter convention (e.g. Nicoli et al.):
//
//	S = Σ_x [ −2κ Σ_μ φ(x) φ(x+μ̂) + (1 − 2λ) φ² + λ φ⁴ ],
//
// the seed convention with κ_seed = 2κ, m²_seed = 2(1−2λ) − 4dκ.
func NewPhi4Hopping(lat *lattice.Lattice, kappa, lambda float64) (*Phi4, error) {
	d := float64(lat.Dim())
	s, err := NewPhi4(lat, 2*kappa, 2*(1-2*lambda)-4*d*kappa, lambda, 1)
	if err != nil {
		return nil, err
	}
	s.Convention, s.Params = "hopping", map[string]float64{"kappa": kappa, "lambd": lambda}
	return s, nil
}

// NewPhi4Ising is the Ising-like convention:
//
//	S = Σ_x [ −β Σ_μ φ(x) φ(x+μ̂) + (1 − 2λ) φ² + λ φ⁴ ],
//
// the seed convention with κ_seed = β, m²_seed = 2(1−2λ) − 2dβ.
func NewPhi4Ising(lat *lattice.Lattice, beta, lambda float64) (*Phi4, error) {
	d := float64(lat.Dim())
	s, err := NewPhi4(lat, beta, 2*(1-2*lambda)-2*d*beta, lambda, 1)
	if err != nil {
		return nil, err
	}
	s.Convention, s.Params = "ising", map[string]float64{"beta": beta, "lambd": lambda}
	return s, nil
}

func finite(vals map[string]float64) error {
	for k, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("action: %s = %g: must be a finite number", k, v)
		}
	}
	return nil
}

// Lattice returns the lattice.
func (s *Phi4) Lattice() *lattice.Lattice { return s.lat }

// Eval writes S of each sample into out.
func (s *Phi4) Eval(phi, out []float64) {
	v, d := s.lat.Volume(), s.lat.Dim()
	for b := range out {
		f := phi[b*v : (b+1)*v]
		var local, hop float64
		for _, p := range f {
			p2 := p * p
			local += s.W2*p2 + s.W4*p2*p2
		}
		if s.W0 != 0 {
			for mu := 0; mu < d; mu++ {
				nb := s.lat.FwdTable(mu)
				for x, p := range f {
					hop += p * f[nb[x]]
				}
			}
		}
		out[b] = local - s.W0*hop
	}
}

// Grad writes dS/dφ(x) = 2W2 φ + 4W4 φ³ − W0 Σ_μ [φ(x+μ̂) + φ(x−μ̂)].
// It is the HMC force, so it runs in one pass over the sites with the
// neighbour tables in hand (2-d, the common case, unrolled); the terms are
// added in the order written, μ = 0 … d−1, on every path, so the result does
// not depend on the path taken. On amd64 the 2-d case runs SIMD kernels
// (AVX-512 or AVX2, grad2SIMD) that do the same operations per site in the
// same order and so give the same bits; the explicit float64 conversions
// round every product on its own, so no build setting (GOAMD64=v3, arm64)
// fuses them into FMAs.
func (s *Phi4) Grad(phi, dphi []float64) {
	v, d := s.lat.Volume(), s.lat.Dim()
	nb := len(phi) / v
	w0, a2, a4 := s.W0, 2*s.W2, 4*s.W4
	if w0 == 0 {
		d = 0
	}
	switch d {
	case 2:
		f0, b0 := s.lat.FwdTable(0), s.lat.BwdTable(0)
		f1, b1 := s.lat.FwdTable(1), s.lat.BwdTable(1)
		l1 := b1[0] + 1 // the row length: site 0's neighbour x−1̂ is L1 − 1
		for b := 0; b < nb; b++ {
			f := phi[b*v : (b+1)*v]
			g := dphi[b*v : (b+1)*v]
			if grad2SIMD(g, f, l1, a2, a4, w0) {
				continue
			}
			f0, b0, f1, b1 := f0[:len(f)], b0[:len(f)], f1[:len(f)], b1[:len(f)]
			for x, p := range f {
				gx := float64(a2*p) + float64(float64(float64(a4*p)*p)*p)
				gx -= float64(w0 * (f[f0[x]] + f[b0[x]]))
				gx -= float64(w0 * (f[f1[x]] + f[b1[x]]))
				g[x] = gx
			}
		}
	default:
		for b := 0; b < nb; b++ {
			f := phi[b*v : (b+1)*v]
			g := dphi[b*v : (b+1)*v]
			for x, p := range f {
				g[x] = float64(a2*p) + float64(float64(float64(a4*p)*p)*p)
			}
			for mu := 0; mu < d; mu++ {
				fw, bw := s.lat.FwdTable(mu)[:len(f)], s.lat.BwdTable(mu)[:len(f)]
				for x := range g {
					g[x] -= float64(w0 * (f[fw[x]] + f[bw[x]]))
				}
			}
		}
	}
}
