// Package mcmc turns a trained flow into an exact sampler.
//
// NewChain makes an independence-Metropolis chain: proposals from the flow,
// accepted with probability min(1, w'/w), w = p/q, so that the chain samples
// p exactly however good the flow is (a better flow accepts more). A
// BlockedChain redraws one block of sites at a time; HMC (Hybrid Monte
// Carlo, no flow) is the reference sampler. Chains are pure functions of
// their seed. Package model's example samples a trained model with a Chain;
// package observable measures the result.
package mcmc

import (
	"math"

	"github.com/normflow/normflow-go/model"
)

// Chain is an independence Metropolis chain (docs/conventions.md §8.2): proposals φ' are
// drawn from the flow q and accepted with probability min(1, w(φ')/w(φ)),
// w = p/q; a rejection repeats the current configuration. The chain keeps its
// state, so a second call to Sample continues it.
//
// Proposal i of the chain is posterior sample i of the chain's seed and its
// accept/reject uniform comes from stream (seed, DomainAccept, i): the chain is
// a pure function of the seed and the number of steps taken.
type Chain struct {
	Model *model.Model
	Seed  uint64
	// Steps is the number of proposals made so far.
	Steps uint64
	// Accepted is the number of proposals accepted so far.
	Accepted uint64

	cur              []float64
	curLogq, curLogp float64
	started          bool
}

// NewChain starts a chain with no configuration yet: its first proposal is
// always accepted.
func NewChain(m *model.Model, seed uint64) *Chain {
	// Until a first proposal is accepted there is no state: a rejected first
	// step (NaN weight) reports NaN so that it cannot pass unnoticed.
	cur := make([]float64, m.Size())
	for i := range cur {
		cur[i] = math.NaN()
	}
	return &Chain{Model: m, Seed: seed, cur: cur, curLogq: math.NaN(), curLogp: math.NaN()}
}

// Sample runs n more steps. It returns the n configurations of the chain
// [n, Size], their log q and log p (−S), and whether each step accepted its
// proposal. logw = logp − logq; a proposal with NaN log weight is rejected.
// proposalLogW holds the log weights of the n proposals themselves (for ESS
// and log Z).
func (c *Chain) Sample(n int) (phi, logq, logp []float64, accepted []bool, proposalLogW []float64) {
	size := c.Model.Size()
	phi = make([]float64, n*size)
	logq = make([]float64, n)
	logp = make([]float64, n)
	c.Model.Posterior(c.Seed, c.Steps, phi, logq, logp)
	accepted, proposalLogW = c.Accept(phi, logq, logp) // accept.go
	return phi, logq, logp, accepted, proposalLogW
}

// AcceptanceRate is the fraction of proposals accepted so far.
func (c *Chain) AcceptanceRate() float64 {
	if c.Steps == 0 {
		return math.NaN()
	}
	return float64(c.Accepted) / float64(c.Steps)
}
