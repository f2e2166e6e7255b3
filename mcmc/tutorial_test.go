package mcmc_test

import (
	"math"
	"testing"

	"github.com/normflow/normflow-go/internal/within"
	"github.com/normflow/normflow-go/mcmc"
	"github.com/normflow/normflow-go/observable"
	"github.com/normflow/normflow-go/stats"
)

// Albergo et al.'s tutorial point (arXiv:2101.08176): after training
// examples/tutorial_phi4.toml, a flow-MCMC chain of 8192 configurations gives
// the two-point susceptibility χ₂ = V⟨M²⟩ within 4σ of the tutorial's HMC value
// 0.75(1), σ combining both errors. A few minutes of training: skipped under
// -short.
func TestTutorialChi2AgainstHMC(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the tutorial model for 2500 steps; run without -short")
	}
	run, m, res := trainExample(t, "tutorial_phi4.toml")
	if res.Skipped > 0 {
		t.Errorf("%d training steps skipped (non-finite)", res.Skipped)
	}
	const n = 8192
	chain := mcmc.NewChain(m, 0)
	phi, _, _, acc, logw := chain.Sample(n)
	obs := observable.Scalar(phi, m.Size(), nil, 0)
	rate, rateErr := stats.AcceptanceRate(acc)
	chi2 := obs["chi2"]
	const hmc, hmcErr = 0.75, 0.01
	sigma := math.Hypot(chi2.Err, hmcErr)
	t.Logf("trained %d steps in %.0f s; chain of %d: acceptance %s, proposal ESS %.3f, χ₂ = %v (HMC 0.75(1), %.1fσ)",
		run.Train.Epochs, res.TrainSeconds, n, stats.FormatValueError(rate, rateErr, 2), stats.ESS(logw), chi2,
		math.Abs(chi2.Mean-hmc)/sigma)
	within.Agree(t, "χ₂ against HMC 0.75(1)", chi2.Mean, chi2.Err, hmc, hmcErr, 4)
}
