package mcmc_test

import (
	"math"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/internal/within"
	"github.com/normflow/normflow-go/mcmc"
	"github.com/normflow/normflow-go/stats"
)

// TestOmelyanReversibleAndSecondOrder: the 2MN integrator on φ⁴ (4×4) is
// reversible to 1e-10; at fixed trajectory length 0.8 the mean |ΔH| falls by
// 4 ± 0.4 when ε halves (second order), and at equal ε it is at least 3
// times smaller than leapfrog's (Omelyan et al. report ≈ 10 for the
// leading term).
func TestOmelyanReversibleAndSecondOrder(t *testing.T) {
	act := hmcPhi4(t, []int{4, 4}, 1, -1, 0.5)
	v := act.Lattice().Volume()
	h := newHMC(t, act, 0.1, 25, 1)
	h.Integrator = mcmc.Omelyan2MN
	phi0, p0 := gaussianField(11, v, 1), gaussianField(12, v, 1)
	phi := append([]float64(nil), phi0...)
	p := append([]float64(nil), p0...)
	h.Leapfrog(phi, p, 25)
	for i := range p {
		p[i] = -p[i]
	}
	h.Leapfrog(phi, p, 25)
	for i := range phi {
		if math.Abs(phi[i]-phi0[i]) > 1e-10 || math.Abs(p[i]+p0[i]) > 1e-10 {
			t.Fatalf("site %d: back to φ = %g, p = %g from %g, %g", i, phi[i], -p[i], phi0[i], p0[i])
		}
	}

	gen := newHMC(t, act, 0.1, 10, 3)
	gen.Thermalise(100)
	const nc = 40
	configs, _, _ := gen.Sample(nc)
	meanAbsDH := func(integ mcmc.Integrator, eps float64) float64 {
		h := newHMC(t, act, eps, 1, 0)
		h.Integrator = integ
		steps := int(math.Round(0.8 / eps))
		var sum float64
		for c := range nc {
			phi := append([]float64(nil), configs[c*v:(c+1)*v]...)
			p := gaussianField(1000+uint64(c), v, 1)
			h0 := h.Hamiltonian(phi, p)
			h.Leapfrog(phi, p, steps)
			sum += math.Abs(h.Hamiltonian(phi, p) - h0)
		}
		return sum / nc
	}
	epss := []float64{0.08, 0.04, 0.02}
	var dh []float64
	for _, eps := range epss {
		om, lf := meanAbsDH(mcmc.Omelyan2MN, eps), meanAbsDH(mcmc.Leapfrog, eps)
		t.Logf("ε = %g: mean |ΔH| Omelyan %.3g, leapfrog %.3g (ratio %.1f)", eps, om, lf, lf/om)
		if lf/om < 3 {
			t.Errorf("ε = %g: Omelyan's |ΔH| %.3g is not 3 times below leapfrog's %.3g", eps, om, lf)
		}
		dh = append(dh, om)
	}
	for i := 1; i < len(dh); i++ {
		if r := dh[i-1] / dh[i]; r < 3.6 || r > 4.4 {
			t.Errorf("halving ε from %g reduced Omelyan's mean |ΔH| by %.3f, want ≈ 4", epss[i-1], r)
		}
	}
}

// TestOmelyanChain: an Omelyan chain on φ⁴ satisfies ⟨e^{−ΔH}⟩ = 1 within 4σ
// (Γ-method) at a step with acceptance about 0.9 (lower acceptance gives
// e^{−ΔH} tails too heavy for an honest error from 5000 trajectories), allocates nothing per
// trajectory, and an unknown integrator is refused with its name.
func TestOmelyanChain(t *testing.T) {
	act := hmcPhi4(t, []int{4, 4}, 1, -1, 0.5)
	h := newHMC(t, act, 0.5, 2, 5)
	h.Integrator = mcmc.Omelyan2MN
	h.Thermalise(500)
	_, _, dh := h.Sample(5000)
	e := make([]float64, len(dh))
	for i, v := range dh {
		e[i] = math.Exp(-v)
	}
	g := stats.GammaMethod(e, 0)
	t.Logf("acceptance %.3f, <exp(−ΔH)> = %s", h.AcceptanceRate(), stats.FormatValueError(g.Mean, g.Err, 2))
	within.Sigmas(t, "<exp(−ΔH)>", g.Mean, 1, g.Err, 4)
	if a := h.AcceptanceRate(); a > 0.95 {
		t.Errorf("acceptance %.3f: the test wants ΔH of order one", a)
	}
	if a := testing.AllocsPerRun(5, func() { h.Thermalise(3) }); a != 0 {
		t.Errorf("Omelyan Thermalise allocates %g times per call, want 0", a)
	}
	h.Integrator = 7
	if _, err := h.Tune(10, 0.7); err == nil || !strings.Contains(err.Error(), "integrator Integrator(7)") {
		t.Errorf("integrator 7: error %v", err)
	}
}
