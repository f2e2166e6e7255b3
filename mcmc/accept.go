package mcmc

import (
	"math"

	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/rng"
)

// Accept runs the chain's accept/reject steps over proposals drawn elsewhere:
// phi [n, Size], logq and logp [n] must be posterior samples c.Steps,
// c.Steps+1, … of the chain's seed (as Model.Posterior(c.Seed, c.Steps, …)
// draws them, possibly split over several processes and gathered in index
// order). In place, each proposal is replaced by the chain's configuration
// after its step, exactly as Sample does: Sample is Posterior followed by
// Accept. It returns whether each step accepted and the proposals' log
// weights log p − log q.
func (c *Chain) Accept(phi, logq, logp []float64) (accepted []bool, proposalLogW []float64) {
	n, size := len(logq), c.Model.Size()
	if len(phi) != n*size || len(logp) != n {
		panic("mcmc: Accept: phi, logq and logp do not hold the same number of proposals")
	}
	accepted = make([]bool, n)
	proposalLogW = make([]float64, n)
	for i := 0; i < n; i++ {
		step := c.Steps + uint64(i)
		prop := phi[i*size : (i+1)*size]
		lw := logp[i] - logq[i]
		proposalLogW[i] = lw
		acc := metropolisAccept(lw, c.curLogp-c.curLogq, c.started, func() float64 {
			s := rng.New(c.Seed, model.DomainAccept, step)
			return s.OpenFloat64()
		})
		if acc {
			copy(c.cur, prop)
			c.curLogq, c.curLogp = logq[i], logp[i]
			c.started = true
			c.Accepted++
		} else {
			copy(prop, c.cur)
			logq[i], logp[i] = c.curLogq, c.curLogp
		}
		accepted[i] = acc
	}
	c.Steps += uint64(n)
	return accepted, proposalLogW
}

// metropolisAccept decides one Metropolis step on log weights w = log p − log q
// (docs/conventions.md §8.2): a proposal of log weight lw replaces the current state of
// log weight cur with probability min(1, exp(lw − cur)). Before the chain has
// a state (started false) any proposal with a weight is accepted; a NaN weight
// never is. uniform, a draw from (0, 1), is called only when it decides.
func metropolisAccept(lw, cur float64, started bool, uniform func() float64) bool {
	switch {
	case math.IsNaN(lw):
		return false
	case !started:
		return true
	}
	d := lw - cur
	return d >= 0 || uniform() < math.Exp(d)
}
