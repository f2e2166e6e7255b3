package ensemble

import (
	"github.com/normflow/normflow-go/mcmc"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/observable"
	"github.com/normflow/normflow-go/stats"
	"github.com/normflow/normflow-go/store"
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
}

// Len is the number of configurations.
func (e *Ensemble) Len() int { return len(e.Phi) / max(e.Kind.Values(e.Shape), 1) }

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
	e := &Ensemble{Kind: KindOf(m.Action), Shape: shape}
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
// rate (MCMC) and the scalar observables. Raw flow samples are reweighted with w = p/q; an MCMC chain is
// averaged plainly. Errors are binned-jackknife errors.
func (e *Ensemble) Analyse() *Report {
	n := len(e.LogQ)
	logw := e.ProposalLogW
	r := &Report{N: n, MCMC: e.Accepted != nil}
	volume := len(e.Phi) / max(n, 1)
	if logw != nil {
		ess := stats.ESS(logw)
		lz, lzErr := stats.LogZ(logw)
		r.ESS, r.LogZ = &ess, &observable.Estimate{Mean: lz, Err: lzErr}
	}
	r.Chain, r.ChainSteps = e.Chain, e.ChainSteps
	if e.Accepted != nil {
		rate, err := stats.AcceptanceRate(e.Accepted)
		r.AcceptRate, r.AcceptErr = &rate, &err
		logw = nil // a chain is averaged plainly
	} else {
		r.Reweighted = true
	}
	if e.Kind == U1Links {
		r.Observables = e.gaugeObservables(logw) // gauge.go
	} else {
		r.Observables = observable.Scalar(e.Phi, volume, logw, 0)
	}
	return r
}

// WriteNPZ writes the ensemble as NumPy arrays: the configurations (phi
// [n, lattice…], or theta [n, d, lattice…] for links, gauge.go), logq and
// logp, accepted for a chain or HMC and deltaH for HMC; the field kind is
// the archive comment (kind.go).
func (e *Ensemble) WriteNPZ(path string) error {
	n := e.Len()
	arrays := []store.Array{e.fieldArray(append([]int{n}, e.Shape...))}
	if e.LogQ != nil {
		arrays = append(arrays,
			store.Array{Name: "logq", Shape: []int{n}, Data: e.LogQ},
			store.Array{Name: "logp", Shape: []int{n}, Data: e.LogP})
	}
	if e.Accepted != nil {
		arrays = append(arrays, store.Array{Name: "accepted", Shape: []int{n}, Data: e.Accepted})
	}
	if e.DeltaH != nil {
		arrays = append(arrays, store.Array{Name: "deltaH", Shape: []int{n}, Data: e.DeltaH})
	}
	return store.WriteNPZComment(path, arrays, kindComment(e.Kind))
}
