package mcmc_test

import (
	"math"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/action"
	"github.com/normflow/normflow-go/internal/within"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/mcmc"
	"github.com/normflow/normflow-go/rng"
	"github.com/normflow/normflow-go/stats"
	"gonum.org/v1/gonum/mat"
)

func hmcPhi4(t *testing.T, shape []int, kappa, mSq, lambda float64) *action.Phi4 {
	t.Helper()
	act, err := action.NewPhi4(lattice.MustNew(shape...), kappa, mSq, lambda, 1)
	if err != nil {
		t.Fatal(err)
	}
	return act
}

func newHMC(t *testing.T, act action.Action, eps float64, steps int, seed uint64) *mcmc.HMC {
	t.Helper()
	h, err := mcmc.NewHMC(act, eps, steps, seed)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// hmcErr is the error of the mean of an HMC time series: the larger of the
// Γ-method error and the binned-jackknife error with 50 bins. HMC trajectories
// close to half an oscillation period make observables anticorrelated at lag
// 1; Wolff's window criterion then stops at W = 1 (τ_int < ½) and misses the
// slower positive tail (seen on the double well: pulls spread ~1.5× too wide
// over seeds), while long bins capture it.
func hmcErr(series []float64) (mean, err float64, r stats.GammaResult) {
	r = stats.GammaMethod(series, 0)
	_, be := stats.MeanErr(series, len(series)/50)
	return r.Mean, math.Max(r.Err, be), r
}

// checkGamma compares the mean of an HMC series with an exact value within
// 4σ, σ from hmcErr.
func checkGamma(t *testing.T, name string, series []float64, want float64) {
	t.Helper()
	mean, err, r := hmcErr(series)
	if !(err > 0) || r.WindowCapped {
		t.Fatalf("%s: bad error analysis %+v", name, r)
	}
	t.Logf("%s = %.5f ± %.5f (exact %.5f, Γ-method error %.5f, τ_int = %.2f, pull %.2f)", name, mean, err, want, r.Err, r.TauInt, (mean-want)/err)
	within.Sigmas(t, name, mean, want, err, 4)
}

// TestHMCFreeField checks ⟨M²⟩·V = 1/m² and ⟨φ(x)²⟩ = (K⁻¹)_xx for the free
// field on 6×6, with K built column by column from the action's gradient
// (S = ½φᵀKφ, so ∇S(e_j) = K e_j) and inverted directly.
func TestHMCFreeField(t *testing.T) {
	const kappa, mSq = 1.0, 0.8
	act := hmcPhi4(t, []int{6, 6}, kappa, mSq, 0)
	v := act.Lattice().Volume()

	k := mat.NewDense(v, v, nil)
	e, col := make([]float64, v), make([]float64, v)
	for j := 0; j < v; j++ {
		clear(e)
		e[j] = 1
		act.Grad(e, col)
		for i := range col {
			k.Set(i, j, col[i])
		}
	}
	var kinv mat.Dense
	if err := kinv.Inverse(k); err != nil {
		t.Fatal(err)
	}
	var sumInv float64
	for i := 0; i < v; i++ {
		for j := 0; j < v; j++ {
			sumInv += kinv.At(i, j)
		}
	}
	if got := sumInv / float64(v); !(math.Abs(got-1/mSq) <= 1e-10) {
		t.Fatalf("exact ⟨M²⟩V from K⁻¹ = %g, want 1/m² = %g", got, 1/mSq)
	}
	var trInv float64
	for i := 0; i < v; i++ {
		trInv += kinv.At(i, i)
	}

	h := newHMC(t, act, 0.15, 10, 20240501)
	h.Thermalise(200)
	const n = 20000
	phi, _, dh := h.Sample(n)
	m2v := make([]float64, n)
	phi0sq := make([]float64, n)
	phiSq := make([]float64, n)
	expDH := make([]float64, n)
	for i := 0; i < n; i++ {
		f := phi[i*v : (i+1)*v]
		var m, q float64
		for _, x := range f {
			m += x
			q += x * x
		}
		m /= float64(v)
		m2v[i] = m * m * float64(v)
		phi0sq[i] = f[0] * f[0]
		phiSq[i] = q / float64(v)
		expDH[i] = math.Exp(-dh[i])
	}
	t.Logf("acceptance %.3f", h.AcceptanceRate())
	if a := h.AcceptanceRate(); a < 0.8 || a == 1 {
		t.Errorf("acceptance rate %g: want high but below 1", a)
	}
	checkGamma(t, "⟨M²⟩V", m2v, 1/mSq)
	checkGamma(t, "⟨φ(0)²⟩", phi0sq, kinv.At(0, 0))
	checkGamma(t, "⟨φ²⟩ site mean", phiSq, trInv/float64(v))
	checkGamma(t, "⟨exp(−ΔH)⟩", expDH, 1)
}

// TestHMCDoubleWell checks one site with S = −φ² + 0.2φ⁴ (κ = 0, m² = −2,
// λ = 0.2) against trapezoid quadrature of exp(−S) on [−12, 12]; ⟨φ⟩ = 0 is
// checked too, which needs the chain to tunnel between the wells.
func TestHMCDoubleWell(t *testing.T) {
	act := hmcPhi4(t, []int{1}, 0, -2, 0.2)
	s := func(x float64) float64 { return -x*x + 0.2*x*x*x*x }
	// Check the action is what we integrate.
	out := make([]float64, 1)
	for _, x := range []float64{-2.5, 0.3, 1.7} {
		act.Eval([]float64{x}, out)
		if !(math.Abs(out[0]-s(x)) <= 1e-12) {
			t.Fatalf("S(%g) = %g, want %g", x, out[0], s(x))
		}
	}
	const np = 48001
	var z, m2, m4 float64
	dx := 24.0 / (np - 1)
	for i := 0; i < np; i++ {
		x := -12 + float64(i)*dx
		w := math.Exp(-s(x))
		if i == 0 || i == np-1 {
			w /= 2
		}
		z += w
		m2 += w * x * x
		m4 += w * x * x * x * x
	}
	m2 /= z
	m4 /= z

	h := newHMC(t, act, 0.1, 12, 7)
	h.Thermalise(100)
	const n = 50000
	phi, _, _ := h.Sample(n)
	p2 := make([]float64, n)
	p4 := make([]float64, n)
	tunnels := 0
	for i, x := range phi {
		p2[i] = x * x
		p4[i] = x * x * x * x
		if i > 0 && (x > 0) != (phi[i-1] > 0) {
			tunnels++
		}
	}
	t.Logf("acceptance %.3f, %d sign changes in %d trajectories", h.AcceptanceRate(), tunnels, n)
	if tunnels < n/50 {
		t.Errorf("only %d sign changes in %d trajectories: the chain does not mix between the wells", tunnels, n)
	}
	checkGamma(t, "⟨φ⟩", phi, 0)
	checkGamma(t, "⟨φ²⟩", p2, m2)
	checkGamma(t, "⟨φ⁴⟩", p4, m4)
}

func gaussianField(seed uint64, v int, sigma float64) []float64 {
	s := rng.New(seed)
	f := make([]float64, v)
	for i := range f {
		f[i] = sigma * s.Norm()
	}
	return f
}

// TestHMCReversibility integrates forward, flips the momenta and integrates
// back to the start.
func TestHMCReversibility(t *testing.T) {
	act := hmcPhi4(t, []int{4, 4}, 1, -1, 0.5)
	h := newHMC(t, act, 0.1, 25, 1)
	v := act.Lattice().Volume()
	phi0, p0 := gaussianField(11, v, 1), gaussianField(12, v, 1)
	phi := append([]float64(nil), phi0...)
	p := append([]float64(nil), p0...)
	h.Leapfrog(phi, p, 25)
	var moved float64
	for i := range phi {
		moved = math.Max(moved, math.Abs(phi[i]-phi0[i]))
	}
	if moved < 0.1 {
		t.Fatalf("trajectory moved the field by only %g", moved)
	}
	for i := range p {
		p[i] = -p[i]
	}
	h.Leapfrog(phi, p, 25)
	for i := range phi {
		if d := math.Abs(phi[i] - phi0[i]); d > 1e-10 {
			t.Errorf("φ[%d] back to %g, started at %g (|Δ| = %g)", i, phi[i], phi0[i], d)
		}
		if d := math.Abs(-p[i] - p0[i]); d > 1e-10 {
			t.Errorf("p[%d] back to %g, started at %g (|Δ| = %g)", i, -p[i], p0[i], d)
		}
	}
}

// TestHMCEnergyConservation checks that |ΔH| over a trajectory of fixed
// length scales like ε² and is small for small ε.
func TestHMCEnergyConservation(t *testing.T) {
	act := hmcPhi4(t, []int{4, 4}, 1, -1, 0.5)
	v := act.Lattice().Volume()
	// Start points from an equilibrated chain.
	gen := newHMC(t, act, 0.1, 10, 3)
	gen.Thermalise(100)
	const nc = 40
	configs, _, _ := gen.Sample(nc)

	const length = 0.8
	meanAbsDH := func(eps float64) float64 {
		h := newHMC(t, act, eps, 1, 0)
		steps := int(math.Round(length / eps))
		var sum float64
		for c := 0; c < nc; c++ {
			phi := append([]float64(nil), configs[c*v:(c+1)*v]...)
			p := gaussianField(1000+uint64(c), v, 1)
			h0 := h.Hamiltonian(phi, p)
			h.Leapfrog(phi, p, steps)
			sum += math.Abs(h.Hamiltonian(phi, p) - h0)
		}
		return sum / nc
	}
	epss := []float64{0.04, 0.02, 0.01}
	dh := make([]float64, len(epss))
	for i, eps := range epss {
		dh[i] = meanAbsDH(eps)
		t.Logf("ε = %g: mean |ΔH| = %.3g", eps, dh[i])
	}
	for i := 1; i < len(epss); i++ {
		r := dh[i-1] / dh[i]
		if r < 3.6 || r > 4.4 {
			t.Errorf("halving ε from %g reduced mean |ΔH| by %.3f, want ≈ 4", epss[i-1], r)
		}
	}
	if last := dh[len(dh)-1]; !(last < 1e-3) {
		t.Errorf("mean |ΔH| = %g at ε = %g, want < 1e-3", last, epss[len(epss)-1])
	}
}

// TestHMCContinues checks that the chain carries over between calls and is a
// pure function of the seed.
func TestHMCContinues(t *testing.T) {
	act := hmcPhi4(t, []int{4, 4}, 1, -1, 0.5)
	start := gaussianField(5, act.Lattice().Volume(), 0.5)
	run := func(seed uint64, ns ...int) ([]float64, []bool, []float64, *mcmc.HMC) {
		h := newHMC(t, act, 0.3, 6, seed) // large ε: some rejections
		h.Start(start)
		h.Thermalise(7)
		var phi, dh []float64
		var acc []bool
		for _, n := range ns {
			p, a, d := h.Sample(n)
			phi, acc, dh = append(phi, p...), append(acc, a...), append(dh, d...)
		}
		return phi, acc, dh, h
	}
	phiA, accA, dhA, hA := run(42, 13, 20)
	phiB, accB, dhB, hB := run(42, 33)
	if len(phiA) != len(phiB) || len(accA) != 33 || len(dhA) != 33 {
		t.Fatalf("lengths %d/%d, %d, %d", len(phiA), len(phiB), len(accA), len(dhA))
	}
	for i := range phiA {
		if math.Float64bits(phiA[i]) != math.Float64bits(phiB[i]) {
			t.Fatalf("φ[%d]: %v (13+20) vs %v (33)", i, phiA[i], phiB[i])
		}
	}
	rejected := 0
	for i := range accA {
		if accA[i] != accB[i] || math.Float64bits(dhA[i]) != math.Float64bits(dhB[i]) {
			t.Fatalf("trajectory %d differs: %v %v vs %v %v", i, accA[i], dhA[i], accB[i], dhB[i])
		}
		if !accA[i] {
			rejected++
		}
	}
	if rejected == 0 || rejected == len(accA) {
		t.Errorf("%d of %d rejected: the test needs both outcomes", rejected, len(accA))
	}
	if hA.Trajectories != 40 || hA.Sampled != 33 || hA.AcceptanceRate() != hB.AcceptanceRate() {
		t.Errorf("counters: %d trajectories, %d sampled, rates %g %g", hA.Trajectories, hA.Sampled, hA.AcceptanceRate(), hB.AcceptanceRate())
	}
	phiC, _, _, _ := run(43, 33)
	same := true
	for i := range phiA {
		same = same && phiA[i] == phiC[i]
	}
	if same {
		t.Error("seeds 42 and 43 gave the same chain")
	}
}

func TestHMCNoAllocPerTrajectory(t *testing.T) {
	act := hmcPhi4(t, []int{4, 4}, 1, -1, 0.5)
	h := newHMC(t, act, 0.1, 10, 9)
	h.Thermalise(1)
	if a := testing.AllocsPerRun(5, func() { h.Thermalise(3) }); a != 0 {
		t.Errorf("Thermalise allocates %g times per call, want 0", a)
	}
}

func TestHMCValidation(t *testing.T) {
	act := hmcPhi4(t, []int{2, 2}, 1, 1, 0)
	cases := []struct {
		eps   float64
		steps int
		want  string
	}{
		{0, 10, "step size"},
		{-0.1, 10, "step size"},
		{math.NaN(), 10, "step size"},
		{math.Inf(1), 10, "step size"},
		{0.1, 0, "steps"},
		{0.1, -3, "steps"},
	}
	for _, c := range cases {
		h, err := mcmc.NewHMC(act, c.eps, c.steps, 1)
		if err == nil || h != nil {
			t.Errorf("NewHMC(ε=%g, steps=%d): no error", c.eps, c.steps)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewHMC(ε=%g, steps=%d): error %q does not name %q", c.eps, c.steps, err, c.want)
		}
	}
	if _, err := mcmc.NewHMC(nil, 0.1, 1, 1); err == nil {
		t.Error("NewHMC(nil action): no error")
	}
	h := newHMC(t, act, 0.1, 1, 1)
	if !math.IsNaN(h.AcceptanceRate()) {
		t.Error("acceptance rate before sampling is not NaN")
	}
	h.Steps = 0
	func() {
		defer func() {
			if r := recover(); r == nil {
				t.Error("Sample with Steps = 0: no panic")
			}
		}()
		h.Sample(1)
	}()
}

// TestHMCTutorialPoint reproduces the tutorial's HMC value χ₂ = V⟨M²⟩ = 0.75(1)
// at albergo2019 m² = −4, λ = 8 on 8×8 (docs/conventions.md §9.3), σ combining both
// errors: an interacting check of the sampler (about half a second).
func TestHMCTutorialPoint(t *testing.T) {
	act, err := action.NewPhi4Albergo(lattice.MustNew(8, 8), -4, 8)
	if err != nil {
		t.Fatal(err)
	}
	v := act.Lattice().Volume()
	h := newHMC(t, act, 0.1, 10, 1)
	h.Thermalise(1000)
	const n = 60000
	phi, _, _ := h.Sample(n)
	chi2 := make([]float64, n)
	for i := 0; i < n; i++ {
		var m float64
		for _, x := range phi[i*v : (i+1)*v] {
			m += x
		}
		chi2[i] = m * m / float64(v)
	}
	mean, e, r := hmcErr(chi2)
	const ref, refErr = 0.75, 0.01
	sigma := math.Hypot(e, refErr)
	t.Logf("acceptance %.3f: χ₂ = %.4f ± %.4f (τ_int = %.2f), tutorial 0.75(1): %.1fσ", h.AcceptanceRate(), mean, e, r.TauInt, (mean-ref)/sigma)
	within.Agree(t, "χ₂ against the tutorial 0.75(1)", mean, e, ref, refErr, 4)
}

// Tune reaches the target acceptance at fixed trajectory length: on 8×8 φ⁴
// at the tutorial point, from a step that accepts poorly (ε = 0.25) and from
// one that accepts almost always (ε = 0.02), the chain sampled after tuning
// accepts at least the target and at most what one leapfrog step fewer
// would give, 1 − (1 − target)(1 − 1/Steps)², each within 0.04 (the rate's
// statistical error is ≈ 0.01, the rest allows for the step being set from
// a round of 400 trajectories); Steps·StepSize keeps the length.
func TestHMCTune(t *testing.T) {
	act, err := action.NewPhi4Albergo(lattice.MustNew(8, 8), -4, 8)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		eps    float64
		steps  int
		target float64
	}{{0.25, 4, mcmc.DefaultTargetAccept}, {0.02, 50, mcmc.DefaultTargetAccept}, {0.1, 10, 0.9}} {
		h := newHMC(t, act, c.eps, c.steps, 5)
		res, err := h.Tune(2000, c.target)
		if err != nil {
			t.Fatal(err)
		}
		if tau := c.eps * float64(c.steps); !(math.Abs(res.StepSize*float64(res.Steps)-tau) <= 1e-12*tau) {
			t.Errorf("length %g × %d = %g, want %g", res.StepSize, res.Steps, res.StepSize*float64(res.Steps), tau)
		}
		if h.Trajectories != 2000 || h.Sampled != 0 {
			t.Errorf("tuning ran %d trajectories, sampled %d: want 2000, 0", h.Trajectories, h.Sampled)
		}
		_, acc, _ := h.Sample(3000)
		rate, rateErr := stats.AcceptanceRate(acc)
		t.Logf("ε %g × %d → %.4f × %d after %d updates (last round %.3f): acceptance %s, target %g",
			c.eps, c.steps, res.StepSize, res.Steps, res.Rounds, res.Acceptance, stats.FormatValueError(rate, rateErr, 2), c.target)
		lo, hi := c.target, 1-(1-c.target)*math.Pow(1-1/float64(res.Steps), 2)
		if !(rate >= lo-0.04 && rate <= hi+0.04) {
			t.Errorf("acceptance %.3f after tuning: want %.3f … %.3f (target %g, %d steps)", rate, lo, hi, c.target, res.Steps)
		}
	}
	h := newHMC(t, act, 0.1, 10, 5)
	for _, bad := range []float64{0, 1, -0.5, math.NaN()} {
		if _, err := h.Tune(100, bad); err == nil {
			t.Errorf("Tune with target %g: no error", bad)
		}
	}
}
