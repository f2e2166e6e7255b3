package gauge_test

import (
	"math"
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

// TestHMCPlaquette4d: HMC on 4-d U(1) links, 4⁴ at β = 0.5, against the
// strong-coupling (character) expansion (docs/conventions.md §3): with
// u = I₁(β)/I₀(β), the closed surfaces of fewest plaquettes are the 4V
// elementary 3-cubes, each in two orientations, so ln Z = 6V ln I₀(β) +
// 8V u⁶ + O(u¹⁰) and
//
//	⟨cos θ_P⟩ = (1/6V) ∂ ln Z/∂β = u + 8 u⁵ u' + O(u⁹ u'),  u' = 1 − u/β − u².
//
// At β = 0.5, u = 0.2425 and the cube term is 3.1e-3 (the one-plaquette
// value u alone is off by about 7σ at n = 4000, σ = 3.9e-4: the test
// resolves the cubes); the next surfaces, 24V boxes of 10 plaquettes, add
// about 40 u⁹ u' ≈ 6e-5, and surfaces wrapping the L = 4 torus start at
// u¹⁶: both far below the 4σ tolerance (σ from the Γ-method, τ_int
// included). ε = 0.1: at ε = 0.2 the cold start's ΔH ≈ 9 rejects all.
func TestHMCPlaquette4d(t *testing.T) {
	const beta = 0.5
	lat := lattice.MustNew(4, 4, 4, 4)
	w, err := gauge.NewWilson(lat, beta)
	if err != nil {
		t.Fatal(err)
	}
	h, err := mcmc.NewHMC(w, 0.1, 10, 5)
	if err != nil {
		t.Fatal(err)
	}
	if h.Size() != 4*256 {
		t.Fatalf("HMC on %d variables, want 4V = 1024", h.Size())
	}
	n := 4000
	if testing.Short() {
		n = 1000
	}
	h.Thermalise(200)
	theta, _, _ := h.Sample(n)
	q, plaq := w.Series(theta)
	if q != nil {
		t.Fatalf("4-d Series returned a topological charge series")
	}
	gp := stats.GammaMethod(plaq, 0)
	u := gauge.PlaquetteInfinite(beta)
	du := 1 - u/beta - u*u
	want := u + 8*math.Pow(u, 5)*du
	t.Logf("4⁴ β = %g, HMC %d trajectories (ε = 0.1 × 10), acceptance %.3f: <cos θ_P> = %s, τ_int = %.2f; strong coupling u + 8u⁵u' = %.6f (u = %.6f)",
		beta, n, h.AcceptanceRate(), stats.FormatValueError(gp.Mean, gp.Err, 2), gp.TauInt, want, u)
	within.Sigmas(t, "<cos θ_P> (4-d)", gp.Mean, want, gp.Err, 4)
	if r := h.AcceptanceRate(); r < 0.5 {
		t.Errorf("HMC acceptance %.3f: the step size is too large for this test", r)
	}
}
