package sungauge_test

import (
	"github.com/normflow/normflow-go/sungauge"
	"math"
	"slices"
	"testing"

	"github.com/normflow/normflow-go/internal/within"
	"github.com/normflow/normflow-go/mcmc"
	"github.com/normflow/normflow-go/rng"
	"github.com/normflow/normflow-go/stats"
)

// HMC on SU(N) links is mcmc.HMC with the Manifold methods of Wilson
// (docs/sun.md §10.2): momenta p^a per link and generator, U ← exp(iεP)U.

func newHMC(t testing.TB, w *sungauge.Wilson, eps float64, steps int, seed uint64) *mcmc.HMC {
	t.Helper()
	h, err := mcmc.NewHMC(w, eps, steps, seed)
	if err != nil {
		t.Fatal(err)
	}
	if h.Size() != w.FieldSize() || h.MomentumSize() != w.Momenta() {
		t.Fatalf("HMC on %d variables with %d momenta, want %d and %d", h.Size(), h.MomentumSize(), w.FieldSize(), w.Momenta())
	}
	return h
}

func normals(n int, seed uint64) []float64 {
	s := rng.New(seed)
	p := make([]float64, n)
	for i := range p {
		p[i] = s.Norm()
	}
	return p
}

// TestHMCColdStart: a chain started without a configuration starts from
// unit links.
func TestHMCColdStart(t *testing.T) {
	w := sungauge.MustWilson(t, []int{2, 2, 2}, 3, 1)
	h := newHMC(t, w, 0.1, 5, 1)
	u, s := h.Current()
	cold := make([]float64, w.FieldSize())
	w.ColdStart(cold)
	if !slices.Equal(u, cold) || s != -float64(w.Volume()*3) {
		t.Errorf("HMC starts at S = %g, not the cold start %d", s, -w.Volume()*3)
	}
}

// TestHMCReversibility: integrating 25 leapfrog steps, flipping the momenta
// and integrating again returns to the start, links and momenta to 1e-10,
// from a Haar-random (rough) configuration of SU(2) in 2-d and SU(3) in 4-d,
// with leapfrog and with the Omelyan 2MN integrator.
func TestHMCReversibility(t *testing.T) {
	for _, c := range []struct {
		shape []int
		n     int
		beta  float64
		integ mcmc.Integrator
	}{{[]int{4, 4}, 2, 2, mcmc.Leapfrog}, {[]int{2, 2, 2, 2}, 3, 5.5, mcmc.Leapfrog}, {[]int{2, 2, 2, 2}, 3, 5.5, mcmc.Omelyan2MN}} {
		w := sungauge.MustWilson(t, c.shape, c.n, c.beta)
		h := newHMC(t, w, 0.02, 25, 2)
		h.Integrator = c.integ
		u0 := sungauge.HaarConfigs(w.Geometry, 1, 3)
		p0 := normals(w.Momenta(), 4)
		u, p := slices.Clone(u0), slices.Clone(p0)
		h.Leapfrog(u, p, 25)
		var moved float64
		for i := range u {
			moved = math.Max(moved, math.Abs(u[i]-u0[i]))
		}
		for i := range p {
			p[i] = -p[i]
		}
		h.Leapfrog(u, p, 25)
		var du, dp float64
		for i := range u {
			du = math.Max(du, math.Abs(u[i]-u0[i]))
		}
		for i := range p {
			dp = math.Max(dp, math.Abs(p[i]+p0[i]))
		}
		t.Logf("%v SU(%d) %v: the trajectory moved links by up to %.2f; back: |ΔU| ≤ %.1e, |Δp| ≤ %.1e", c.shape, c.n, c.integ, moved, du, dp)
		if du > 1e-10 || dp > 1e-10 || moved < 0.1 {
			t.Errorf("%v SU(%d): not reversible: |ΔU| = %.2e, |Δp| = %.2e (moved %.2f)", c.shape, c.n, du, dp, moved)
		}
	}
}

// TestHMCEnergyErrorScaling: at fixed trajectory length τ = 0.6 the
// leapfrog energy error is O(ε²): the RMS of ΔH over 8 momentum draws
// drops by 4 (within [3.6, 4.4]) each time ε halves (ε = τ/8, τ/16, τ/32),
// for SU(2) in 2-d and SU(3) in 3-d, from a configuration thermalised by
// 30 trajectories; the same for the Omelyan 2MN integrator on SU(3), whose
// errors are also at least 3 times smaller than leapfrog's at equal ε.
func TestHMCEnergyErrorScaling(t *testing.T) {
	var leap []float64
	for _, c := range []struct {
		shape []int
		n     int
		beta  float64
		integ mcmc.Integrator
	}{{[]int{4, 4}, 2, 2, mcmc.Leapfrog}, {[]int{3, 3, 3}, 3, 5, mcmc.Leapfrog}, {[]int{3, 3, 3}, 3, 5, mcmc.Omelyan2MN}} {
		w := sungauge.MustWilson(t, c.shape, c.n, c.beta)
		h := newHMC(t, w, 0.05, 12, 5)
		h.Thermalise(30)
		h.Integrator = c.integ
		u0, _ := h.Current()
		var rms []float64
		for _, steps := range []int{8, 16, 32} {
			h.StepSize = 0.6 / float64(steps)
			var s2 float64
			for k := range 8 {
				u, p := slices.Clone(u0), normals(w.Momenta(), uint64(10+k))
				h0 := h.Hamiltonian(u, p)
				h.Leapfrog(u, p, steps)
				dh := h.Hamiltonian(u, p) - h0
				s2 += dh * dh
			}
			rms = append(rms, math.Sqrt(s2/8))
		}
		t.Logf("%v SU(%d) %v: RMS ΔH = %.3g, %.3g, %.3g at ε = τ/8, τ/16, τ/32: ratios %.3f, %.3f", c.shape, c.n, c.integ, rms[0], rms[1], rms[2], rms[0]/rms[1], rms[1]/rms[2])
		if c.integ == mcmc.Omelyan2MN {
			for i := range rms {
				if leap[i]/rms[i] < 3 {
					t.Errorf("ε = τ/%d: Omelyan RMS ΔH %.3g not 3 times below leapfrog's %.3g", 8<<i, rms[i], leap[i])
				}
			}
		}
		leap = rms
		for i := range 2 {
			if r := rms[i] / rms[i+1]; !(r > 3.6 && r < 4.4) {
				t.Errorf("%v SU(%d): |ΔH| ratio %.3f when ε halves, want 4 ± 0.4", c.shape, c.n, r)
			}
		}
	}
}

// TestHMCExpDeltaH: in equilibrium ⟨e^{−ΔH}⟩ = 1 (area preservation and
// reversibility of the integrator on the group): within 4σ (Γ-method) over
// 1500 trajectories of SU(2) 4×4 at β = 2 and SU(3) 2⁴ at β = 5 (leapfrog
// and Omelyan), with steps giving an acceptance of about 0.7–0.9 so that
// e^{−ΔH} does fluctuate.
func TestHMCExpDeltaH(t *testing.T) {
	for _, c := range []struct {
		shape []int
		n     int
		beta  float64
		eps   float64
		integ mcmc.Integrator
	}{{[]int{4, 4}, 2, 2, 0.4, mcmc.Leapfrog}, {[]int{2, 2, 2, 2}, 3, 5, 0.16, mcmc.Leapfrog}, {[]int{2, 2, 2, 2}, 3, 5, 0.4, mcmc.Omelyan2MN}} {
		w := sungauge.MustWilson(t, c.shape, c.n, c.beta)
		h := newHMC(t, w, c.eps, 4, 6)
		h.Integrator = c.integ
		h.Thermalise(100)
		_, _, dh := h.Sample(1500)
		e := make([]float64, len(dh))
		for i, v := range dh {
			e[i] = math.Exp(-v)
		}
		g := stats.GammaMethod(e, 0)
		t.Logf("%v SU(%d) β = %g, %v ε = %g: acceptance %.3f, <exp(−ΔH)> = %s", c.shape, c.n, c.beta, c.integ, c.eps, h.AcceptanceRate(), stats.FormatValueError(g.Mean, g.Err, 2))
		within.Sigmas(t, "<exp(−ΔH)>", g.Mean, 1, g.Err, 4)
		if a := h.AcceptanceRate(); a > 0.95 || a < 0.5 {
			t.Errorf("acceptance %.3f: the test wants ΔH of order one", a)
		}
	}
}

// TestHMCTune: mcmc.HMC.Tune reaches the target acceptance on links too
// (SU(3) 3³, τ = 1, target 0.8): the tuned chain's acceptance is within 4σ
// of the interval the tuning promises, [0.8 − 4σ, 1 − 0.2(1 − 1/steps)² + 4σ].
func TestHMCTune(t *testing.T) {
	w := sungauge.MustWilson(t, []int{3, 3, 3}, 3, 5)
	h := newHMC(t, w, 0.5, 2, 7)
	res, err := h.Tune(350, 0.8)
	if err != nil {
		t.Fatal(err)
	}
	_, acc, _ := h.Sample(800)
	rate, rateErr := stats.AcceptanceRate(acc)
	hi := 1 - 0.2*math.Pow(1-1/float64(res.Steps), 2)
	t.Logf("tuned to ε = %.4f × %d steps (last round %.3f); acceptance %s (promised [0.8, %.3f])", res.StepSize, res.Steps, res.Acceptance, stats.FormatValueError(rate, rateErr, 2), hi)
	if rate < 0.8-4*rateErr || rate > hi+4*rateErr {
		t.Errorf("acceptance %.3f ± %.3f after tuning to 0.8", rate, rateErr)
	}
}
