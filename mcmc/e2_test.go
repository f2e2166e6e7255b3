package mcmc_test

import (
	"math"
	"testing"
	"time"

	"github.com/normflow/normflow-go/internal/within"
	"github.com/normflow/normflow-go/mcmc"
	"github.com/normflow/normflow-go/observable"
	"github.com/normflow/normflow-go/stats"
)

// TestE2FlowAgainstHMC is the flagship physics check of the sampling path: at
// the E2 point of Albergo et al. (arXiv:1904.12072; albergo2019 convention,
// L = 8, m² = −4, λ = 6.008), the flow-MCMC ensemble of the trained
// examples/phi4_e2.toml and an HMC ensemble agree on ⟨|M|⟩, χ₂ = V⟨M²⟩ and
// the Binder cumulant within 4σ, σ combining both binned-jackknife errors.
// The HMC runs 10 leapfrog steps of 0.1 per trajectory (τ_int(|M|) ≈ 2.6).
// It also guards the flow's quality: acceptance > 0.7 and ESS > 0.8 (the
// example reaches ≈ 0.86 and ≈ 0.94). Skipped under -short (≈ 1 minute).
func TestE2FlowAgainstHMC(t *testing.T) {
	if testing.Short() {
		t.Skip("trains examples/phi4_e2.toml for 3000 steps; run without -short")
	}
	run, m, res := trainExample(t, "phi4_e2.toml")
	if res.Skipped > 0 {
		t.Errorf("%d training steps skipped (non-finite)", res.Skipped)
	}
	lat := m.Action.Lattice()

	const nFlow = 1 << 16
	start := time.Now()
	chain := mcmc.NewChain(m, 0)
	phi, _, _, acc, logw := chain.Sample(nFlow)
	flowSeconds := time.Since(start).Seconds()
	flow := observable.Measure(phi, lat, nil, 0)
	rate, rateErr := stats.AcceptanceRate(acc)
	ess := stats.ESS(logw)

	const nHMC = 100000
	start = time.Now()
	h, err := mcmc.NewHMC(m.Action, 0.1, 10, 20261128)
	if err != nil {
		t.Fatal(err)
	}
	h.Thermalise(1000)
	phiHMC, _, _ := h.Sample(nHMC)
	hmcSeconds := time.Since(start).Seconds()
	ref := observable.Measure(phiHMC, lat, nil, 0)

	t.Logf("trained %d steps in %.1f s; flow chain of %d in %.2f s: acceptance %s, ESS %.3f; HMC %d trajectories in %.2f s, acceptance %.3f",
		run.Train.Epochs, res.TrainSeconds, nFlow, flowSeconds, stats.FormatValueError(rate, rateErr, 2), ess, nHMC, hmcSeconds, h.AcceptanceRate())
	for _, name := range []string{"absM", "M2"} {
		f, r := flow.TauInt[name], ref.TauInt[name]
		t.Logf("τ_int(%s): flow-MCMC %s, HMC %s", name, stats.FormatValueError(f.Tau, f.Err, 2), stats.FormatValueError(r.Tau, r.Err, 2))
	}
	for _, name := range []string{"absM", "chi2", "binder"} {
		f, r := flow.Observables[name], ref.Observables[name]
		sigma := math.Hypot(f.Err, r.Err)
		t.Logf("%-6s flow-MCMC %v, HMC %v: %.1fσ", name, f, r, math.Abs(f.Mean-r.Mean)/sigma)
		within.Agree(t, name+": flow-MCMC against HMC", f.Mean, f.Err, r.Mean, r.Err, 4)
	}
	if rate < 0.7 || ess < 0.8 {
		t.Errorf("flow quality regressed: acceptance %g, ESS %g (the example reaches ≈ 0.86, ≈ 0.94)", rate, ess)
	}
}
