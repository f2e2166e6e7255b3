package ensemble

import (
	"fmt"

	"github.com/normflow/normflow-go/mcmc"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/observable"
	"github.com/normflow/normflow-go/stats"
	"github.com/normflow/normflow-go/store"
)

// Ensemble is a set of configurations drawn from a model.
type Ensemble struct {
	Phi        []float64 // [n, sites]
	LogQ, LogP []float64 // [n]; log p = −S (unnormalised)
	Accepted   []bool    // [n] for an MCMC chain, nil for raw flow samples
	// ProposalLogW is log p − log q of the flow samples drawn (for a chain,
	// of its proposals, which its configurations repeat or replace); nil for
	// a blocked chain.
	ProposalLogW []float64
	// Chain is the kind of Metropolis chain ("independence", "blocked"; empty
	// for raw flow samples) and ChainSteps its total number of steps so far.
	Chain      string
	ChainSteps uint64
	Shape      []int // lattice shape
}

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
	e := &Ensemble{Shape: shape}
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
		r.Observables = observable.Scalar(e.Phi, volume, nil, 0)
	} else {
		r.Reweighted = true
		r.Observables = observable.Scalar(e.Phi, volume, logw, 0)
	}
	if e.links() { // 2-d U(1) links: gauge observables (gauge.go)
		if e.Accepted != nil {
			logw = nil
		}
		r.Observables = e.gaugeObservables(logw)
	}
	return r
}

// WriteNPZ writes the ensemble as NumPy arrays phi [n, lattice…], logq, logp
// and, for a chain, accepted.
func (e *Ensemble) WriteNPZ(path string) error {
	n := len(e.LogQ)
	shape := append([]int{n}, e.Shape...)
	arrays := []store.Array{
		e.fieldArray(shape), // phi, or theta for gauge links (gauge.go)
		{Name: "logq", Shape: []int{n}, Data: e.LogQ},
		{Name: "logp", Shape: []int{n}, Data: e.LogP},
	}
	if e.Accepted != nil {
		arrays = append(arrays, store.Array{Name: "accepted", Shape: []int{n}, Data: e.Accepted})
	}
	if err := store.WriteNPZ(path, arrays); err != nil {
		return fmt.Errorf("writing ensemble: %w", err)
	}
	return nil
}
