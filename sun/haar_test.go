package sun

import (
	"fmt"
	"math"
	"math/cmplx"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/normflow/normflow-go/rng"
	"github.com/normflow/normflow-go/stats"
)

// sampler draws one N×N matrix from the stream.
type sampler func(dst []complex128, s *rng.Stream)

// notHaar is a deliberately wrong sampler for the negative controls:
// exp(i Σ_a ω^a T^a) with ω^a ~ N(0, 1).
func notHaar(dst []complex128, s *rng.Stream) {
	n := Dim(dst)
	w := make([]float64, n*n-1)
	for a := range w {
		w[a] = s.Norm()
	}
	AlgebraElement(dst, w)
	Exp(dst, dst)
}

// moment is one Haar expectation value to test: its name, exact value and
// the per-sample estimator.
type moment struct {
	name  string
	exact float64
	f     func(u []complex128) float64
}

func haarMoments(n int) []moment {
	ms := []moment{
		{"Re Tr U", 0, func(u []complex128) float64 { return real(Trace(u)) }},
		{"|Tr U|²", 1, func(u []complex128) float64 { return abs2(Trace(u)) }},
		{"|Tr U|⁴", 2, func(u []complex128) float64 { return abs2(Trace(u)) * abs2(Trace(u)) }},
		// (Tr U)^N has one invariant for SU(N) (the ε tensor) and none for
		// U(N): it tells the determinant fix is right.
		{fmt.Sprintf("Re (Tr U)^%d", n), 1, func(u []complex128) float64 { return real(cmplx.Pow(Trace(u), complex(float64(n), 0))) }},
	}
	if n > 2 { // Tr U is real for SU(2)
		ms = append(ms, moment{"Im Tr U", 0, func(u []complex128) float64 { return imag(Trace(u)) }})
	}
	for i := range n {
		for j := range n {
			ms = append(ms, moment{fmt.Sprintf("|U_%d%d|²", i, j), 1 / float64(n), func(u []complex128) float64 { return abs2(u[i*n+j]) }})
		}
	}
	return ms
}

// momentZ draws samples matrices and returns, for each moment, the sample
// mean, its error s/√n and the deviation from the exact value in units of
// the error.
func momentZ(n, samples int, draw sampler, seed uint64, ms []moment) (mean, err, z []float64) {
	vals := make([][]float64, len(ms))
	for k := range vals {
		vals[k] = make([]float64, samples)
	}
	u := make([]complex128, n*n)
	for i := range samples {
		s := rng.New(seed, 0, uint64(i)) // per-sample streams, as in training
		draw(u, &s)
		for k, m := range ms {
			vals[k][i] = m.f(u)
		}
	}
	for k, m := range ms {
		mu, e := stats.MeanErr(vals[k], 1)
		mean, err, z = append(mean, mu), append(err, e), append(z, (mu-m.exact)/e)
	}
	return mean, err, z
}

// TestHaarMoments: 10⁵ Haar samples of SU(2) and SU(3) reproduce ⟨Tr U⟩ = 0,
// ⟨|Tr U|²⟩ = 1, ⟨|Tr U|⁴⟩ = 2, ⟨(Tr U)^N⟩ = 1 and ⟨|U_ij|²⟩ = 1/N within
// 4σ (σ the standard error of the sample); the same test rejects a
// non-Haar sampler by far more than 4σ.
func TestHaarMoments(t *testing.T) {
	const samples = 100_000
	for _, n := range []int{2, 3} {
		ms := haarMoments(n)
		mean, err, z := momentZ(n, samples, Haar, 8, ms)
		for k, m := range ms {
			t.Logf("N=%d ⟨%s⟩ = %.5f ± %.5f (exact %g, %+.2fσ)", n, m.name, mean[k], err[k], m.exact, z[k])
			if math.Abs(z[k]) > 4 {
				t.Errorf("N=%d: ⟨%s⟩ = %g ± %g, exact %g: %.1fσ", n, m.name, mean[k], err[k], m.exact, z[k])
			}
		}
		_, _, zBad := momentZ(n, samples/10, notHaar, 9, ms[1:2])
		t.Logf("N=%d negative control exp(iω·T), ω ~ N(0,1): ⟨|Tr U|²⟩ off by %.0fσ", n, zBad[0])
		if math.Abs(zBad[0]) < 10 {
			t.Errorf("N=%d: the moment test does not reject a non-Haar sampler (%.1fσ)", n, zBad[0])
		}
	}
}

// TestHaarDraws: every draw is in SU(N) to rounding, a stream reproduces
// its draws, and HaarField is Haar applied matrix after matrix.
func TestHaarDraws(t *testing.T) {
	for _, n := range []int{2, 3, 4} {
		a, b := rng.New(10, uint64(n)), rng.New(10, uint64(n))
		field := make([]complex128, 5*n*n)
		HaarField(field, n, &a)
		u := make([]complex128, n*n)
		for k := range 5 {
			Haar(u, &b)
			if maxDiff(u, Mat(field, k, n)) != 0 {
				t.Fatalf("N=%d: HaarField matrix %d differs from the %d-th Haar draw", n, k, k)
			}
			if e := UnitarityError(u); e > 2e-15 {
				t.Fatalf("N=%d: a Haar draw is off SU(N) by %g", n, e)
			}
		}
		c := rng.New(11, uint64(n))
		Haar(u, &c)
		if maxDiff(u, Mat(field, 0, n)) == 0 {
			t.Fatalf("N=%d: two streams gave the same matrix", n)
		}
	}
}

// The χ² test of a histogram: counts against expected probabilities. It
// passes if the upper tail probability of χ² with (bins − 1) degrees of
// freedom is above 3.2e-5, the one-sided tail of a 4σ normal deviation.
const chi2Threshold = 3.2e-5

func chi2Test(counts []int, prob []float64) (chi2 float64, dof int, p float64) {
	var total int
	for _, c := range counts {
		total += c
	}
	for i, c := range counts {
		e := float64(total) * prob[i]
		chi2 += (float64(c) - e) * (float64(c) - e) / e
	}
	dof = len(counts) - 1
	return chi2, dof, distuv.ChiSquared{K: float64(dof)}.Survival(chi2)
}

// su2AngleHistogram returns the counts of θ ∈ [0, π] in bins equal bins
// and the Weyl probabilities ∫ (2/π) sin²θ dθ = [θ − sin(2θ)/2]/π per bin.
func su2AngleHistogram(samples, bins int, draw sampler, seed uint64) ([]int, []float64) {
	counts := make([]int, bins)
	prob := make([]float64, bins)
	cdf := func(x float64) float64 { return (x - math.Sin(2*x)/2) / math.Pi }
	h := math.Pi / float64(bins)
	for b := range bins {
		prob[b] = cdf(h*float64(b+1)) - cdf(h*float64(b))
	}
	u, v, th := make([]complex128, 4), make([]complex128, 4), make([]float64, 2)
	for i := range samples {
		s := rng.New(seed, 0, uint64(i))
		draw(u, &s)
		Eigen(v, th, u)
		counts[min(int(th[0]/h), bins-1)]++
	}
	return counts, prob
}

// su3AngleHistogram histograms (θ_a, θ_b) mod 2π on a bins × bins grid of
// the torus [0, 2π)², for two of the three eigen-angles picked by a random
// labelling (uniform over the 3! orders, from the sample's stream): their
// density is Δ(θ_a, θ_b, −θ_a−θ_b)/(3!(2π)²), the Weyl density, integrated
// over each cell by 8×8-point Gauss–Legendre (Δ is a trigonometric
// polynomial of degree 4 per angle, so this is exact to ~1e-13).
func su3AngleHistogram(samples, bins int, draw sampler, seed uint64) ([]int, []float64) {
	counts := make([]int, bins*bins)
	prob := make([]float64, bins*bins)
	h := 2 * math.Pi / float64(bins)
	x, w := make([]float64, 8), make([]float64, 8)
	quad.Legendre{}.FixedLocations(x, w, 0, h)
	for b1 := range bins {
		for b2 := range bins {
			var p float64
			for i := range x {
				for j := range x {
					a, b := h*float64(b1)+x[i], h*float64(b2)+x[j]
					p += w[i] * w[j] * WeylFactor([]float64{a, b, -a - b})
				}
			}
			prob[b1*bins+b2] = p / (6 * 4 * math.Pi * math.Pi)
		}
	}
	perms := [6][3]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}
	u, v, th := make([]complex128, 9), make([]complex128, 9), make([]float64, 3)
	bin := func(t float64) int {
		t = math.Mod(t, 2*math.Pi)
		if t < 0 {
			t += 2 * math.Pi
		}
		return min(int(t/h), bins-1)
	}
	for i := range samples {
		s := rng.New(seed, 0, uint64(i))
		draw(u, &s)
		Eigen(v, th, u)
		p := perms[s.Intn(6)]
		counts[bin(th[p[0]])*bins+bin(th[p[1]])]++
	}
	return counts, prob
}

// TestHaarEigenAngles: the eigen-angles of 10⁵ Haar samples follow the Weyl
// density by a χ² test (40 bins for SU(2), 12 × 12 for SU(3); pass above the
// 4σ tail probability 3.2e-5), and the same test rejects a non-Haar sampler.
func TestHaarEigenAngles(t *testing.T) {
	const samples = 100_000
	for _, c := range []struct {
		n    int
		hist func(int, int, sampler, uint64) ([]int, []float64)
		bins int
	}{{2, su2AngleHistogram, 40}, {3, su3AngleHistogram, 12}} {
		counts, prob := c.hist(samples, c.bins, Haar, 12)
		var total float64
		for _, p := range prob {
			total += p
		}
		if math.Abs(total-1) > 1e-12 {
			t.Fatalf("N=%d: the Weyl bin probabilities sum to 1 %+g", c.n, total-1)
		}
		chi2, dof, p := chi2Test(counts, prob)
		t.Logf("N=%d Haar: χ² = %.1f for %d degrees of freedom, p = %.3f", c.n, chi2, dof, p)
		if p < chi2Threshold {
			t.Errorf("N=%d: eigen-angles of Haar samples fail the χ² test: χ² = %.1f, dof %d, p = %.2g", c.n, chi2, dof, p)
		}
		counts, prob = c.hist(samples/10, c.bins, notHaar, 13)
		chi2, dof, p = chi2Test(counts, prob)
		t.Logf("N=%d negative control: χ² = %.0f for %d degrees of freedom, p = %.2g", c.n, chi2, dof, p)
		if p > chi2Threshold {
			t.Errorf("N=%d: the χ² test does not reject a non-Haar sampler (p = %.2g)", c.n, p)
		}
	}
}
