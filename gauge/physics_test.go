package gauge_test

import (
	"math"
	"testing"

	"github.com/normflow/normflow-go/gauge"
	"github.com/normflow/normflow-go/internal/testrun"
	"github.com/normflow/normflow-go/internal/within"
	"github.com/normflow/normflow-go/mcmc"
	"github.com/normflow/normflow-go/stats"
)

// TestFlowMCMCTopologicalSusceptibility: the tutorial point (L = 8, β = 2).
// After training examples/u1_2d.toml (16 gauge-equivariant couplings), an
// independence-Metropolis chain gives ⟨Q²⟩ within 4σ of the tutorial's HMC
// value 1.23(2) (σ combining both errors) and of the exact torus value
// 1.2393, and ⟨cos θ_P⟩ within 4σ of the exact 0.697775; errors from the
// Γ-method, so the chain's autocorrelation (low acceptance) is included.
// Training and the chain take 40 s on idle cores (about two minutes next
// to other jobs): skipped under -short.
func TestFlowMCMCTopologicalSusceptibility(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the U(1) example for 1000 steps; run without -short")
	}
	run, m, res := testrun.Example(t, "u1_2d.toml")
	if res.Skipped > 0 {
		t.Errorf("%d training steps skipped (non-finite)", res.Skipped)
	}
	w := m.Action.(*gauge.Wilson)
	const n = 32768
	chain := mcmc.NewChain(m, 11)
	theta, _, _, acc, logw := chain.Sample(n)
	q, plaq := w.Series(theta)
	q2 := make([]float64, n)
	for i, v := range q {
		q2[i] = v * v
	}
	gq2, gp, gq := stats.GammaMethod(q2, 0), stats.GammaMethod(plaq, 0), stats.GammaMethod(q, 0)
	rate, rateErr := stats.AcceptanceRate(acc)
	lz, lzErr := stats.LogZ(logw)
	exactQ2, exactP := gauge.Q2Torus(2, 64), gauge.PlaquetteTorus(2, 64)
	const tutorial, tutorialErr = 1.23, 0.02
	sigma := math.Hypot(gq2.Err, tutorialErr)
	t.Logf("trained %d steps (batch %d) in %.0f s (%.0f ms/step); chain of %d: acceptance %s, proposal ESS %.3f, log Z %s (exact %.4f)",
		run.Train.Epochs, run.Train.Batch, res.TrainSeconds, 1000*res.TrainSeconds/float64(run.Train.Epochs), n,
		stats.FormatValueError(rate, rateErr, 2), stats.ESS(logw), stats.FormatValueError(lz, lzErr, 2), gauge.LogZTorus(2, 8, 8))
	t.Logf("<Q²> = %s (tutorial HMC 1.23(2): %.1fσ; exact %.4f), <cos θ_P> = %s (exact %.6f), τ_int(Q) = %.2f(%.0f), τ_int(Q²) = %.2f, τ_int(plaq) = %.2f",
		stats.FormatValueError(gq2.Mean, gq2.Err, 2), math.Abs(gq2.Mean-tutorial)/sigma, exactQ2,
		stats.FormatValueError(gp.Mean, gp.Err, 2), exactP, gq.TauInt, 100*gq.TauIntErr, gq2.TauInt, gp.TauInt)
	within.Agree(t, "<Q²> against the tutorial's HMC 1.23(2)", gq2.Mean, gq2.Err, tutorial, tutorialErr, 4)
	within.Sigmas(t, "<Q²>", gq2.Mean, exactQ2, gq2.Err, 4)
	within.Sigmas(t, "<cos θ_P>", gp.Mean, exactP, gp.Err, 4)
}
