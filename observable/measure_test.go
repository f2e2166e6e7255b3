package observable

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/internal/within"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/stats"
)

// An AR(1) chain of independent-site configurations: τ_int of M² and |M| are
// reported and larger than ½; the observables and G(t) have the right sizes.
func TestMeasureChain(t *testing.T) {
	lat := lattice.MustNew(4, 2)
	r := rand.New(rand.NewPCG(61, 62))
	const n, rho = 20000, 0.8
	phi := make([]float64, n*8)
	for i := 0; i < 8; i++ {
		phi[i] = r.NormFloat64()
	}
	for c := 1; c < n; c++ {
		for i := 0; i < 8; i++ {
			phi[c*8+i] = rho*phi[(c-1)*8+i] + math.Sqrt(1-rho*rho)*r.NormFloat64()
		}
	}
	rep := Measure(phi, lat, nil, 0)
	if rep.N != n || len(rep.G) != 4 || len(rep.MEff) != 4 {
		t.Fatalf("n %d, %d G values, %d m_eff values", rep.N, len(rep.G), len(rep.MEff))
	}
	for _, name := range []string{"phi2", "phi4", "absM", "chi2", "chi", "binder"} {
		if _, ok := rep.Observables[name]; !ok {
			t.Errorf("observable %s missing", name)
		}
	}
	e := rep.Observables["phi2"]
	within.Sigmas(t, "<φ²>", e.Mean, 1, e.Err, 4)
	// M² of an AR(1) with ρ: its autocorrelation is ρ^{2t}, τ_int = ½(1+ρ²)/(1−ρ²).
	want := 0.5 * (1 + rho*rho) / (1 - rho*rho)
	ti := rep.TauInt["M2"]
	within.Sigmas(t, "τ_int(M²)", ti.Tau, want, ti.Err, 4)
	if rw := Measure(phi, lat, make([]float64, n), 0); rw.TauInt != nil || !rw.Reweighted {
		t.Error("reweighted ensembles must not report τ_int")
	}
}

func TestJSONWithNaN(t *testing.T) {
	b, err := json.Marshal(map[string]any{"e": Estimate{Mean: math.NaN(), Err: 1}, "t": TauInt{Tau: 1.5, Err: math.Inf(1), Window: 3}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"e":{"mean":null,"err":1},"t":{"tau":1.5,"err":null,"window":3}}`
	if string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

// ar1Phi2Chains returns reps chains of n configurations of one site whose
// field is an AR(1) process x_{t+1} = ρ x_t + √(1−ρ²) ξ_t in equilibrium
// (x ~ N(0, 1)), with ρ² = r chosen so that φ² = x² has the autocorrelation
// r^t and τ_int(φ²) = ½(1+r)/(1−r) = tau; and the exact standard error of
// the mean of φ² over n steps,
//
//	σ² = (2/n) [ (1+r)/(1−r) − 2r(1−rⁿ)/(n(1−r)²) ]   (Var x² = 2).
func ar1Phi2Chains(reps, n int, tau float64, seed uint64) (chains [][]float64, exactErr float64) {
	r := (2*tau - 1) / (2*tau + 1)
	rho := math.Sqrt(r)
	src := rand.New(rand.NewPCG(seed, seed))
	chains = make([][]float64, reps)
	for k := range chains {
		x := src.NormFloat64()
		c := make([]float64, n)
		for t := range c {
			c[t] = x
			x = rho*x + math.Sqrt(1-r)*src.NormFloat64()
		}
		chains[k] = c
	}
	nf := float64(n)
	v := 2 / nf * ((1+r)/(1-r) - 2*r*(1-math.Pow(r, nf))/(nf*(1-r)*(1-r)))
	return chains, math.Sqrt(v)
}

// On chains with τ_int(φ²) = 50 (N = 20 000, the regime of an HMC chain at
// L = 32 near criticality), Measure's error of ⟨φ²⟩ matches the exact
// standard error: the mean of err²/σ² over the replicas is 1 within 4σ of
// its spread plus 5% for the bias of the window, while the old fixed N/100
// bins (bins of 4 τ_int) were clearly low; the binned jackknife with the
// report's τ-aware bin size (used for derived observables) matches too; and
// the report says how it got its errors.
func TestMeasureErrorsOnAR1Chain(t *testing.T) {
	const reps, n, tau = 48, 20000, 50.0
	chains, exact := ar1Phi2Chains(reps, n, tau, 7)
	lat := lattice.MustNew() // one site
	var ratios, binned, old []float64
	for _, c := range chains {
		rep := Measure(c, lat, nil, 0)
		e := rep.Observables["phi2"]
		ratios = append(ratios, e.Err*e.Err/(exact*exact))
		_, eb := stats.MeanErr(phi2Of(c), rep.BinSize) // the derived observables' bins
		binned = append(binned, eb*eb/(exact*exact))
		_, eo := stats.MeanErr(phi2Of(c), stats.AutoBinSize(n))
		old = append(old, eo*eo/(exact*exact))
		if float64(rep.BinSize) < 20*rep.TauInt["phi2"].Tau || !strings.Contains(rep.Errors, "Γ-method") {
			t.Fatalf("bin size %d, errors %q: want Γ-method and bins of ≥ 20 τ_int", rep.BinSize, rep.Errors)
		}
	}
	m, s := meanSD(ratios)
	mb, sb := meanSD(binned)
	mo, so := meanSD(old)
	t.Logf("σ_exact = %.5f; err²/σ²: Γ-method %.3f ± %.3f, jackknife with τ-aware bins %.3f ± %.3f, fixed N/100 bins %.3f ± %.3f (%d replicas)",
		exact, m, s, mb, sb, mo, so, reps)
	within.Sigmas(t, "Γ-method: mean err²/σ²", m, 1, s+0.05/4, 4)
	within.Sigmas(t, "τ-aware jackknife: mean err²/σ²", mb, 1, sb+0.05/4, 4)
	if !(mo < 0.9) {
		t.Errorf("fixed N/100 bins give err²/σ² = %.3f: the test chain should show their bias", mo)
	}
}

func phi2Of(x []float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = v * v
	}
	return y
}

// meanSD returns the mean of xs and its standard error.
func meanSD(xs []float64) (mean, se float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1) / float64(len(xs)))
}
