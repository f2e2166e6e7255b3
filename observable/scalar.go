// Package observable measures physical quantities on ensembles of scalar
// field configurations, with errors from the Γ-method and the binned jackknife
// (docs/conventions.md §7.5, §7.6, §7.8).
//
// Configurations are a flat []float64 [n, V], e.g. from an mcmc.Chain (pass
// logw = nil) or raw flow samples (pass logw = log p − log q to reweight).
// Scalar gives ⟨φ²⟩, ⟨φ⁴⟩, ⟨|M|⟩ and χ₂; Measure adds χ, the Binder
// cumulant, autocorrelation times and the two-point function; Gauge measures
// U(1) link configurations (d = 2, 3, 4). Package model's example measures ⟨φ²⟩ on a
// chain.
package observable

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/normflow/normflow-go/lattice"
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
	s := newScalarSeries(volume, nil, false)
	s.Add(phi)
	return s.Scalar(logw, binSize)
}

// ScalarSeries holds the per-configuration numbers the scalar observables
// are means of (docs/conventions.md §7.8, §7.9), added chunk by chunk, so
// that an ensemble is measured in one pass over its configurations without
// holding them: O(n) numbers, O(n·L_t) with the two-point function. Its
// methods give exactly what the functions of this package give on all the
// configurations at once (Scalar, Measure, …): the same numbers, bit for
// bit, whatever the chunks.
type ScalarSeries struct {
	volume int
	// Phi2, Phi4 and M are (1/V) Σ_x φ(x)², (1/V) Σ_x φ(x)⁴ and the
	// magnetisation M = (1/V) Σ_x φ(x) of each configuration.
	Phi2, Phi4, M []float64
	lat           *lattice.Lattice // nil for Scalar, which knows only the volume
	// The slice correlators C(t) along axis 0 of lat (sliceCorrelators),
	// corr[t][c], when asked for.
	corr [][]float64
}

// NewScalarSeries starts the series of configurations on lat; with
// twoPoint it also keeps the slice correlators along axis 0 that G(t) and
// m_eff(t) need, when that axis has more than 2 sites (Measure reports
// them then).
func NewScalarSeries(lat *lattice.Lattice, twoPoint bool) *ScalarSeries {
	return newScalarSeries(lat.Volume(), lat, twoPoint)
}

func newScalarSeries(volume int, lat *lattice.Lattice, twoPoint bool) *ScalarSeries {
	s := &ScalarSeries{volume: volume, lat: lat}
	if twoPoint && lat.Dim() >= 1 && lat.Shape()[0] > 2 { // G(t) is reported for L_t > 2
		s.corr = make([][]float64, lat.Shape()[0])
	}
	return s
}

// Add appends the series of configurations phi [k, V].
func (s *ScalarSeries) Add(phi []float64) {
	volume := s.volume
	if volume <= 0 || len(phi)%volume != 0 {
		panic(fmt.Sprintf("observable: %d values are not a whole number of configurations of volume %d", len(phi), volume))
	}
	v := float64(volume)
	for c := 0; c < len(phi)/volume; c++ {
		var s2, s4, m float64
		for _, p := range phi[c*volume : (c+1)*volume] {
			p2 := p * p
			s2 += p2
			s4 += p2 * p2
			m += p
		}
		s.Phi2, s.Phi4, s.M = append(s.Phi2, s2/v), append(s.Phi4, s4/v), append(s.M, m/v)
	}
	if s.corr != nil {
		for t, c := range sliceCorrelators(phi, s.lat, 0) {
			s.corr[t] = append(s.corr[t], c...)
		}
	}
}

// Len is the number of configurations added.
func (s *ScalarSeries) Len() int { return len(s.M) }

// Grow makes room for n more configurations, so that adding them does not
// reallocate (memory exactly for the series of an ensemble of known size).
func (s *ScalarSeries) Grow(n int) {
	s.Phi2, s.Phi4, s.M = slices.Grow(s.Phi2, n), slices.Grow(s.Phi4, n), slices.Grow(s.M, n)
	for t := range s.corr {
		s.corr[t] = slices.Grow(s.corr[t], n)
	}
}

// series returns the per-configuration series whose means are the
// observables of Scalar, keyed by ScalarNames: φ², φ⁴ (site averages), |M|
// and V·M².
func (s *ScalarSeries) series() map[string][]float64 {
	absM, chi2 := make([]float64, len(s.M)), make([]float64, len(s.M))
	v := float64(s.volume)
	for c, m := range s.M {
		absM[c], chi2[c] = math.Abs(m), v*m*m
	}
	return map[string][]float64{"phi2": s.Phi2, "phi4": s.Phi4, "absM": absM, "chi2": chi2}
}

// Scalar is the function Scalar on the configurations added.
func (s *ScalarSeries) Scalar(logw []float64, binSize int) map[string]Estimate {
	out := make(map[string]Estimate, len(ScalarNames))
	for name, x := range s.series() {
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
