package gauge_test

import (
	"testing"

	"github.com/normflow/normflow-go/gauge"
	"github.com/normflow/normflow-go/internal/within"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/mcmc"
	"github.com/normflow/normflow-go/stats"
)

// TestHMCPlaquetteAndQ2: HMC on the link angles (mcmc.HMC, generic over the
// action; the Wilson action is periodic, so angles are not wrapped during
// the trajectories) at L = 8, β = 2 reproduces the exact torus values
// ⟨cos θ_P⟩ = 0.697775 (= I₁(2)/I₀(2) up to (I₁/I₀)^64 ≈ 1e-10) and
// ⟨Q²⟩ = 1.2393, each within 4σ, σ from the Γ-method (τ_int included).
func TestHMCPlaquetteAndQ2(t *testing.T) {
	lat := lattice.MustNew(8, 8)
	w, err := gauge.NewWilson(lat, 2)
	if err != nil {
		t.Fatal(err)
	}
	h, err := mcmc.NewHMC(w, 0.1, 10, 3)
	if err != nil {
		t.Fatal(err)
	}
	if h.Size() != 128 {
		t.Fatalf("HMC on %d variables, want 2V = 128", h.Size())
	}
	n := 20000
	if testing.Short() {
		n = 5000
	}
	h.Thermalise(500)
	theta, _, _ := h.Sample(n)
	q, plaq := w.Series(theta)
	q2 := make([]float64, n)
	for i, v := range q {
		q2[i] = v * v
	}
	gp, gq := stats.GammaMethod(plaq, 0), stats.GammaMethod(q2, 0)
	gQ := stats.GammaMethod(q, 0)
	exactP, exactQ2 := gauge.PlaquetteTorus(2, 64), gauge.Q2Torus(2, 64)
	t.Logf("HMC %d trajectories (ε = 0.1 × 10), acceptance %.3f: <cos θ_P> = %s (exact %.6f), <Q²> = %s (exact %.4f), τ_int(Q) = %.2f(%.0f), τ_int(plaq) = %.2f",
		n, h.AcceptanceRate(), stats.FormatValueError(gp.Mean, gp.Err, 2), exactP,
		stats.FormatValueError(gq.Mean, gq.Err, 2), exactQ2, gQ.TauInt, 100*gQ.TauIntErr, gp.TauInt)
	within.Sigmas(t, "<cos θ_P>", gp.Mean, exactP, gp.Err, 4)
	within.Sigmas(t, "<Q²>", gq.Mean, exactQ2, gq.Err, 4)
	if r := h.AcceptanceRate(); r < 0.5 {
		t.Errorf("HMC acceptance %.3f: the step size is too large for this test", r)
	}
}
