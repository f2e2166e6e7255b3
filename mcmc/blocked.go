package mcmc

import (
	"fmt"
	"math"

	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/prior"
	"github.com/normflow/normflow-go/rng"
)

// DomainBlocked keys the random numbers of step t of a blocked chain:
// rng.New(seed, DomainBlocked, t) draws the fresh prior variables, and its
// Derive(1) the accept/reject uniform. "BLK" in ASCII, apart from the model's
// domains and DomainHMC.
const DomainBlocked uint64 = 0x424c4b

// BlockedChain is the blocked variant of the flow Metropolis chain
// (docs/conventions.md §8.3). It lives in the prior's variables z, with φ = f(z). Step
// t resamples the variables of one block of lattice sites from the prior,
// keeping the others, maps the new z' through the flow and accepts with
// probability min(1, w(φ')/w(φ)), w = p/q.
//
// Why w'/w: in z the target is π(z) = p(f(z)) |det ∂f/∂z| = p(φ) r(z)/q(φ),
// and the proposal density is r_B(z'_B) (the prior's marginal on block B).
// For a prior that factorises over sites, r(z) = r_B(z_B) r_rest(z_rest) and
// z_rest is unchanged, so the Metropolis–Hastings ratio
// π(z') r_B(z_B) / (π(z) r_B(z'_B)) reduces to w(φ')/w(φ). Blocked updates
// therefore need a prior with independent variables (normal, uniform).
//
// The blocks are the hypercubes of extent Block[a] along each lattice axis a,
// visited in order: step t (after the first, which draws a whole
// configuration and is always accepted unless its weight is NaN) updates block
// (t−1) mod NumBlocks. Smaller blocks are accepted more often but move the
// chain less per step; each step costs one flow evaluation of one
// configuration. Like Chain, the chain is a pure function of the seed and the
// number of steps, and a second call to Sample continues it.
type BlockedChain struct {
	Model *model.Model
	Seed  uint64
	// Blocks lists the site indices (row-major) of each block.
	Blocks   [][]int
	Steps    uint64
	Accepted uint64

	z, cur           []float64 // current prior variables and configuration
	curLogq, curLogp float64
	started          bool
	// scratch of one proposal
	zNew, fresh, phiNew []float64
	logq, logp, logJ    []float64
}

// NewBlockedChain starts a blocked chain on the lattice shape with blocks of
// extent block[a] along axis a (each must divide shape[a]).
func NewBlockedChain(m *model.Model, shape, block []int, seed uint64) (*BlockedChain, error) {
	switch m.Prior.(type) {
	case *prior.Normal, *prior.Uniform:
	default:
		return nil, fmt.Errorf("mcmc: blocked updates need a prior with independent variables (normal, uniform), not %T", m.Prior)
	}
	blocks, err := HypercubeBlocks(shape, block)
	if err != nil {
		return nil, err
	}
	if v := len(blocks) * len(blocks[0]); v != m.Size() {
		return nil, fmt.Errorf("mcmc: blocked chain: the lattice %v has %d sites, the model %d variables per configuration", shape, v, m.Size())
	}
	size := m.Size()
	nan := func() []float64 {
		x := make([]float64, size)
		for i := range x {
			x[i] = math.NaN()
		}
		return x
	}
	return &BlockedChain{
		Model: m, Seed: seed, Blocks: blocks,
		z: nan(), cur: nan(), curLogq: math.NaN(), curLogp: math.NaN(),
		zNew: make([]float64, size), fresh: make([]float64, size), phiNew: make([]float64, size),
		logq: make([]float64, 1), logp: make([]float64, 1), logJ: make([]float64, 1),
	}, nil
}

// HypercubeBlocks partitions the sites of a lattice (row-major, last axis
// fastest) into hypercubes of extent block[a] along axis a. Block b is
// numbered row-major over the block grid.
func HypercubeBlocks(shape, block []int) ([][]int, error) {
	if len(block) != len(shape) {
		return nil, fmt.Errorf("mcmc: block %v has %d extents, the lattice %v has %d axes", block, len(block), shape, len(shape))
	}
	nBlocks, per := 1, 1
	grid := make([]int, len(shape))
	for a := range shape {
		if block[a] < 1 || shape[a]%block[a] != 0 {
			return nil, fmt.Errorf("mcmc: block extent %d along axis %d must be a positive divisor of the lattice extent %d", block[a], a, shape[a])
		}
		grid[a] = shape[a] / block[a]
		nBlocks *= grid[a]
		per *= block[a]
	}
	blocks := make([][]int, nBlocks)
	for b := range blocks {
		blocks[b] = make([]int, 0, per)
	}
	// Walk every site; its block index is its coordinate divided by block.
	coord := make([]int, len(shape))
	volume := nBlocks * per
	for site := 0; site < volume; site++ {
		b := 0
		for a := range shape {
			b = b*grid[a] + coord[a]/block[a]
		}
		blocks[b] = append(blocks[b], site)
		for a := len(shape) - 1; a >= 0; a-- { // next coordinate, last axis fastest
			coord[a]++
			if coord[a] < shape[a] {
				break
			}
			coord[a] = 0
		}
	}
	return blocks, nil
}

// NumBlocks is the number of blocks a sweep visits.
func (c *BlockedChain) NumBlocks() int { return len(c.Blocks) }

// Sample runs n more steps and returns, like Chain.Sample, the configuration
// after each step [n, Size], its log q and log p, and whether the step's
// proposal was accepted. proposalLogW holds log w of each proposal; unlike an
// independence chain's, these proposals are not independent draws from q, so
// they do not estimate the ESS or log Z of the flow.
func (c *BlockedChain) Sample(n int) (phi, logq, logp []float64, accepted []bool, proposalLogW []float64) {
	m := c.Model
	size := m.Size()
	phi = make([]float64, n*size)
	logq = make([]float64, n)
	logp = make([]float64, n)
	accepted = make([]bool, n)
	proposalLogW = make([]float64, n)
	for i := 0; i < n; i++ {
		t := c.Steps + uint64(i)
		s := rng.New(c.Seed, DomainBlocked, t)
		m.Prior.Sample(&s, c.fresh)
		if !c.started {
			copy(c.zNew, c.fresh)
		} else {
			copy(c.zNew, c.z)
			for _, site := range c.Blocks[int((t-1)%uint64(len(c.Blocks)))] {
				c.zNew[site] = c.fresh[site]
			}
		}
		c.logJ[0] = 0
		m.Forward(nil, c.zNew, c.phiNew, c.logq, c.logp, c.logJ)
		lw := c.logp[0] - c.logq[0]
		proposalLogW[i] = lw
		acc := metropolisAccept(lw, c.curLogp-c.curLogq, c.started, func() float64 {
			u := s.Derive(1)
			return u.OpenFloat64()
		})
		if acc {
			copy(c.z, c.zNew)
			copy(c.cur, c.phiNew)
			c.curLogq, c.curLogp = c.logq[0], c.logp[0]
			c.started = true
			c.Accepted++
		}
		copy(phi[i*size:(i+1)*size], c.cur)
		logq[i], logp[i] = c.curLogq, c.curLogp
		accepted[i] = acc
	}
	c.Steps += uint64(n)
	return phi, logq, logp, accepted, proposalLogW
}

// AcceptanceRate is the fraction of proposals accepted so far.
func (c *BlockedChain) AcceptanceRate() float64 {
	if c.Steps == 0 {
		return math.NaN()
	}
	return float64(c.Accepted) / float64(c.Steps)
}

// State returns a copy of the chain's state, including its prior variables.
func (c *BlockedChain) State() ChainState {
	return ChainState{
		Seed: c.Seed, Steps: c.Steps, Accepted: c.Accepted, Started: c.started,
		Current: append([]float64(nil), c.cur...), LogQ: c.curLogq, LogP: c.curLogp,
		Z: append([]float64(nil), c.z...),
	}
}

// Restore sets the chain to a state returned by State of a blocked chain on
// the same model; the chain then continues from it.
func (c *BlockedChain) Restore(s ChainState) error {
	if err := s.validate(c.Model.Size(), true); err != nil {
		return err
	}
	c.Seed, c.Steps, c.Accepted, c.started = s.Seed, s.Steps, s.Accepted, s.Started
	copy(c.cur, s.Current)
	copy(c.z, s.Z)
	c.curLogq, c.curLogp = s.LogQ, s.LogP
	return nil
}
