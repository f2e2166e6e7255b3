package sungauge_test

import (
	"fmt"
	"github.com/normflow/normflow-go/sungauge"
	"math"
	"testing"
	"time"

	"github.com/normflow/normflow-go/internal/within"
	"github.com/normflow/normflow-go/stats"
	"github.com/normflow/normflow-go/sun"
)

// chain runs HMC on 2-d SU(n) at beta on an l×l torus: trajectory length
// 1, the step tuned to acceptance 0.8 during 300 thermalisation
// trajectories, then n trajectories; it returns the configurations'
// plaquettes and Wilson loops W(1, 2), W(2, 2).
func chain(t *testing.T, n int, beta float64, l, trajectories int, seed uint64) (plaq, w12, w22 []float64) {
	t.Helper()
	w := sungauge.MustWilson(t, []int{l, l}, n, beta)
	h := newHMC(t, w, 0.1, 10, seed)
	start := time.Now()
	res, err := h.Tune(300, 0.8)
	if err != nil {
		t.Fatal(err)
	}
	cfgs, _, _ := h.Sample(trajectories)
	plaq, w12, w22 = make([]float64, trajectories), make([]float64, trajectories), make([]float64, trajectories)
	size := w.FieldSize()
	for i := range trajectories {
		c := cfgs[i*size : (i+1)*size]
		plaq[i] = w.MeanPlaquette(c)
		loops, err := w.WilsonLoops(c, 2)
		if err != nil {
			t.Fatal(err)
		}
		w12[i], w22[i] = loops[0][1], loops[1][1]
	}
	t.Logf("SU(%d) β = %g L = %d: %d trajectories of %d × ε = %.4f, acceptance %.3f, %.1f s",
		n, beta, l, trajectories, res.Steps, res.StepSize, h.AcceptanceRate(), time.Since(start).Seconds())
	return plaq, w12, w22
}

// TestHMCPlaquetteExact2D: HMC reproduces the exact torus plaquette of
// issue 16 within 4σ (Γ-method errors, τ_int included): SU(2) β = 2, L = 4:
// 0.4331280031; SU(3) β = 6, L = 4: 0.4225320567 (PlaquetteTorus, which
// matches these to 1e-10). 20000 trajectories each, a few seconds.
func TestHMCPlaquetteExact2D(t *testing.T) {
	if testing.Short() {
		t.Skip("20000 HMC trajectories per point; run without -short")
	}
	for _, c := range []struct {
		n    int
		beta float64
	}{{2, 2}, {3, 6}} {
		plaq, _, _ := chain(t, c.n, c.beta, 4, 20000, 40+uint64(c.n))
		g := stats.GammaMethod(plaq, 0)
		exact := sungauge.PlaquetteTorus(c.n, c.beta, 16)
		t.Logf("SU(%d) β = %g L = 4: <P> = %s (τ_int %.2f), exact %.10f: %.1fσ", c.n, c.beta,
			stats.FormatValueError(g.Mean, g.Err, 2), g.TauInt, exact, (g.Mean-exact)/g.Err)
		within.Sigmas(t, fmt.Sprintf("SU(%d) <P>", c.n), g.Mean, exact, g.Err, 4)
	}
}

// TestHMCWilsonLoopsExact2D: on the 8×8 torus (SU(3) β = 6 and SU(2)
// β = 2) HMC's W(1, 2) and W(2, 2) agree within 4σ with the exact torus
// values (WilsonLoopTorus), which equal the infinite-volume ⟨P⟩^{RT} to
// far below the errors (printed); so W(R, T) = ⟨P⟩^{RT} is seen within 4σ.
func TestHMCWilsonLoopsExact2D(t *testing.T) {
	if testing.Short() {
		t.Skip("20000 HMC trajectories per point; run without -short")
	}
	for _, c := range []struct {
		n    int
		beta float64
	}{{2, 2}, {3, 6}} {
		plaq, w12, w22 := chain(t, c.n, c.beta, 8, 20000, 50+uint64(c.n))
		gp := stats.GammaMethod(plaq, 0)
		within.Sigmas(t, fmt.Sprintf("SU(%d) <P>", c.n), gp.Mean, sungauge.PlaquetteTorus(c.n, c.beta, 64), gp.Err, 4)
		p := sungauge.PlaquetteTorus(c.n, c.beta, 64)
		for _, l := range []struct {
			name   string
			series []float64
			area   int
		}{{"W(1,2)", w12, 2}, {"W(2,2)", w22, 4}} {
			g := stats.GammaMethod(l.series, 0)
			exact := sungauge.WilsonLoopTorus(c.n, c.beta, 64, l.area)
			inf := 1.0
			for range l.area {
				inf *= p
			}
			t.Logf("SU(%d) β = %g L = 8: %s = %s (τ_int %.2f), exact torus %.10f (⟨P⟩^%d = %.10f, difference %.1e): %.1fσ", c.n, c.beta, l.name,
				stats.FormatValueError(g.Mean, g.Err, 2), g.TauInt, exact, l.area, inf, exact-inf, (g.Mean-exact)/g.Err)
			within.Sigmas(t, fmt.Sprintf("SU(%d) %s", c.n, l.name), g.Mean, exact, g.Err, 4)
		}
	}
}

// TestHMC4DStrongCoupling: SU(3) on 4⁴ at β = 1 (examples/su3_4d.toml). In
// the strong-coupling character expansion ln Z/N_P = ln c₀ + 12u⁶ + …
// (4 cubes per 6 plaquettes, each cube carrying 2·d_f²u⁶ for the
// fundamental and its conjugate; u = c_f/(3c₀) = sun.MeanTrace(3, 1)),
// so ⟨(1/3) Re Tr U_P⟩ = MeanTrace(3, β) + 72u⁵u′ + … = 0.0601266 + 3e-6,
// the correction far below the statistical error: HMC agrees within 4σ.
// W(1, 2), W(2, 2) and |P| are printed as the HMC reference of this point
// (≈ u², u⁴ at leading order). 3000 trajectories of length 1.
func TestHMC4DStrongCoupling(t *testing.T) {
	if testing.Short() {
		t.Skip("3000 HMC trajectories on SU(3) 4⁴; run without -short")
	}
	w := sungauge.MustWilson(t, []int{4, 4, 4, 4}, 3, 1)
	h := newHMC(t, w, 0.1, 10, 61)
	start := time.Now()
	res, err := h.Tune(400, 0.8)
	if err != nil {
		t.Fatal(err)
	}
	const n = 3000
	plaq, w12, w22, absP := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		c, _, _ := h.Sample(1)
		plaq[i] = w.MeanPlaquette(c)
		loops, err := w.WilsonLoops(c, 2)
		if err != nil {
			t.Fatal(err)
		}
		w12[i], w22[i] = loops[0][1], loops[1][1]
		p := w.Polyakov(c)
		absP[i] = math.Hypot(real(p), imag(p))
	}
	g := stats.GammaMethod(plaq, 0)
	u := sun.MeanTrace(3, 1)
	t.Logf("SU(3) β = 1 4⁴: %d trajectories of %d × ε = %.4f, acceptance %.3f, %.0f s", n, res.Steps, res.StepSize, h.AcceptanceRate(), time.Since(start).Seconds())
	t.Logf("<P> = %s (τ_int %.2f); strong coupling %.7f + O(3e-6): %.1fσ", stats.FormatValueError(g.Mean, g.Err, 2), g.TauInt, u, (g.Mean-u)/g.Err)
	for _, o := range []struct {
		name   string
		series []float64
		lead   float64
	}{{"W(1,2)", w12, u * u}, {"W(2,2)", w22, u * u * u * u}, {"|P|", absP, math.NaN()}} {
		r := stats.GammaMethod(o.series, 0)
		t.Logf("%s = %s (τ_int %.2f; leading strong coupling %.3g)", o.name, stats.FormatValueError(r.Mean, r.Err, 2), r.TauInt, o.lead)
	}
	chi := sungauge.PolyakovSusceptibility(absP, w.SpatialVolume())
	t.Logf("χ_P = %s", stats.FormatValueError(chi.Mean, chi.Err, 2))
	within.Sigmas(t, "<P> at β = 1", g.Mean, u, g.Err, 4)
}
