package stats

import (
	"math"
	"math/rand/v2"
)

// AcceptanceRate returns the fraction of accepted Metropolis proposals,
//
//	rate = (1/N) Σ_t a_t,   a_t ∈ {0, 1},
//
// with a binned jackknife error (bin size AutoBinSize(N)), since the
// accept/reject history of a Markov chain is autocorrelated. It returns
// (NaN, NaN) for an empty history and a NaN error for N < 2.
func AcceptanceRate(accepted []bool) (rate, err float64) {
	x := make([]float64, len(accepted))
	for i, a := range accepted {
		if a {
			x[i] = 1
		}
	}
	return MeanErr(x, AutoBinSize(len(x)))
}

// IndependenceAcceptance estimates the acceptance rate of an independence
// Metropolis chain (proposals drawn from the model q, target p) run over a
// batch of N proposals with log importance weights logw_i = log p − log q.
//
// For one ordering π of the batch the chain starts in state π_0 and for
// t = 1, …, N−1 proposes π_t, which is accepted with probability
//
//	P_t = min(1, w_{π_t} / w_{current}),
//
// (with P_t = 1 whenever logw_{π_t} ≥ logw_{current}, which also covers a
// current state of zero weight). The acceptance/rejection is drawn with a
// uniform random number, and the rate of the ordering is the Rao–Blackwellised
// average r_π = (1/(N−1)) Σ_t P_t, which has the same expectation as the
// fraction of accepted proposals but less noise.
//
// This is repeated for `shuffles` independent uniformly random orderings of
// the batch. The returned rate is the mean of r_π over the orderings; the
// returned error is their sample standard deviation
//
//	err = sqrt( Σ_π (r_π − rate)² / (shuffles − 1) ),
//
// i.e. the typical fluctuation of the acceptance rate measured on a single
// chain of length N built from such a batch (the spread from resampling the
// batch order), not the much smaller Monte Carlo error of the average over
// orderings. Ordering and accept/reject draws come from a PCG generator
// seeded with seed, so the result is deterministic given (logw, shuffles,
// seed).
//
// It returns (NaN, NaN) if N < 2, shuffles < 1 or any logw_i is NaN, and a
// NaN error for shuffles = 1. Equal weights give exactly (1, 0).
func IndependenceAcceptance(logw []float64, shuffles int, seed uint64) (rate, err float64) {
	n := len(logw)
	if n < 2 || shuffles < 1 {
		return math.NaN(), math.NaN()
	}
	for _, v := range logw {
		if math.IsNaN(v) {
			return math.NaN(), math.NaN()
		}
	}
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	rates := make([]float64, shuffles)
	for s := range rates {
		r.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		cur := logw[perm[0]]
		sum := 0.0
		for _, idx := range perm[1:] {
			prop := logw[idx]
			if prop >= cur {
				sum++
				cur = prop
				continue
			}
			p := math.Exp(prop - cur)
			sum += p
			if r.Float64() < p {
				cur = prop
			}
		}
		rates[s] = sum / float64(n-1)
	}
	for _, v := range rates {
		rate += v
	}
	rate /= float64(shuffles)
	if shuffles < 2 {
		return rate, math.NaN()
	}
	ss := 0.0
	for _, v := range rates {
		d := v - rate
		ss += d * d
	}
	return rate, math.Sqrt(ss / float64(shuffles-1))
}
