package prior

import (
	"fmt"
	"math"

	"github.com/normflow/normflow-go/fft"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/rng"
)

// FreeField is the Gaussian free-field prior of the seed convention (docs/conventions.md
// §4.3): r(φ) ∝ exp(−½ φᵀKφ) with K = κ(−Δ) + m² on a periodic lattice, i.e.
//
//	(Kφ)(x) = κ Σ_μ [2φ(x) − φ(x+μ̂) − φ(x−μ̂)] + m² φ(x).
//
// K is diagonal in momentum space with eigenvalues κ k̂² + m², k̂² = Σ_μ 4 sin²(k_μ/2),
// so for the unnormalised DFT φ̃(k) = Σ_x φ(x) e^{−ik·x} the modes have
// ⟨|φ̃(k)|²⟩ = V/(κ k̂² + m²). The density is exactly normalised:
//
//	log r(φ) = −½ φᵀKφ + ½ Σ_k log(κ k̂² + m²) − (V/2) log 2π.
//
// Samples are one real field of V sites each, in lattice site order. A FreeField
// is immutable after NewFreeField and safe for concurrent use.
type FreeField struct {
	Kappa, MSq float64
	lat        *lattice.Lattice
	plan       *fft.Plan
	invSqrt    []float64 // (κ k̂² + m²)^{−1/2} per mode
	logNorm    float64   // ½ Σ_k log(κ k̂² + m²) − (V/2) log 2π
}

// NewFreeField returns the free-field prior on lat with hopping κ > 0 and mass
// squared m² > 0 (both finite).
func NewFreeField(lat *lattice.Lattice, kappa, mSq float64) (*FreeField, error) {
	if lat == nil {
		return nil, fmt.Errorf("prior: free field: nil lattice")
	}
	if !(kappa > 0) || math.IsInf(kappa, 0) {
		return nil, fmt.Errorf("prior: free field(kappa=%g, m_sq=%g): kappa must be positive and finite", kappa, mSq)
	}
	if !(mSq > 0) || math.IsInf(mSq, 0) {
		return nil, fmt.Errorf("prior: free field(kappa=%g, m_sq=%g): m_sq must be positive and finite (the zero mode is unnormalisable otherwise)", kappa, mSq)
	}
	k2 := fft.MomentumSquared(lat)
	p := &FreeField{Kappa: kappa, MSq: mSq, lat: lat, plan: fft.NewPlan(lat), invSqrt: make([]float64, len(k2))}
	var logDet float64
	for i, q := range k2 {
		e := kappa*q + mSq
		logDet += math.Log(e)
		p.invSqrt[i] = 1 / math.Sqrt(e)
	}
	p.logNorm = 0.5*logDet - float64(lat.Volume())*halfLog2Pi
	return p, nil
}

// Lattice returns the lattice of the field.
func (p *FreeField) Lattice() *lattice.Lattice { return p.lat }

func (p *FreeField) Size() int { return p.lat.Volume() }

// LogDetK returns log det K = Σ_k log(κ k̂² + m²).
func (p *FreeField) LogDetK() float64 {
	return 2 * (p.logNorm + float64(p.lat.Volume())*halfLog2Pi)
}

// LogZ returns log ∫ dφ exp(−½ φᵀKφ) = (V/2) log 2π − ½ Σ_k log(κ k̂² + m²).
func (p *FreeField) LogZ() float64 { return -p.logNorm }

// Sample draws white noise ξ ~ N(0, 1) per site from s (sample by sample, sites
// in order) and sets φ = K^{−1/2} ξ, applied in momentum space.
func (p *FreeField) Sample(s *rng.Stream, x []float64) {
	v := p.lat.Volume()
	if len(x)%v != 0 {
		panic(fmt.Sprintf("prior: free field: sample length %d is not a multiple of the volume %d", len(x), v))
	}
	c := make([]complex128, v)
	for b := 0; b < len(x)/v; b++ {
		xb := x[b*v : (b+1)*v]
		for i := range xb {
			xb[i] = s.Norm()
		}
		p.plan.Forward(xb, c)
		for k, w := range p.invSqrt {
			c[k] *= complex(w, 0)
		}
		p.plan.Inverse(c, xb)
	}
}

// applyK writes Kφ of one sample phi into out (position space, neighbour tables).
func (p *FreeField) applyK(phi, out []float64) {
	d := p.lat.Dim()
	c := p.MSq + 2*float64(d)*p.Kappa
	for i, f := range phi {
		out[i] = c * f
	}
	for mu := 0; mu < d; mu++ {
		for i := range phi {
			out[i] -= p.Kappa * (phi[p.lat.Fwd(mu, i)] + phi[p.lat.Bwd(mu, i)])
		}
	}
}

func (p *FreeField) LogProb(x, out []float64) {
	v := p.lat.Volume()
	kphi := make([]float64, v)
	for b := range out {
		phi := x[b*v : (b+1)*v]
		p.applyK(phi, kphi)
		var q float64
		for i, f := range phi {
			q += f * kphi[i]
		}
		out[b] = p.logNorm - 0.5*q
	}
}

// GradLogProb writes −Kφ for each sample.
func (p *FreeField) GradLogProb(x, g []float64) {
	v := p.lat.Volume()
	for b := 0; b < len(x)/v; b++ {
		gb := g[b*v : (b+1)*v]
		p.applyK(x[b*v:(b+1)*v], gb)
		for i := range gb {
			gb[i] = -gb[i]
		}
	}
}
