package ensemble

import (
	"fmt"
	"io"
	"slices"

	"github.com/normflow/normflow-go/internal/progress"
	"github.com/normflow/normflow-go/mcmc"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/run"
)

// ChainOptions select the Metropolis chain of `normflow sample --mcmc`.
type ChainOptions struct {
	N     int    // steps to run
	Seed  uint64 // seed of a new chain (a continued chain keeps its own)
	Block []int  // block extents per axis for a blocked chain; nil: independence chain
	// From continues this saved chain (LoadChain) instead of starting a new one.
	From *mcmc.ChainState
	// Progress receives progress reports of long chains (nil: silent).
	Progress io.Writer
}

// metropolis is what Chain and BlockedChain have in common.
type metropolis interface {
	Sample(n int) (phi, logq, logp []float64, accepted []bool, proposalLogW []float64)
	State() mcmc.ChainState
	Restore(mcmc.ChainState) error
}

// chainChunk is the number of steps run between progress reports; chunking
// does not change the chain (Sample(a) then Sample(b) equals Sample(a+b)).
const chainChunk = 4096

// SampleChain runs a new Metropolis chain, or continues the one saved in the
// run directory dir (o.From), for o.N steps on the run's model m, and saves
// the chain's state to dir/chain.safetensors (atomically) so that a later
// call can continue it.
func SampleChain(dir string, m *model.Model, shape []int, o ChainOptions) (*Ensemble, error) {
	if o.N < 1 {
		return nil, fmt.Errorf("sample: %d steps: must be positive", o.N)
	}
	digest, err := run.ModelDigest(dir)
	if err != nil {
		return nil, err
	}
	info := ChainInfo{Kind: "independence", ModelSHA256: digest}
	var c metropolis
	var chunk int
	if o.Block != nil {
		bc, err := mcmc.NewBlockedChain(m, shape, o.Block, o.Seed)
		if err != nil {
			return nil, err
		}
		info.Kind, info.Block = "blocked", slices.Clone(o.Block)
		c, chunk = bc, chainChunk/16 // one flow evaluation of one configuration per step
	} else {
		c, chunk = mcmc.NewChain(m, o.Seed), chainChunk
	}
	if o.From != nil {
		if err := c.Restore(*o.From); err != nil {
			return nil, err
		}
	}
	e := &Ensemble{Kind: KindOf(m.Action), Shape: shape, Chain: info.Kind}
	size := m.Size()
	e.Phi = make([]float64, 0, o.N*size)
	bar := progress.New(o.Progress, info.Kind+" chain", o.N)
	for done := 0; done < o.N; {
		k := min(chunk, o.N-done)
		phi, logq, logp, acc, lw := c.Sample(k)
		e.Phi = append(e.Phi, phi...)
		e.LogQ = append(e.LogQ, logq...)
		e.LogP = append(e.LogP, logp...)
		e.Accepted = append(e.Accepted, acc...)
		if o.Block == nil {
			e.ProposalLogW = append(e.ProposalLogW, lw...)
		}
		done += k
		bar.Add(k)
	}
	return finishChain(dir, info, c.State(), e, bar)
}

// finishChain ends the progress report of a chain that left the state st,
// records its steps in its ensemble e and saves the state in dir.
func finishChain(dir string, info ChainInfo, st mcmc.ChainState, e *Ensemble, bar *progress.Bar) (*Ensemble, error) {
	bar.Done()
	e.ChainSteps = st.Steps
	if err := SaveChain(dir, info, st); err != nil {
		return nil, fmt.Errorf("saving the chain state: %w", err)
	}
	return e, nil
}
