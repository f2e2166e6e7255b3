package ensemble

import (
	"fmt"

	"github.com/normflow/normflow-go/dist"
	"github.com/normflow/normflow-go/internal/progress"
	"github.com/normflow/normflow-go/mcmc"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/run"
)

// Sampling over the ranks of a dist.Comm (`mpirun -np R normflow sample`).
// Posterior sample i of a seed is a pure function of (seed, i), so rank r
// draws its contiguous share of the indices, rank 0 gathers them in index
// order, and the result is what one process draws. A chain's accept/reject
// steps are sequential: rank 0 runs them (mcmc.Chain.Accept) over the
// gathered proposals, in index order, so the chain is the single-process
// chain bit for bit. Only rank 0 returns an ensemble; the others return nil.

// GatherPosterior draws posterior samples first … first+n−1 of seed, each
// rank its share (dist.Split), and gathers them at rank 0, which returns
// phi [n, Size], logq and logp [n]; other ranks return nils.
func GatherPosterior(c dist.Comm, m *model.Model, seed, first uint64, n int) (phi, logq, logp []float64) {
	size := m.Size()
	lo, hi := dist.Split(n, c.Rank(), c.Size())
	k := hi - lo
	// One message per rank: [phi (k × size) | logq (k) | logp (k)].
	buf := make([]float64, k*(size+2))
	m.Posterior(seed, first+uint64(lo), buf[:k*size], buf[k*size:k*(size+1)], buf[k*(size+1):])
	parts := c.Gatherv(buf, 0)
	if parts == nil {
		return nil, nil, nil
	}
	phi, logq, logp = make([]float64, 0, n*size), make([]float64, 0, n), make([]float64, 0, n)
	for r, p := range parts {
		lo, hi := dist.Split(n, r, c.Size())
		k := hi - lo
		if len(p) != k*(size+2) {
			panic(fmt.Sprintf("ensemble: rank %d sent %d values for %d samples of %d sites", r, len(p), k, size))
		}
		phi = append(phi, p[:k*size]...)
		logq = append(logq, p[k*size:k*(size+1)]...)
		logp = append(logp, p[k*(size+1):]...)
	}
	return phi, logq, logp
}

// DrawDist is Draw over the ranks of c: raw flow samples, or with useMCMC a
// new independence-Metropolis chain; the ensemble (at rank 0, nil elsewhere)
// equals Draw's bit for bit. With one rank it is Draw.
func DrawDist(c dist.Comm, m *model.Model, shape []int, n int, useMCMC bool, seed uint64) *Ensemble {
	if c == nil || c.Size() == 1 {
		return Draw(m, shape, n, useMCMC, seed)
	}
	phi, logq, logp := GatherPosterior(c, m, seed, 0, n)
	if phi == nil {
		return nil
	}
	e := &Ensemble{Kind: KindOf(m.Action), Shape: shape, Phi: phi, LogQ: logq, LogP: logp}
	if useMCMC {
		ch := mcmc.NewChain(m, seed)
		e.Accepted, e.ProposalLogW = ch.Accept(e.Phi, e.LogQ, e.LogP)
		e.Chain, e.ChainSteps = "independence", ch.Steps
		return e
	}
	e.ProposalLogW = logW(e.LogQ, e.LogP)
	return e
}

// SampleChainDist is SampleChain for an independence chain over the ranks
// of c: a new chain of seed o.Seed or the saved one o.From (which every rank
// must pass), o.N steps, proposals drawn by all ranks in rounds of
// chainChunk per rank and gathered at rank 0, which runs the chain, reports
// progress and saves the chain state in dir. Rank 0 returns the ensemble, the
// others nil. A blocked chain is sequential and is refused.
func SampleChainDist(c dist.Comm, dir string, m *model.Model, shape []int, o ChainOptions) (*Ensemble, error) {
	if c == nil || c.Size() == 1 {
		return SampleChain(dir, m, shape, o)
	}
	if o.Block != nil {
		return nil, fmt.Errorf("sample: the blocked chain is sequential and runs on one process: run it without mpirun (%d ranks)", c.Size())
	}
	if o.N < 1 {
		return nil, fmt.Errorf("sample: %d steps: must be positive", o.N)
	}
	root := c.Rank() == 0
	seed, first := o.Seed, uint64(0)
	if o.From != nil {
		seed, first = o.From.Seed, o.From.Steps
	}
	var (
		ch   *mcmc.Chain
		info ChainInfo
		e    *Ensemble
		bar  *progress.Bar
	)
	if root {
		digest, err := run.ModelDigest(dir)
		if err != nil {
			return nil, err
		}
		info = ChainInfo{Kind: "independence", ModelSHA256: digest}
		ch = mcmc.NewChain(m, seed)
		if o.From != nil {
			if err := ch.Restore(*o.From); err != nil {
				return nil, err
			}
		}
		e = &Ensemble{Kind: KindOf(m.Action), Shape: shape, Chain: info.Kind}
		e.Phi = make([]float64, 0, o.N*m.Size())
		bar = progress.New(o.Progress, info.Kind+" chain", o.N)
	}
	for done := 0; done < o.N; {
		k := min(chainChunk*c.Size(), o.N-done)
		phi, logq, logp := GatherPosterior(c, m, seed, first+uint64(done), k)
		if root {
			acc, lw := ch.Accept(phi, logq, logp)
			e.Phi = append(e.Phi, phi...)
			e.LogQ = append(e.LogQ, logq...)
			e.LogP = append(e.LogP, logp...)
			e.Accepted = append(e.Accepted, acc...)
			e.ProposalLogW = append(e.ProposalLogW, lw...)
			bar.Add(k)
		}
		done += k
	}
	if !root {
		return nil, nil
	}
	return finishChain(dir, info, ch.State(), e, bar)
}
