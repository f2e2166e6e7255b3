package observable

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/normflow/normflow-go/internal/within"
)

// Independent Gaussian sites of variance σ²: ⟨φ²⟩ = σ², ⟨φ⁴⟩ = 3σ⁴,
// V⟨M²⟩ = σ², ⟨|M|⟩ = σ √(2/(πV)); each estimate within 4σ of its error.
func TestScalarGaussian(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	const n, vol, sigma = 40000, 4, 1.3
	phi := make([]float64, n*vol)
	for i := range phi {
		phi[i] = sigma * r.NormFloat64()
	}
	want := map[string]float64{
		"phi2": sigma * sigma, "phi4": 3 * math.Pow(sigma, 4),
		"chi2": sigma * sigma, "absM": sigma * math.Sqrt(2/(math.Pi*vol)),
	}
	for _, logw := range [][]float64{nil, make([]float64, n)} {
		got := Scalar(phi, vol, logw, 0)
		for _, name := range ScalarNames {
			e := got[name]
			within.Sigmas(t, name, e.Mean, want[name], e.Err, 4)
		}
	}
}

// Reweighting: samples from N(0,1) with log w = log N(0,s²) − log N(0,1)
// reproduce ⟨φ²⟩ = s².
func TestScalarReweighted(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	const n, s = 100000, 0.8
	phi := make([]float64, n)
	logw := make([]float64, n)
	for i := range phi {
		x := r.NormFloat64()
		phi[i] = x
		logw[i] = -x*x/(2*s*s) + x*x/2
	}
	e := Scalar(phi, 1, logw, 0)["phi2"]
	within.Sigmas(t, "reweighted <φ²>", e.Mean, s*s, e.Err, 4)
}
