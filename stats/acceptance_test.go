package stats

import (
	"math"
	"testing"

	"github.com/normflow/normflow-go/internal/within"
)

func TestAcceptanceRateExact(t *testing.T) {
	all := make([]bool, 500)
	for i := range all {
		all[i] = true
	}
	if r, e := AcceptanceRate(all); r != 1 || e != 0 {
		t.Errorf("all accepted: (%v, %v), want (1, 0)", r, e)
	}
	if r, e := AcceptanceRate(make([]bool, 300)); r != 0 || e != 0 {
		t.Errorf("none accepted: (%v, %v), want (0, 0)", r, e)
	}
	// Small history: bin size 1, error is the standard error of 0/1 data.
	h := []bool{true, false, true, true}
	r, e := AcceptanceRate(h)
	if r != 0.75 || !relClose(e, math.Sqrt(0.25/4), 1e-12) { // s² = 1/4
		t.Errorf("(%v, %v), want (0.75, %v)", r, e, math.Sqrt(0.25/4))
	}
	if r, e := AcceptanceRate(nil); !math.IsNaN(r) || !math.IsNaN(e) {
		t.Errorf("empty: (%v, %v), want NaN", r, e)
	}
}

// Two-state Markov chain that flips its accept flag with probability a:
// stationary rate 1/2, autocorrelation ρ^k with ρ = 1−2a, so
// Var(rate) = (1/4)(1+ρ)/(1−ρ)/N.
func TestAcceptanceRateCorrelated(t *testing.T) {
	const n = 1 << 18
	const a = 0.05
	r := newRand(20)
	h := make([]bool, n)
	h[0] = r.IntN(2) == 1
	for i := 1; i < n; i++ {
		h[i] = h[i-1]
		if r.Float64() < a {
			h[i] = !h[i]
		}
	}
	rho := 1 - 2*a
	want := math.Sqrt(0.25 * (1 + rho) / (1 - rho) / n)
	rate, e := AcceptanceRate(h)
	// AutoBinSize → 2621 per bin, 100 bins: error-of-error ≈ 7%; 5σ ≈ 35%.
	// Finite-bin bias ≈ 2ρ/(b(1−ρ²)) < 1%.
	if !relClose(e, want, 0.35) {
		t.Errorf("err = %v, want %v", e, want)
	}
	within.Sigmas(t, "rate", rate, 0.5, want, 5)
	// The naive (unbinned) error would be ~4.4 times smaller.
	if e < 2.5*math.Sqrt(0.25/n) {
		t.Errorf("err = %v is not larger than the naive error %v", e, math.Sqrt(0.25/n))
	}
}

func TestIndependenceAcceptanceExact(t *testing.T) {
	for _, c := range []float64{0, -50, 1e3} {
		lw := make([]float64, 100)
		for i := range lw {
			lw[i] = c
		}
		if r, e := IndependenceAcceptance(lw, 20, 1); r != 1 || e != 0 {
			t.Errorf("equal weights %v: (%v, %v), want (1, 0)", c, r, e)
		}
	}
	lw := []float64{0, 1, -1, 2, 0.5}
	r1, e1 := IndependenceAcceptance(lw, 50, 42)
	r2, e2 := IndependenceAcceptance(lw, 50, 42)
	if r1 != r2 || e1 != e2 {
		t.Errorf("not deterministic: (%v, %v) vs (%v, %v)", r1, e1, r2, e2)
	}
	if r3, _ := IndependenceAcceptance(lw, 50, 43); r3 == r1 {
		t.Errorf("different seeds gave identical rate %v", r1)
	}
	if r1 <= 0 || r1 >= 1 || e1 <= 0 {
		t.Errorf("rate (%v, %v) out of range", r1, e1)
	}
	for name, c := range map[string]struct {
		lw []float64
		s  int
	}{
		"NaN":        {[]float64{0, nan, 1}, 10},
		"N=1":        {[]float64{0}, 10},
		"shuffles=0": {[]float64{0, 1}, 0},
	} {
		if r, e := IndependenceAcceptance(c.lw, c.s, 1); !math.IsNaN(r) || !math.IsNaN(e) {
			t.Errorf("%s: (%v, %v), want NaN", name, r, e)
		}
	}
	if r, e := IndependenceAcceptance([]float64{0, 1}, 1, 1); math.IsNaN(r) || !math.IsNaN(e) {
		t.Errorf("shuffles=1: (%v, %v), want (rate, NaN)", r, e)
	}
	// Zero-weight states: leaving one is always accepted, entering never.
	if r, _ := IndependenceAcceptance([]float64{ninf, 0}, 200, 3); !(r > 0.25 && r < 0.75) {
		t.Errorf("{-Inf, 0}: rate %v, want ≈ 0.5", r)
	}
}

// Two proposals with w = 1, 1/2: ordering (1, ½) has acceptance ½, ordering
// (½, 1) has 1, each with probability ½ → rate 3/4, spread 1/4.
func TestIndependenceAcceptanceTwo(t *testing.T) {
	const shuffles = 4000
	r, e := IndependenceAcceptance([]float64{0, math.Log(0.5)}, shuffles, 7)
	// Per-ordering rates are exactly ½ or 1: the mean's standard error is 1/4/√S.
	within.Sigmas(t, "rate", r, 0.75, 0.25/math.Sqrt(shuffles), 5)
	if !relClose(e, 0.25, 0.01) {
		t.Errorf("err = %v, want 0.25", e)
	}
}

// exactIndependenceRate enumerates all orderings and accept/reject
// histories of a small batch and returns the exact expectation of the
// acceptance rate (fraction of accepted proposals).
func exactIndependenceRate(lw []float64) float64 {
	n := len(lw)
	var rec func(perm []int, used []bool, cur float64, t int, acc float64, prob float64) float64
	// Recurse over positions; prob is the probability of the path so far
	// (permutation part included as 1/n! at the end).
	rec = func(perm []int, used []bool, cur float64, t int, acc float64, prob float64) float64 {
		if t == n {
			return prob * acc / float64(n-1)
		}
		total := 0.0
		for i := 0; i < n; i++ {
			if used[i] {
				continue
			}
			used[i] = true
			if t == 0 {
				total += rec(perm, used, lw[i], 1, 0, prob)
			} else {
				p := math.Min(1, math.Exp(lw[i]-cur))
				if p > 0 {
					total += rec(perm, used, lw[i], t+1, acc+1, prob*p)
				}
				if p < 1 {
					total += rec(perm, used, cur, t+1, acc, prob*(1-p))
				}
			}
			used[i] = false
		}
		return total
	}
	fact := 1.0
	for i := 2; i <= n; i++ {
		fact *= float64(i)
	}
	return rec(nil, make([]bool, n), 0, 0, 0, 1) / fact
}

func TestIndependenceAcceptanceEnumerated(t *testing.T) {
	lw := []float64{0, -0.7, 0.4, -2, 1.1}
	want := exactIndependenceRate(lw)
	const shuffles = 20000
	r, e := IndependenceAcceptance(lw, shuffles, 99)
	within.Sigmas(t, "rate", r, want, e/math.Sqrt(shuffles), 5)
}

// For a large batch the rate approaches the equilibrium acceptance
// E_p E_q min(1, w(y)/w(x)) ≈ Σ_ij min(w_i, w_j) / (N Σ_i w_i).
func TestIndependenceAcceptanceLargeBatch(t *testing.T) {
	const n = 2000
	const shuffles = 40
	lw := gaussians(30, n, 0, 0.8)
	r, e := IndependenceAcceptance(lw, shuffles, 5)
	w := make([]float64, n)
	sw := 0.0
	for i, v := range lw {
		w[i] = math.Exp(v)
		sw += w[i]
	}
	num := 0.0
	for i := range w {
		for j := range w {
			num += math.Min(w[i], w[j])
		}
	}
	want := num / (n * sw)
	// Statistical tolerance 5σ of the shuffle mean plus O(1/N) start-up bias.
	if tol := 5*e/math.Sqrt(shuffles) + 2.0/n; !(math.Abs(r-want) <= tol) {
		t.Errorf("rate = %v, equilibrium %v (tol %v)", r, want, tol)
	}
	if e <= 0 || e > 0.05 {
		t.Errorf("err = %v implausible for N = %d", e, n)
	}
}
