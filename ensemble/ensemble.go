package ensemble

import (
	"github.com/normflow/normflow-go/mcmc"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/observable"
)

// Ensemble is a set of configurations drawn from a model (or by HMC), with
// the kind of field they are.
type Ensemble struct {
	Kind       FieldKind // what a configuration holds (KindOf the model's action)
	Phi        []float64 // [n, Kind.Values(Shape)]: φ, or the link angles θ
	LogQ, LogP []float64 // [n]; log p = −S (unnormalised); nil for HMC
	Accepted   []bool    // [n] for an MCMC chain or HMC, nil for raw flow samples
	// ProposalLogW is log p − log q of the flow samples drawn (for a chain,
	// of its proposals, which its configurations repeat or replace); nil for
	// a blocked chain.
	ProposalLogW []float64
	// Chain is the kind of Metropolis chain ("independence", "blocked"; empty
	// for raw flow samples) and ChainSteps its total number of steps so far.
	Chain      string
	ChainSteps uint64
	Shape      []int     // lattice shape
	DeltaH     []float64 // [n] HMC's energy change per trajectory; nil otherwise
	// ColorN is N of the SU(N) kinds (0 for the others), whose
	// configurations Phi holds as (re, im) pairs [n, …, N, N, 2].
	ColorN int
}

// Len is the number of configurations.
func (e *Ensemble) Len() int { return len(e.Phi) / max(e.Kind.ValuesN(e.Shape, e.ColorN), 1) }

// Report is what `normflow sample` prints.
type Report struct {
	N    int  `json:"n"`
	MCMC bool `json:"mcmc"`
	// Chain is "independence" or "blocked" for an MCMC ensemble, with the
	// chain's total steps so far (a continued chain counts earlier calls).
	Chain      string `json:"chain,omitempty"`
	ChainSteps uint64 `json:"chain_steps,omitempty"`
	// ESS and log Z of the flow samples drawn; absent for a blocked chain,
	// whose proposals are not independent draws from q.
	ESS         *float64                       `json:"ess,omitempty"`
	LogZ        *observable.Estimate           `json:"logZ,omitempty"`
	AcceptRate  *float64                       `json:"accept_rate"`
	AcceptErr   *float64                       `json:"accept_err,omitempty"`
	Reweighted  bool                           `json:"reweighted"`
	Observables map[string]observable.Estimate `json:"observables"`
}

// Draw samples n configurations: raw flow samples (posterior stream of seed)
// or, with useMCMC, an independence-Metropolis chain on that stream.
func Draw(m *model.Model, shape []int, n int, useMCMC bool, seed uint64) *Ensemble {
	e := &Ensemble{Kind: KindOf(m.Action), Shape: shape, ColorN: ColorOf(m.Action)}
	if useMCMC {
		c := mcmc.NewChain(m, seed)
		e.Phi, e.LogQ, e.LogP, e.Accepted, e.ProposalLogW = c.Sample(n)
		e.Chain, e.ChainSteps = "independence", c.Steps
		return e
	}
	e.Phi = make([]float64, n*m.Size())
	e.LogQ = make([]float64, n)
	e.LogP = make([]float64, n)
	m.Posterior(seed, 0, e.Phi, e.LogQ, e.LogP)
	e.ProposalLogW = logW(e.LogQ, e.LogP)
	return e
}

// Analyse computes ESS and log Z of the flow samples drawn, the acceptance
// rate (MCMC) and the scalar observables (Drawn.Analyse). Raw flow samples
// are reweighted with w = p/q; an MCMC chain is averaged plainly. Errors
// are binned-jackknife errors.
func (e *Ensemble) Analyse() *Report {
	d, err := newDrawn(e.arrays(), false, 0)
	if err == nil {
		err = d.add(e.chunk())
	}
	if err != nil {
		return &Report{N: len(e.LogQ), MCMC: e.Accepted != nil}
	}
	d.Chain, d.ChainSteps = e.Chain, e.ChainSteps
	return d.Analyse()
}

// chunk is the ensemble as one chunk.
func (e *Ensemble) chunk() *Chunk {
	return &Chunk{Phi: e.Phi, LogQ: e.LogQ, LogP: e.LogP, Accepted: e.Accepted, ProposalLogW: e.ProposalLogW, DeltaH: e.DeltaH}
}

// arrays is what the ensemble is stored as; its sampler is told by its
// arrays: raw flow samples have no accept/reject history, HMC has energy
// changes.
func (e *Ensemble) arrays() Arrays {
	a := Arrays{Kind: e.Kind, Lattice: e.Shape, Sampler: SamplerIndependence, ColorN: e.ColorN}
	switch {
	case e.Accepted == nil:
		a.Sampler = SamplerRaw
	case e.DeltaH != nil:
		a.Sampler = SamplerHMC
	}
	return a
}

// WriteNPZ writes the ensemble as NumPy arrays: the configurations (phi
// [n, lattice…], theta [n, d, lattice…] for U(1) links, wrapped into
// (−π, π], or the complex128 U [n, (d,) lattice…, N, N] for SU(N)), logq and logp, accepted for a chain or HMC and deltaH for HMC;
// the field kind is the archive comment (kind.go).
func (e *Ensemble) WriteNPZ(path string) error {
	o := NewNPZOutput(path)
	if err := o.start(header{Arrays: e.arrays()}, e.Len()); err != nil {
		return err
	}
	if err := o.write(e.chunk()); err != nil {
		o.abort()
		return err
	}
	return o.finish()
}
