package ensemble

import (
	"github.com/normflow/normflow-go/mcmc"
	"github.com/normflow/normflow-go/model"
)

// ChainOptions select the Metropolis chain of `normflow sample --mcmc`.
type ChainOptions struct {
	N     int    // steps to run
	Seed  uint64 // seed of a new chain (a continued chain keeps its own)
	Block []int  // block extents per axis for a blocked chain; nil: independence chain
	// From continues this saved chain (LoadChain) instead of starting a new one.
	From *mcmc.ChainState
}

// metropolis is what Chain and BlockedChain have in common.
type metropolis interface {
	State() mcmc.ChainState
	Restore(mcmc.ChainState) error
}

// SampleChain runs a new Metropolis chain, or continues the one saved in the
// run directory dir (o.From), for o.N steps on the run's model m, and saves
// the chain's state to dir/chain.safetensors (atomically) so that a later
// call can continue it. It returns the whole ensemble in memory; StreamChain
// writes it chunk by chunk instead.
func SampleChain(dir string, m *model.Model, shape []int, o ChainOptions) (*Ensemble, error) {
	d, c, err := streamChain(dir, m, shape, o, StreamOptions{}, true)
	return ensembleOf(d, c), err
}

// ensembleOf is the ensemble of the configurations c with the analysis d
// (nil when d is).
func ensembleOf(d *Drawn, c *Chunk) *Ensemble {
	if d == nil {
		return nil
	}
	return &Ensemble{
		Kind: d.Kind, Shape: d.Shape, Phi: c.Phi, LogQ: c.LogQ, LogP: c.LogP, Accepted: c.Accepted,
		ProposalLogW: c.ProposalLogW, DeltaH: c.DeltaH, Chain: d.Chain, ChainSteps: d.ChainSteps, ColorN: d.ColorN,
	}
}
