package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/normflow/normflow-go/internal/within"
)

// gammaAR1 returns mu + sigma·x_t for an AR(1) series
// x_t = φ x_{t−1} + sqrt(1−φ²) η_t of unit variance, started in
// equilibrium. Its exact integrated autocorrelation time is
// τ_int = ½ (1+φ)/(1−φ).
func gammaAR1(r *rand.Rand, n int, phi, mu, sigma float64) []float64 {
	x := make([]float64, n)
	v := r.NormFloat64()
	c := math.Sqrt(1 - phi*phi)
	for i := range x {
		if i > 0 {
			v = phi*v + c*r.NormFloat64()
		}
		x[i] = mu + sigma*v
	}
	return x
}

func gammaRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9a77a)) }

func gammaMeanSD(x []float64) (mean, sd float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		sd += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(sd / float64(len(x)-1))
}

// checkGammaConsistency verifies the internal identities of a result:
// TauInt = ½ + Σ_{t=1}^W ρ(t), Err = sqrt(2 τ_int Γ(0)/N),
// TauIntErr = τ_int sqrt(2(2W+1)/N), len(Rho) = min(2W, N/2)+1.
func checkGammaConsistency(t *testing.T, name string, r GammaResult, n int) {
	t.Helper()
	if len(r.Rho) != min(2*r.Window, n/2)+1 || r.Rho[0] != 1 {
		t.Errorf("%s: len(Rho) = %d, Rho[0] = %v, W = %d, N = %d", name, len(r.Rho), r.Rho[0], r.Window, n)
		return
	}
	tau := 0.5
	for _, v := range r.Rho[1 : r.Window+1] {
		tau += v
	}
	if !near(r.TauInt, tau, 1e-12*math.Abs(tau)) {
		t.Errorf("%s: TauInt = %v, ½ + Σρ = %v", name, r.TauInt, tau)
	}
	if e := math.Sqrt(2 * r.TauInt * r.Gamma0 / float64(n)); !near(r.Err, e, 1e-12*e) {
		t.Errorf("%s: Err = %v, sqrt(2τΓ(0)/N) = %v", name, r.Err, e)
	}
	if e := r.TauInt * math.Sqrt(2*float64(2*r.Window+1)/float64(n)); !near(r.TauIntErr, e, 1e-12*e) {
		t.Errorf("%s: TauIntErr = %v, Madras–Sokal %v", name, r.TauIntErr, e)
	}
}

func TestAutocovarianceBruteForce(t *testing.T) {
	r := gammaRand(1)
	for _, n := range []int{2, 3, 5, 37, 1000, 1025} {
		d := gammaAR1(r, n, 0.7, 0, 1)
		m, _ := gammaMeanSD(d)
		for i := range d {
			d[i] -= m
		}
		for _, maxLag := range []int{n / 2, n - 1} {
			got := autocovariance(d, maxLag)
			for lag := 0; lag <= maxLag; lag++ {
				want := 0.0
				for i := 0; i+lag < n; i++ {
					want += d[i] * d[i+lag]
				}
				want /= float64(n - lag)
				// FFT round-off ≈ ε log₂L Σ d², divided by N − t.
				tol := 1e-13 * float64(n) / float64(n-lag) * got[0] * 20
				if !near(got[lag], want, tol) {
					t.Errorf("N=%d lag %d: Γ = %v, want %v", n, lag, got[lag], want)
				}
			}
		}
	}
}

// a = 0, 1, 2, 3 worked by hand: ā = 3/2, Γ̄ = (5/4, 5/12, −3/4);
// τ̄_int(1) = 5/6, τ(1) = 1.5/ln 4, g(1) = e^{−1/τ} − τ/2 < 0 → W = 1;
// C̄_F = 25/12, Γ = Γ̄ + 25/48 → Γ(0) = 85/48, C_F = 175/48,
// τ_int = 35/34, Err = sqrt(175/192), ρ = (1, 9/17, −11/85).
func TestGammaMethodHandWorked(t *testing.T) {
	r := GammaMethod([]float64{0, 1, 2, 3}, 0)
	if r.Mean != 1.5 || r.Window != 1 || r.WindowCapped {
		t.Fatalf("Mean %v, Window %d, capped %v; want 1.5, 1, false", r.Mean, r.Window, r.WindowCapped)
	}
	const tol = 1e-14
	if !near(r.TauInt, 35.0/34, tol) || !near(r.Err, math.Sqrt(175.0/192), tol) ||
		!near(r.Gamma0, 85.0/48, tol) || !near(r.TauIntErr, 35.0/34*math.Sqrt(6.0/4), tol) {
		t.Errorf("got %+v", r)
	}
	want := []float64{1, 9.0 / 17, -11.0 / 85}
	if len(r.Rho) != 3 {
		t.Fatalf("Rho = %v, want %v", r.Rho, want)
	}
	for i := range want {
		if !near(r.Rho[i], want[i], tol) {
			t.Errorf("Rho = %v, want %v", r.Rho, want)
		}
	}
	// Affine invariance: c·a + b has the same τ_int and |c| times the error.
	r2 := GammaMethod([]float64{10, 7, 4, 1}, 1.5)
	if !near(r2.Mean, 5.5, tol) || !near(r2.TauInt, r.TauInt, 1e-13) || !near(r2.Err, 3*r.Err, 1e-13) {
		t.Errorf("affine: got %+v", r2)
	}
}

// AR(1) chains, N = 10⁵: exact τ_int = ½(1+φ)/(1−φ) and error of the mean
// sqrt(2τ_int/N) (unit variance).
func TestGammaMethodAR1(t *testing.T) {
	const n = 100000
	for _, tc := range []struct {
		phi  float64
		seed uint64
	}{{0.5, 11}, {0.9, 12}} {
		tau := 0.5 * (1 + tc.phi) / (1 - tc.phi)
		x := gammaAR1(gammaRand(tc.seed), n, tc.phi, 0, 1)
		r := GammaMethod(x, 0)
		checkGammaConsistency(t, "AR1", r, n)
		if r.WindowCapped || r.Window < 1 {
			t.Fatalf("φ=%v: Window %d, capped %v", tc.phi, r.Window, r.WindowCapped)
		}
		// The window should be several exponential autocorrelation times
		// τ_exp = −1/ln φ, far below N.
		texp := -1 / math.Log(tc.phi)
		if float64(r.Window) < 2*texp || float64(r.Window) > 30*texp {
			t.Errorf("φ=%v: Window = %d, τ_exp = %v", tc.phi, r.Window, texp)
		}
		within.Sigmas(t, fmt.Sprintf("φ=%v: τ_int", tc.phi), r.TauInt, tau, r.TauIntErr, 3)
		// TauIntErr against the Madras–Sokal value with the exact τ_int.
		ms := tau * math.Sqrt(2*float64(2*r.Window+1)/n)
		if r.TauIntErr < ms/2 || r.TauIntErr > 2*ms {
			t.Errorf("φ=%v: δτ_int = %v, Madras–Sokal with exact τ: %v", tc.phi, r.TauIntErr, ms)
		}
		exactErr := math.Sqrt(2 * tau / n)
		within.Sigmas(t, fmt.Sprintf("φ=%v: mean", tc.phi), r.Mean, 0, r.Err, 4)
		// Relative error of Err is ½ δτ_int/τ_int; allow 3σ.
		if !relClose(r.Err, exactErr, 1.5*r.TauIntErr/r.TauInt) {
			t.Errorf("φ=%v: Err = %v, exact %v", tc.phi, r.Err, exactErr)
		}
		// ρ(1) = φ with Bartlett variance ≈ (1−φ²)/N; 5σ.
		if !near(r.Rho[1], tc.phi, 5*math.Sqrt((1-tc.phi*tc.phi)/n)) {
			t.Errorf("φ=%v: ρ(1) = %v", tc.phi, r.Rho[1])
		}
	}
}

// Over R independent AR(1) replicas, the estimated errors must match the
// actual spread of the estimates.
func TestGammaMethodReplicas(t *testing.T) {
	const n, reps = 10000, 300
	const phi = 0.5
	tau := 0.5 * (1 + phi) / (1 - phi)
	rng := gammaRand(13)
	means := make([]float64, reps)
	taus := make([]float64, reps)
	sumErr, sumTauErr := 0.0, 0.0
	for k := range reps {
		r := GammaMethod(gammaAR1(rng, n, phi, 1, 2), 0)
		means[k], taus[k] = r.Mean, r.TauInt
		sumErr += r.Err
		sumTauErr += r.TauIntErr
	}
	mMean, sdMean := gammaMeanSD(means)
	mTau, sdTau := gammaMeanSD(taus)
	meanErr, meanTauErr := sumErr/reps, sumTauErr/reps
	// Relative uncertainty of a spread over R replicas ≈ 1/sqrt(2R) = 4%;
	// 5σ ≈ 20%.
	if !relClose(meanErr, sdMean, 0.2) {
		t.Errorf("mean Err %v, MC spread of means %v", meanErr, sdMean)
	}
	within.Sigmas(t, "average mean", mMean, 1, sdMean/math.Sqrt(reps), 5)
	// Madras–Sokal is an approximation: factor 2.
	if meanTauErr < sdTau/2 || meanTauErr > 2*sdTau {
		t.Errorf("mean δτ_int %v, MC spread of τ_int %v", meanTauErr, sdTau)
	}
	// The average τ_int is unbiased up to the truncation bias
	// φ^{W+1}/(1−φ) ≈ 10⁻³ and O(τ/N) terms.
	// 0.001 (0.005 at 5σ) allows for the Γ-method's small bias.
	within.Sigmas(t, "average τ_int", mTau, tau, sdTau/math.Sqrt(reps)+0.001, 5)
}

func TestGammaMethodUncorrelated(t *testing.T) {
	const n = 100000
	rng := gammaRand(14)
	x := make([]float64, n)
	for i := range x {
		x[i] = 3 + 2*rng.NormFloat64()
	}
	r := GammaMethod(x, 0)
	checkGammaConsistency(t, "iid", r, n)
	within.Sigmas(t, "τ_int", r.TauInt, 0.5, r.TauIntErr, 3)
	_, s := gammaMeanSD(x)
	naive := s / math.Sqrt(n)
	// Err/naive ≈ sqrt(2τ_int), so its relative deviation is ≈ δτ_int; 3σ.
	if !relClose(r.Err, naive, 3*r.TauIntErr) {
		t.Errorf("Err = %v, s/√N = %v", r.Err, naive)
	}
	within.Sigmas(t, "mean", r.Mean, 3, r.Err, 4)
	if r.Window > 10 {
		t.Errorf("Window = %d for uncorrelated data", r.Window)
	}
}

// Ratio x̄/ȳ of two cross-correlated AR(1) series with the same φ:
// x = m_x + σ_x u, y = m_y + σ_y (c u + sqrt(1−c²) v), u, v independent unit
// AR(1). Then Γ_αβ(t) = C_αβ φ^t, the projected series has τ_int of the
// primaries, and by the delta method
//
//	Err² = (2τ_int/N) [σ_x²/m_y² − 2c m_x σ_x σ_y/m_y³ + m_x² σ_y²/m_y⁴].
func TestGammaMethodDerivedRatio(t *testing.T) {
	const n = 100000
	const phi, c = 0.8, 0.6
	const mx, sx, my, sy = 2.0, 1.0, 4.0, 1.5
	rng := gammaRand(15)
	u := gammaAR1(rng, n, phi, 0, 1)
	v := gammaAR1(rng, n, phi, 0, 1)
	x := make([]float64, n)
	y := make([]float64, n)
	for i := range x {
		x[i] = mx + sx*u[i]
		y[i] = my + sy*(c*u[i]+math.Sqrt(1-c*c)*v[i])
	}
	tau := 0.5 * (1 + phi) / (1 - phi)
	want := math.Sqrt(2 * tau / n * (sx*sx/(my*my) - 2*c*mx*sx*sy/(my*my*my) + mx*mx*sy*sy/(my*my*my*my)))
	r := GammaMethodDerived([][]float64{x, y}, func(m []float64) float64 { return m[0] / m[1] }, 0)
	checkGammaConsistency(t, "ratio", r, n)
	within.Sigmas(t, "τ_int", r.TauInt, tau, r.TauIntErr, 3)
	if !relClose(r.Err, want, 1.5*r.TauIntErr/r.TauInt+0.01) {
		t.Errorf("Err = %v, delta method %v", r.Err, want)
	}
	within.Sigmas(t, "ratio", r.Mean, mx/my, want, 4)
	// Ignoring the correlation (c → 0) would give a clearly larger error.
	indep := math.Sqrt(2 * tau / n * (sx*sx/(my*my) + mx*mx*sy*sy/(my*my*my*my)))
	if r.Err > (want+indep)/2 {
		t.Errorf("Err = %v does not reflect the cross-correlation (%v vs %v)", r.Err, want, indep)
	}
}

func TestGammaMethodDerivedLinear(t *testing.T) {
	const n = 5000
	rng := gammaRand(16)
	x := gammaAR1(rng, n, 0.7, 1, 1)
	y := gammaAR1(rng, n, 0.3, -2, 3)
	// f = first mean: identical to the primary analysis (the central
	// difference of the identity is exactly 1, of a constant exactly 0).
	r0 := GammaMethod(x, 0)
	r1 := GammaMethodDerived([][]float64{x, y}, func(m []float64) float64 { return m[0] }, 0)
	if r1.Mean != r0.Mean || r1.Err != r0.Err || r1.TauInt != r0.TauInt || r1.Window != r0.Window {
		t.Errorf("derived identity %+v != primary %+v", r1, r0)
	}
	// f = 2x̄ − 3: twice the error, same τ_int.
	r2 := GammaMethodDerived([][]float64{x}, func(m []float64) float64 { return 2*m[0] - 3 }, 0)
	if !near(r2.Mean, 2*r0.Mean-3, 1e-12) || !relClose(r2.Err, 2*r0.Err, 1e-8) ||
		!relClose(r2.TauInt, r0.TauInt, 1e-8) || r2.Window != r0.Window {
		t.Errorf("2x̄−3: %+v, primary %+v", r2, r0)
	}
	// Sum of a series and its negative: the projected series vanishes.
	neg := make([]float64, n)
	for i, v := range x {
		neg[i] = -v
	}
	r3 := GammaMethodDerived([][]float64{x, neg}, func(m []float64) float64 { return m[0] + m[1] }, 0)
	if r3.Err != 0 || r3.TauInt != 0.5 || !(math.Abs(r3.Mean) <= 1e-12) {
		t.Errorf("x̄ + (−x̄): %+v, want Err 0", r3)
	}
}

// Strongly correlated short series: the criterion always stops by
// W ≈ N/e², so the window is never capped.
func TestGammaMethodWindowBound(t *testing.T) {
	rng := gammaRand(17)
	for _, n := range []int{3, 4, 10, 100, 1000, 4096} {
		ramp := make([]float64, n)
		walk := make([]float64, n)
		for i := range ramp {
			ramp[i] = float64(i * i)
			if i > 0 {
				walk[i] = walk[i-1] + rng.NormFloat64()
			}
		}
		for _, a := range [][]float64{ramp, walk, gammaAR1(rng, n, 0.999, 0, 1)} {
			r := GammaMethod(a, 0)
			if r.WindowCapped || r.Window < 1 || float64(r.Window) > math.Ceil(float64(n)/(math.E*math.E))+1 {
				t.Errorf("N=%d: Window %d, capped %v", n, r.Window, r.WindowCapped)
			}
			if n >= 10 {
				checkGammaConsistency(t, "bound", r, n)
			}
		}
	}
}

func TestGammaMethodS(t *testing.T) {
	x := gammaAR1(gammaRand(18), 20000, 0.8, 0, 1)
	def := GammaMethod(x, 1.5)
	for _, s := range []float64{0, -1, math.NaN()} {
		if r := GammaMethod(x, s); r.Window != def.Window || r.TauInt != def.TauInt {
			t.Errorf("S=%v: Window %d, want default %d", s, r.Window, def.Window)
		}
	}
	// A larger S gives a larger (more conservative) window.
	if r := GammaMethod(x, 3); r.Window <= def.Window {
		t.Errorf("S=3: Window %d, S=1.5: %d", r.Window, def.Window)
	}
}

func isNaNResult(r GammaResult) bool {
	return math.IsNaN(r.Mean) && math.IsNaN(r.Err) && math.IsNaN(r.TauInt) && math.IsNaN(r.TauIntErr)
}

func TestGammaMethodEdgeCases(t *testing.T) {
	for name, a := range map[string][]float64{
		"nil":  nil,
		"one":  {1.5},
		"NaN":  {1, 2, math.NaN(), 3, 4},
		"+Inf": {1, math.Inf(1), 2},
		"-Inf": {math.Inf(-1), 1, 2},
	} {
		if r := GammaMethod(a, 0); !isNaNResult(r) {
			t.Errorf("%s: %+v, want NaN", name, r)
		}
	}
	c := make([]float64, 1000)
	for i := range c {
		c[i] = 0.1
	}
	if r := GammaMethod(c, 0); r.Mean != 0.1 || r.Err != 0 || r.TauInt != 0.5 || r.TauIntErr != 0 || r.Window != 0 {
		t.Errorf("constant: %+v", r)
	}
	// Perfectly alternating data: C_F < 0, so no error estimate.
	alt := make([]float64, 100)
	for i := range alt {
		alt[i] = float64(i % 2)
	}
	if r := GammaMethod(alt, 0); r.Mean != 0.5 || !math.IsNaN(r.Err) {
		t.Errorf("alternating: %+v, want Mean 0.5, Err NaN", r)
	}
	if r := GammaMethod([]float64{0, 1}, 0); r.Mean != 0.5 || !math.IsNaN(r.Err) || r.Window != 1 {
		t.Errorf("N=2: %+v", r)
	}
}

func TestGammaMethodDerivedEdgeCases(t *testing.T) {
	ratio := func(m []float64) float64 { return m[0] / m[1] }
	x := gammaAR1(gammaRand(19), 200, 0.5, 1, 1)
	y := gammaAR1(gammaRand(20), 200, 0.5, 3, 1)
	if r := GammaMethodDerived(nil, ratio, 0); !isNaNResult(r) {
		t.Errorf("no series: %+v", r)
	}
	if r := GammaMethodDerived([][]float64{{1}, {2}}, ratio, 0); !isNaNResult(r) {
		t.Errorf("N=1: %+v", r)
	}
	yn := append([]float64(nil), y...)
	yn[50] = math.NaN()
	if r := GammaMethodDerived([][]float64{x, yn}, ratio, 0); !isNaNResult(r) {
		t.Errorf("NaN data: %+v", r)
	}
	if r := GammaMethodDerived([][]float64{x, y}, func([]float64) float64 { return math.NaN() }, 0); !isNaNResult(r) {
		t.Errorf("f = NaN: %+v", r)
	}
	// f undefined next to ā: NaN gradient → NaN errors.
	sq := func(m []float64) float64 {
		if m[0] > 1 {
			return math.NaN()
		}
		return math.Sqrt(1 - m[0])
	}
	x1 := append([]float64(nil), x...)
	mx, _ := gammaMeanSD(x1)
	for i := range x1 {
		x1[i] += 1 - mx // ā = 1 (up to rounding): f(ā + h) = NaN
	}
	if r := GammaMethodDerived([][]float64{x1}, sq, 0); !math.IsNaN(r.Err) || !math.IsNaN(r.TauInt) {
		t.Errorf("NaN gradient: %+v", r)
	}
	// Constant series: Err 0, Mean f(ā).
	c1 := []float64{2, 2, 2, 2}
	c2 := []float64{4, 4, 4, 4}
	if r := GammaMethodDerived([][]float64{c1, c2}, ratio, 0); r.Mean != 0.5 || r.Err != 0 || r.TauInt != 0.5 {
		t.Errorf("constant: %+v", r)
	}
	// A constant denominator contributes nothing: same as x/3.
	c3 := make([]float64, len(x))
	for i := range c3 {
		c3[i] = 3
	}
	r := GammaMethodDerived([][]float64{x, c3}, ratio, 0)
	r0 := GammaMethod(x, 0)
	if !relClose(r.Err, r0.Err/3, 1e-8) || !relClose(r.TauInt, r0.TauInt, 1e-8) {
		t.Errorf("x/3: %+v, x: %+v", r, r0)
	}
	defer func() {
		if recover() == nil {
			t.Errorf("length mismatch did not panic")
		}
	}()
	GammaMethodDerived([][]float64{x, y[:10]}, ratio, 0)
}
