package mcmc

import (
	"fmt"
	"math"
)

// DefaultTargetAccept is the acceptance rate HMC tunes its leapfrog step to
// by default: 0.651, the optimum of Beskos, Pillai, Roberts, Sanz-Serna and
// Stuart ("Optimal tuning of the hybrid Monte Carlo algorithm", Bernoulli 19
// (2013) 1501, arXiv:1001.4460) for the leapfrog integrator in high
// dimension, where the cost per independent sample, ∝ 1/(ε·a(ε)), is
// smallest.
const DefaultTargetAccept = 0.651

// TuneRounds is the length of Tune's first round of trajectories; each
// later round is twice as long, so that the late estimates of the acceptance
// are the precise ones.
const TuneRounds = 50

// TuneResult reports what Tune did.
type TuneResult struct {
	StepSize float64 // the tuned leapfrog step ε
	Steps    int     // the leapfrog steps per trajectory, Steps·StepSize = the length
	// Acceptance is the mean Metropolis probability min(1, e^{−ΔH}) of the
	// last complete round (at the step before the last update).
	Acceptance float64
	Rounds     int // step-size updates made
}

// Tune runs n thermalisation trajectories (which, like Thermalise's, are
// discarded and leave Sampled and Accepted alone) and tunes the leapfrog step
// on the way so that the acceptance rate reaches target, keeping the
// trajectory length τ = Steps·StepSize fixed. The trajectories are taken in
// rounds of TuneRounds, 2·TuneRounds, 4·TuneRounds, …; after each complete
// round its mean acceptance probability ā = ⟨min(1, e^{−ΔH})⟩ (less noisy
// than the accept decisions) gives the step that would reach the target,
//
//	ε* = ε · ((1 − target)/(1 − ā))^{1/2}   (the factor clamped to [½, 2]),
//
// since 1 − a ∝ ε² at fixed τ for leapfrog (⟨ΔH⟩ ∝ ε⁴ V and 1 − a ∝ √⟨ΔH⟩
// for small ΔH), and the trajectory is cut into Steps = ⌈τ/ε*⌉ steps of
// ε = τ/Steps: the fewest steps whose acceptance is at least the target
// (with a whole number of steps of a fixed τ not every rate can be hit; the
// rate lies between the target and about 1 − (1 − target)(1 − 1/Steps)²).
// The step is not changed after Tune returns, so the chain that Sample runs
// next is an exact HMC chain with a fixed ε. Exactly n trajectories are run;
// an unfinished last round is not used. target must lie in (0, 1).
func (h *HMC) Tune(n int, target float64) (TuneResult, error) {
	if !(target > 0 && target < 1) {
		return TuneResult{}, fmt.Errorf("mcmc: hmc: target acceptance %g: must lie in (0, 1)", target)
	}
	if err := h.validate(); err != nil {
		return TuneResult{}, err
	}
	tau := h.StepSize * float64(h.Steps)
	res := TuneResult{Acceptance: math.NaN()}
	round, inRound, sum := TuneRounds, 0, 0.0
	for range n {
		_, dh := h.trajectory()
		sum += metropolisProb(dh)
		if inRound++; inRound < round {
			continue
		}
		a := sum / float64(round)
		res.Acceptance = a
		f := math.Sqrt((1 - target) / math.Max(1-a, 1e-3))
		eps := h.StepSize * math.Min(2, math.Max(0.5, f))
		h.Steps = max(1, int(math.Ceil(tau/eps*(1-1e-12))))
		h.StepSize = tau / float64(h.Steps)
		res.Rounds++
		round, inRound, sum = 2*round, 0, 0
	}
	res.StepSize, res.Steps = h.StepSize, h.Steps
	return res, nil
}

// metropolisProb is min(1, e^{−ΔH}), 0 for a NaN ΔH.
func metropolisProb(dh float64) float64 {
	if math.IsNaN(dh) {
		return 0
	}
	return math.Min(1, math.Exp(-dh))
}
