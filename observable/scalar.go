// Package observable measures physical quantities on ensembles of scalar
// field configurations, with errors from the Γ-method and the binned jackknife
// (docs/conventions.md §7.5, §7.6, §7.8).
//
// Configurations are a flat []float64 [n, V], e.g. from an mcmc.Chain (pass
// logw = nil) or raw flow samples (pass logw = log p − log q to reweight).
// Scalar gives ⟨φ²⟩, ⟨φ⁴⟩, ⟨|M|⟩ and χ₂; Measure adds χ, the Binder
// cumulant, autocorrelation times and the two-point function; Gauge measures
// 2-d U(1) link configurations. Package model's example measures ⟨φ²⟩ on a
// chain.
package observable

import (
	"math"
	"strconv"

	"github.com/normflow/normflow-go/stats"
)

// Estimate is a mean with its error.
type Estimate struct {
	Mean float64 `json:"mean"`
	Err  float64 `json:"err"`
}

// String formats the estimate as value(error) with two error digits.
func (e Estimate) String() string { return stats.FormatValueError(e.Mean, e.Err, 2) }

// ScalarNames lists the observables of Scalar in print order.
var ScalarNames = []string{"phi2", "phi4", "absM", "chi2"}

// Scalar measures, on configurations phi [n, volume],
//
//	phi2 = ⟨φ²⟩ and phi4 = ⟨φ⁴⟩ (site averages),
//	absM = ⟨|M|⟩ with M = Σ_x φ(x)/V the magnetisation,
//	chi2 = V⟨M²⟩ the two-point susceptibility,
//
// with binned-jackknife errors (binSize ≤ 0: stats.AutoBinSize). For an MCMC
// chain pass logw = nil. For raw flow samples pass logw = log p − log q: the
// averages are then reweighted, ⟨O⟩ = Σ w O / Σ w, which removes the flow's bias.
func Scalar(phi []float64, volume int, logw []float64, binSize int) map[string]Estimate {
	out := make(map[string]Estimate, len(ScalarNames))
	for name, x := range scalarSeries(phi, volume) {
		var mean, err float64
		if logw == nil {
			mean, err = stats.MeanErr(x, binSize)
		} else {
			mean, err = stats.BinnedJackknifeWeighted([][]float64{x}, logw, binSize,
				func(m []float64) float64 { return m[0] })
		}
		out[name] = Estimate{Mean: mean, Err: err}
	}
	return out
}

// scalarSeries returns the per-configuration series whose means are the
// observables of Scalar, keyed by ScalarNames: φ², φ⁴ (site averages), |M|
// and V·M², for configurations phi [n, volume].
func scalarSeries(phi []float64, volume int) map[string][]float64 {
	n := len(phi) / volume
	phi2 := make([]float64, n)
	phi4 := make([]float64, n)
	absM := make([]float64, n)
	chi2 := make([]float64, n)
	v := float64(volume)
	for c := 0; c < n; c++ {
		var s2, s4, m float64
		for _, p := range phi[c*volume : (c+1)*volume] {
			p2 := p * p
			s2 += p2
			s4 += p2 * p2
			m += p
		}
		m /= v
		phi2[c], phi4[c], absM[c], chi2[c] = s2/v, s4/v, math.Abs(m), v*m*m
	}
	return map[string][]float64{"phi2": phi2, "phi4": phi4, "absM": absM, "chi2": chi2}
}

// MarshalJSON writes the estimate as {"mean": …, "err": …}, with null for a
// value that is NaN or infinite (JSON has no such numbers).
func (e Estimate) MarshalJSON() ([]byte, error) {
	num := func(x float64) string {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "null"
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return []byte(`{"mean":` + num(e.Mean) + `,"err":` + num(e.Err) + `}`), nil
}
