package stats

import (
	"math"
	"testing"

	"github.com/normflow/normflow-go/internal/within"
)

func meanVar(x []float64) (mean, variance float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		variance += (v - mean) * (v - mean)
	}
	return mean, variance / float64(len(x)-1)
}

func gaussians(seed uint64, n int, mu, sigma float64) []float64 {
	r := newRand(seed)
	x := make([]float64, n)
	for i := range x {
		x[i] = mu + sigma*r.NormFloat64()
	}
	return x
}

// ar1 returns an AR(1) series x_t = φ x_{t−1} + sqrt(1−φ²) ε_t with unit
// variance, started in equilibrium.
func ar1(seed uint64, n int, phi float64) []float64 {
	r := newRand(seed)
	x := make([]float64, n)
	x[0] = r.NormFloat64()
	c := math.Sqrt(1 - phi*phi)
	for i := 1; i < n; i++ {
		x[i] = phi*x[i-1] + c*r.NormFloat64()
	}
	return x
}

func TestJackknifeMeanIsStandardError(t *testing.T) {
	x := gaussians(5, 1000, 3, 2)
	m, v := meanVar(x)
	want := math.Sqrt(v / float64(len(x)))
	n := len(x)
	sum := 0.0
	for _, xi := range x {
		sum += xi
	}
	got := Jackknife(n, func(skip int) float64 { return (sum - x[skip]) / float64(n-1) })
	if !relClose(got, want, 1e-10) {
		t.Errorf("Jackknife(mean) = %.17g, want s/√N = %.17g", got, want)
	}
	mean, err := MeanErr(x, 1)
	if !near(mean, m, 1e-13) || !relClose(err, want, 1e-10) {
		t.Errorf("MeanErr(x, 1) = (%v, %v), want (%v, %v)", mean, err, m, want)
	}
	val, err := BinnedJackknife([][]float64{x}, 1, func(m []float64) float64 { return m[0] })
	if !near(val, m, 1e-13) || !relClose(err, want, 1e-10) {
		t.Errorf("BinnedJackknife(x, 1) = (%v, %v), want (%v, %v)", val, err, m, want)
	}
	// Equal weights: the weighted version is the same estimator.
	lw := make([]float64, len(x))
	for i := range lw {
		lw[i] = -12.5
	}
	val, err = BinnedJackknifeWeighted([][]float64{x}, lw, 1, func(m []float64) float64 { return m[0] })
	if !near(val, m, 1e-13) || !relClose(err, want, 1e-10) {
		t.Errorf("BinnedJackknifeWeighted(equal w) = (%v, %v), want (%v, %v)", val, err, m, want)
	}
	if e := Jackknife(1, func(int) float64 { return 1 }); !math.IsNaN(e) {
		t.Errorf("Jackknife(1) = %v, want NaN", e)
	}
	if e := Jackknife(3, func(i int) float64 { return []float64{1, nan, 2}[i] }); !math.IsNaN(e) {
		t.Errorf("Jackknife with NaN = %v, want NaN", e)
	}
}

// Binned mean error equals the standard error of the bin means, and the
// incomplete last bin is dropped.
func TestMeanErrBinsAndRemainder(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5, 100, 7} // binSize 2 → bins {1,2},{3,4},{5,100}; 7 dropped
	bm := []float64{1.5, 3.5, 52.5}
	m, v := meanVar(bm)
	mean, err := MeanErr(x, 2)
	if !near(mean, m, 1e-13) || !relClose(err, math.Sqrt(v/3), 1e-12) {
		t.Errorf("MeanErr = (%v, %v), want (%v, %v)", mean, err, m, math.Sqrt(v/3))
	}
	// Auto bin size (≤ 0) for a short series is 1.
	m1, e1 := MeanErr(x, 1)
	m0, e0 := MeanErr(x, 0)
	if m0 != m1 || e0 != e1 {
		t.Errorf("MeanErr(x, 0) = (%v, %v), want MeanErr(x, 1) = (%v, %v)", m0, e0, m1, e1)
	}
	if mean, err := MeanErr([]float64{1, 2, 3}, 2); mean != 1.5 || !math.IsNaN(err) {
		t.Errorf("MeanErr one bin = (%v, %v), want (1.5, NaN)", mean, err)
	}
	if mean, err := MeanErr([]float64{1, 2, 3}, 5); !math.IsNaN(mean) || !math.IsNaN(err) {
		t.Errorf("MeanErr no bin = (%v, %v), want NaN", mean, err)
	}
	if mean, err := MeanErr(nil, 1); !math.IsNaN(mean) || !math.IsNaN(err) {
		t.Errorf("MeanErr(nil) = (%v, %v), want NaN", mean, err)
	}
	if mean, err := MeanErr([]float64{1, 2, nan, 4}, 1); !math.IsNaN(mean) || !math.IsNaN(err) {
		t.Errorf("MeanErr(NaN) = (%v, %v), want NaN", mean, err)
	}
}

func TestAutoBinSize(t *testing.T) {
	for _, c := range [][2]int{{0, 1}, {1, 1}, {50, 1}, {199, 1}, {200, 2}, {1000, 10}, {100000, 1000}, {123456, 1234}} {
		if got := AutoBinSize(c[0]); got != c[1] {
			t.Errorf("AutoBinSize(%d) = %d, want %d", c[0], got, c[1])
		}
	}
	for n := 100; n < 5000; n++ {
		if nb := n / AutoBinSize(n); nb < 100 || nb > 199 {
			t.Fatalf("AutoBinSize(%d) gives %d bins", n, nb)
		}
	}
}

// Brute-force leave-one-bin-out recomputation for several series, with and
// without weights (including -Inf weights and a dominant weight).
func TestBinnedJackknifeBruteForce(t *testing.T) {
	const n, bs = 23, 3 // 7 bins, 2 values dropped
	r := newRand(6)
	s0, s1 := make([]float64, n), make([]float64, n)
	lw := make([]float64, n)
	for i := range s0 {
		s0[i] = r.NormFloat64() + 1
		s1[i] = r.NormFloat64() + 3
		lw[i] = r.NormFloat64()
	}
	lw[4] = ninf
	lw[10] = 30 // dominant
	f := func(m []float64) float64 { return m[0] * m[0] / m[1] }
	brute := func(w []float64) (float64, float64) {
		nb := n / bs
		means := func(skip int) []float64 {
			var a0, a1, den float64
			for i := 0; i < nb*bs; i++ {
				if i/bs == skip {
					continue
				}
				wi := 1.0
				if w != nil {
					wi = math.Exp(w[i] - 30)
				}
				a0 += wi * s0[i]
				a1 += wi * s1[i]
				den += wi
			}
			return []float64{a0 / den, a1 / den}
		}
		theta := make([]float64, nb)
		for b := range theta {
			theta[b] = f(means(b))
		}
		return f(means(-1)), jackknifeSpread(theta)
	}
	wv, we := brute(nil)
	v, e := BinnedJackknife([][]float64{s0, s1}, bs, f)
	if !relClose(v, wv, 1e-12) || !relClose(e, we, 1e-10) {
		t.Errorf("BinnedJackknife = (%v, %v), brute force (%v, %v)", v, e, wv, we)
	}
	wv, we = brute(lw)
	v, e = BinnedJackknifeWeighted([][]float64{s0, s1}, lw, bs, f)
	if !relClose(v, wv, 1e-12) || !relClose(e, we, 1e-10) {
		t.Errorf("BinnedJackknifeWeighted = (%v, %v), brute force (%v, %v)", v, e, wv, we)
	}
	// Invariance under a constant shift of logw (no overflow at +700/-700).
	for _, c := range []float64{700, -700} {
		sh := make([]float64, n)
		for i := range sh {
			sh[i] = lw[i] + c
		}
		v2, e2 := BinnedJackknifeWeighted([][]float64{s0, s1}, sh, bs, f)
		if !relClose(v2, v, 1e-12) || !relClose(e2, e, 1e-9) {
			t.Errorf("shift %v: (%v, %v), want (%v, %v)", c, v2, e2, v, e)
		}
	}
}

// A weight dominating by e^1000 must not produce 0/0 in the leave-out of
// its own bin.
func TestBinnedJackknifeWeightedDominant(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5, 6}
	lw := []float64{0, 1000, 0, 0, 0, 0}
	v, e := BinnedJackknifeWeighted([][]float64{x}, lw, 2, func(m []float64) float64 { return m[0] })
	// Means: full → 2; leave out bin 0 → (3+4+5+6)/4 = 4.5; others → 2.
	want := jackknifeSpread([]float64{4.5, 2, 2})
	if !near(v, 2, 1e-12) || !relClose(e, want, 1e-12) {
		t.Errorf("dominant weight: (%v, %v), want (2, %v)", v, e, want)
	}
}

func TestBinnedJackknifeNaN(t *testing.T) {
	x := []float64{1, 2, 3, 4}
	id := func(m []float64) float64 { return m[0] }
	if v, e := BinnedJackknife([][]float64{{1, nan, 3, 4}}, 1, id); !math.IsNaN(v) || !math.IsNaN(e) {
		t.Errorf("NaN data: (%v, %v)", v, e)
	}
	if v, e := BinnedJackknifeWeighted([][]float64{x}, []float64{0, nan, 0, 0}, 1, id); !math.IsNaN(v) || !math.IsNaN(e) {
		t.Errorf("NaN logw: (%v, %v)", v, e)
	}
	if v, e := BinnedJackknifeWeighted([][]float64{x}, []float64{0, 0, inf, 0}, 1, id); !math.IsNaN(v) || !math.IsNaN(e) {
		t.Errorf("+Inf logw: (%v, %v)", v, e)
	}
	if v, e := BinnedJackknifeWeighted([][]float64{{1, nan, 3, 4}}, []float64{0, ninf, 0, 0}, 1, id); !math.IsNaN(v) || !math.IsNaN(e) {
		t.Errorf("NaN data with zero weight: (%v, %v)", v, e)
	}
	if v, e := BinnedJackknife(nil, 1, id); !math.IsNaN(v) || !math.IsNaN(e) {
		t.Errorf("no series: (%v, %v)", v, e)
	}
	defer func() {
		if recover() == nil {
			t.Error("mismatched lengths did not panic")
		}
	}()
	BinnedJackknife([][]float64{{1, 2}, {1}}, 1, id)
}

// Ratio of means R = ⟨x⟩/⟨y⟩ of independent Gaussians: the delta method gives
// Var R = (σx²/μy² + μx²σy²/μy⁴)/N.
func TestBinnedJackknifeRatioDeltaMethod(t *testing.T) {
	const n = 20000
	const mx, sx, my, sy = 2.0, 1.0, 4.0, 1.5
	x := gaussians(7, n, mx, sx)
	y := gaussians(8, n, my, sy)
	v, e := BinnedJackknife([][]float64{x, y}, 1, func(m []float64) float64 { return m[0] / m[1] })
	want := math.Sqrt((sx*sx/(my*my) + mx*mx*sy*sy/(my*my*my*my)) / n)
	// The error estimate fluctuates by ≈ 1/sqrt(2N) = 0.5% relative; 5σ ≈ 2.5%,
	// plus O(1/N) delta-method corrections.
	if !relClose(e, want, 0.03) {
		t.Errorf("ratio err = %v, delta method %v", e, want)
	}
	within.Sigmas(t, "ratio", v, mx/my, want, 5)
}

// Variance ⟨x²⟩ − ⟨x⟩² of Gaussian data: compare the mean jackknife error
// over M replicas with the Monte Carlo spread of the estimates and with the
// large-N formula σ² sqrt(2/N).
func TestBinnedJackknifeVarianceMonteCarlo(t *testing.T) {
	const n, reps = 500, 400
	const sigma = 1.5
	r := newRand(9)
	x := make([]float64, n)
	x2 := make([]float64, n)
	f := func(m []float64) float64 { return m[1] - m[0]*m[0] }
	ests := make([]float64, reps)
	errSum := 0.0
	for k := range reps {
		for i := range x {
			x[i] = sigma * r.NormFloat64()
			x2[i] = x[i] * x[i]
		}
		var e float64
		ests[k], e = BinnedJackknife([][]float64{x, x2}, 1, f)
		errSum += e
	}
	meanErr := errSum / reps
	_, v := meanVar(ests)
	spread := math.Sqrt(v)
	// Relative uncertainty of the MC spread ≈ 1/sqrt(2·reps) = 3.5%; 5σ ≈ 18%.
	if !relClose(meanErr, spread, 0.18) {
		t.Errorf("mean jackknife err %v, MC spread %v", meanErr, spread)
	}
	want := sigma * sigma * math.Sqrt(2.0/n)
	// The averaged jackknife error is precise to ~0.5%; allow 5%.
	if !relClose(meanErr, want, 0.05) {
		t.Errorf("mean jackknife err %v, want σ²√(2/N) = %v", meanErr, want)
	}
}

// AR(1) with φ: τ_int = (1+φ)/(2(1−φ)), so the error of the mean is
// σ sqrt(2τ_int/N) for bins ≫ τ_int, while binSize 1 underestimates it by
// the factor sqrt(2τ_int).
func TestBinnedJackknifeAR1(t *testing.T) {
	const n = 1 << 18
	const phi = 0.9
	x := ar1(10, n, phi)
	tau := (1 + phi) / (2 * (1 - phi)) // 9.5
	want := math.Sqrt(2 * tau / n)
	const bs = 1000 // 262 bins; finite-bin bias 2φ/(b(1−φ²)) ≈ 1%
	_, e := MeanErr(x, bs)
	// Relative noise of the error ≈ 1/sqrt(2·261) = 4.4%; 20% ≈ 4.5σ.
	if !relClose(e, want, 0.2) {
		t.Errorf("binned err = %v, want σ sqrt(2τ/N) = %v", e, want)
	}
	_, e1 := MeanErr(x, 1)
	if !relClose(e1, 1/math.Sqrt(n), 0.02) {
		t.Errorf("naive err = %v, want ≈ %v", e1, 1/math.Sqrt(n))
	}
	if ratio := e / e1; !relClose(ratio, math.Sqrt(2*tau), 0.2) {
		t.Errorf("binned/naive = %v, want sqrt(2τ) = %v", ratio, math.Sqrt(2*tau))
	}
	// Several series: the derived quantity ⟨x⟩ + ⟨y⟩ of two independent
	// AR(1) chains has error sqrt(2)·want.
	y := ar1(11, n, phi)
	_, e2 := BinnedJackknife([][]float64{x, y}, bs, func(m []float64) float64 { return m[0] + m[1] })
	if !relClose(e2, math.Sqrt2*want, 0.2) {
		t.Errorf("sum err = %v, want %v", e2, math.Sqrt2*want)
	}
}

// Reweighting q = N(0,1) → p = N(μ,1): logw = μx − μ²/2. The self-normalised
// estimate of ⟨x⟩_p = μ has variance E_q[w²(x−μ)²]/N = e^{μ²}(1+μ²)/N.
func TestBinnedJackknifeWeightedReweighting(t *testing.T) {
	const n = 40000
	const mu = 0.5
	x := gaussians(12, n, 0, 1)
	lw := make([]float64, n)
	for i := range lw {
		lw[i] = mu*x[i] - mu*mu/2 + 17 // arbitrary normalisation
	}
	v, e := BinnedJackknifeWeighted([][]float64{x}, lw, 1, func(m []float64) float64 { return m[0] })
	want := math.Sqrt(math.Exp(mu*mu) * (1 + mu*mu) / n)
	// The error is a weighted 4th-moment estimate with relative noise of a few
	// per cent at this N; allow 10%.
	if !relClose(e, want, 0.10) {
		t.Errorf("reweighted err = %v, want %v", e, want)
	}
	within.Sigmas(t, "reweighted mean", v, mu, want, 5)
	// Binning independent data (bs = 10) must give a consistent error.
	_, e10 := BinnedJackknifeWeighted([][]float64{x}, lw, 10, func(m []float64) float64 { return m[0] })
	if !relClose(e10, want, 0.15) {
		t.Errorf("reweighted binned err = %v, want %v", e10, want)
	}
}
