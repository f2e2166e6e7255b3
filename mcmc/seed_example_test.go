package mcmc_test

import (
	"math"
	"testing"

	"github.com/normflow/normflow-go/config"
	"github.com/normflow/normflow-go/examples"
	"github.com/normflow/normflow-go/internal/testrun"
	"github.com/normflow/normflow-go/internal/within"
	"github.com/normflow/normflow-go/mcmc"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/observable"
	"github.com/normflow/normflow-go/stats"
	"github.com/normflow/normflow-go/train"
)

// trainExample trains an embedded example exactly as `normflow train` would.
func trainExample(t *testing.T, name string) (*config.Run, *model.Model, train.Result) {
	t.Helper()
	return testrun.Example(t, name)
}

// oneSiteMoments integrates ⟨φ^2⟩ and ⟨φ^4⟩ under exp(−S), S = (m²/2)φ² + λφ⁴,
// by the trapezoidal rule on [−L, L] (spectrally accurate for this smooth,
// rapidly decaying integrand).
func oneSiteMoments(mSq, lambda float64) (phi2, phi4 float64) {
	const L, n = 12.0, 200000
	h := 2 * L / n
	var z, m2, m4 float64
	for i := 0; i <= n; i++ {
		x := -L + float64(i)*h
		w := math.Exp(-(mSq/2*x*x + lambda*x*x*x*x))
		if i == 0 || i == n {
			w /= 2
		}
		z += w
		m2 += w * x * x
		m4 += w * x * x * x * x
	}
	return m2 / z, m4 / z
}

// The seed example, trained as `normflow train` trains it, then a chain of
// 10⁵ configurations: ⟨φ²⟩ and ⟨φ⁴⟩ within 4σ of quadrature, ESS ≥ 0.95.
func TestSeedExampleAgainstQuadrature(t *testing.T) {
	_, m, _ := trainExample(t, examples.Default)
	chain := mcmc.NewChain(m, 12345)
	// two calls: the chain continues across them
	phiA, _, _, accA, lwA := chain.Sample(50000)
	phiB, _, _, accB, lwB := chain.Sample(50000)
	phi := append(phiA, phiB...)
	logw := append(lwA, lwB...)
	acc := append(accA, accB...)
	ess := stats.ESS(logw)
	rate, rateErr := stats.AcceptanceRate(acc)
	obs := observable.Scalar(phi, 1, nil, 0)
	want2, want4 := oneSiteMoments(-2, 0.2)
	t.Logf("ESS %.4f, acceptance %s, <φ²> = %v (exact %.5f), <φ⁴> = %v (exact %.5f)",
		ess, stats.FormatValueError(rate, rateErr, 2), obs["phi2"], want2, obs["phi4"], want4)
	if ess < 0.95 {
		t.Errorf("ESS = %.4f < 0.95", ess)
	}
	for name, want := range map[string]float64{"phi2": want2, "phi4": want4} {
		e := obs[name]
		within.Sigmas(t, "<"+name+"> against quadrature", e.Mean, want, e.Err, 4)
	}
}

// A chain run in two calls equals the same chain run in one.
func TestChainContinuesAcrossCalls(t *testing.T) {
	data, _ := examples.FS.ReadFile(examples.Default)
	run, _ := config.Parse(data)
	m, _ := run.BuildModel()
	for _, p := range m.Params.Params {
		for i := range p.Value {
			p.Value[i] = 0.3 * math.Sin(float64(i+1)) // an imperfect flow: some rejections
		}
	}
	one := mcmc.NewChain(m, 7)
	phi1, _, _, acc1, _ := one.Sample(3000)
	two := mcmc.NewChain(m, 7)
	a, _, _, accA, _ := two.Sample(1234)
	b, _, _, accB, _ := two.Sample(3000 - 1234)
	phi2 := append(a, b...)
	acc2 := append(accA, accB...)
	rejected := 0
	for i := range phi1 {
		if phi1[i] != phi2[i] || acc1[i] != acc2[i] {
			t.Fatalf("step %d differs: %g vs %g", i, phi1[i], phi2[i])
		}
		if !acc1[i] {
			rejected++
		}
	}
	if rejected == 0 {
		t.Fatal("no rejections: the test does not exercise the chain state")
	}
	if one.Steps != 3000 || two.Steps != 3000 || one.Accepted != two.Accepted {
		t.Errorf("steps/accepted: %d/%d vs %d/%d", one.Steps, one.Accepted, two.Steps, two.Accepted)
	}
}
