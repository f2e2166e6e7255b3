package ensemble

import (
	"fmt"

	"github.com/normflow/normflow-go/dist"
	"github.com/normflow/normflow-go/model"
)

// Sampling over the ranks of a dist.Comm (`mpirun -np R normflow sample`).
// Posterior sample i of a seed is a pure function of (seed, i), so rank r
// draws its contiguous share of the indices of each chunk, rank 0 gathers
// them in index order, and the result is what one process draws. A chain's
// accept/reject steps are sequential: rank 0 runs them (mcmc.Chain.Accept)
// over the gathered proposals, in index order, so the chain is the
// single-process chain bit for bit. Rank 0 analyses and writes each chunk
// (stream.go); only it returns an ensemble, the others nil.

// GatherPosterior draws posterior samples first … first+n−1 of seed, each
// rank its share (dist.Split), and gathers them at rank 0, which returns
// phi [n, Size], logq and logp [n]; other ranks return nils.
func GatherPosterior(c dist.Comm, m *model.Model, seed, first uint64, n int) (phi, logq, logp []float64) {
	size := m.Size()
	if c == nil || c.Size() == 1 {
		phi, logq, logp = make([]float64, n*size), make([]float64, n), make([]float64, n)
		m.Posterior(seed, first, phi, logq, logp)
		return phi, logq, logp
	}
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
// new independence-Metropolis chain (whose state is not saved); the
// ensemble (at rank 0, nil elsewhere) equals Draw's bit for bit.
func DrawDist(c dist.Comm, m *model.Model, shape []int, n int, useMCMC bool, seed uint64) *Ensemble {
	o := StreamOptions{Comm: c}
	if useMCMC {
		d, k, _ := streamChain("", m, shape, ChainOptions{N: n, Seed: seed}, o, true)
		return ensembleOf(d, k)
	}
	d, k, _ := drawRaw(m, shape, n, seed, 0, o, true)
	return ensembleOf(d, k)
}

// SampleChainDist is SampleChain for an independence chain over the ranks
// of c: a new chain of seed o.Seed or the saved one o.From (which every rank
// must pass), o.N steps, proposals drawn by all ranks in rounds of
// chainChunk per rank and gathered at rank 0, which runs the chain and
// saves its state in dir. Rank 0 returns the ensemble, the others nil. A
// blocked chain is sequential and is refused.
func SampleChainDist(c dist.Comm, dir string, m *model.Model, shape []int, o ChainOptions) (*Ensemble, error) {
	d, k, err := streamChain(dir, m, shape, o, StreamOptions{Comm: c}, true)
	return ensembleOf(d, k), err
}
