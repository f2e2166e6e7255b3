package observable

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/stats"
)

// TauInt is an integrated autocorrelation time with its error (Γ-method,
// Wolff hep-lat/0306017) and the summation window chosen.
type TauInt struct {
	Tau    float64 `json:"tau"`
	Err    float64 `json:"err"`
	Window int     `json:"window"`
}

// MarshalJSON writes null for a τ or error that is not finite.
func (t TauInt) MarshalJSON() ([]byte, error) {
	e, _ := Estimate{Mean: t.Tau, Err: t.Err}.MarshalJSON()
	return []byte(`{"tau":` + string(e[len(`{"mean":`):len(e)-1]) + `,"window":` + strconv.Itoa(t.Window) + `}`), nil
}

// Report collects every observable of an ensemble.
type Report struct {
	N           int                 `json:"n"`
	Shape       []int               `json:"shape"`
	Reweighted  bool                `json:"reweighted"`
	Observables map[string]Estimate `json:"observables"`
	// TauInt of the per-configuration series φ², φ⁴, |M| and M² (chains
	// only: for independent reweighted samples it is ½ by construction and
	// not given).
	TauInt map[string]TauInt `json:"tau_int,omitempty"`
	// G(t) and m_eff(t) along axis 0 (lattices of at least one axis).
	G    []Estimate `json:"G,omitempty"`
	MEff []Estimate `json:"m_eff,omitempty"`
	ErrorAnalysis
}

// ErrorAnalysis says how the errors of a report were computed.
type ErrorAnalysis struct {
	// Errors describes the method in words, e.g. "primary: Γ-method;
	// derived: binned jackknife, bin size 1400 (20 τ_int)".
	Errors string `json:"errors"`
	// BinSize is the jackknife bin size used (for the derived observables
	// of a chain with automatic errors, for all of them otherwise).
	BinSize int `json:"bin_size"`
	// Warning, when not empty, says why the errors are not reliable (a
	// chain too short for its autocorrelation time).
	Warning string `json:"warning,omitempty"`
}

// chainErrors chooses the error analysis of a Markov chain of n
// configurations whose primary series have the autocorrelation times tau
// (docs/conventions.md §7.5): with binSize > 0 (given by the user) the binned
// jackknife with that bin size for everything; otherwise the Γ-method for
// the primary observables and the binned jackknife for the derived ones,
// with bins of stats.BinsPerTau times the largest τ_int (stats.TauBinSize),
// and a warning when the chain is too short for that.
func chainErrors(n int, tau map[string]TauInt, binSize int) ErrorAnalysis {
	if binSize > 0 {
		return ErrorAnalysis{BinSize: binSize, Errors: fmt.Sprintf("binned jackknife, bin size %d (given)", binSize)}
	}
	tauMax, slowest := math.NaN(), ""
	for _, name := range slices.Sorted(maps.Keys(tau)) {
		if t := tau[name].Tau; t > tauMax || (math.IsNaN(tauMax) && !math.IsNaN(t)) {
			tauMax, slowest = t, name
		}
	}
	b, ok := stats.TauBinSize(n, tauMax)
	e := ErrorAnalysis{BinSize: b, Errors: fmt.Sprintf(
		"primary: Γ-method; derived: binned jackknife, bin size %d (≥ %d τ_int(%s) = %.3g)", b, stats.BinsPerTau, slowest, tauMax)}
	if !ok {
		e.Warning = fmt.Sprintf("the chain of %d configurations is short for τ_int(%s) = %.3g: %d bins of %d (want at least %d bins of %d τ_int); errors may be underestimated",
			n, slowest, tauMax, n/b, b, stats.MinBins, stats.BinsPerTau)
	}
	return e
}

// primaryEstimates estimates the means of n-configuration primary series
// as every field kind's Measure does (docs/conventions.md §7.5): for raw flow
// samples (logw = log p − log q) reweighted, with binned-jackknife errors
// (bins of binSize, or stats.AutoBinSize when binSize ≤ 0); for a chain
// (logw nil) the Γ-method with τ_int of every series, or the binned
// jackknife when binSize > 0. It returns the estimates, τ_int (chains only)
// and the error analysis, whose BinSize is the bin size derived
// observables use.
func primaryEstimates(n int, series map[string][]float64, logw []float64, binSize int) (map[string]Estimate, map[string]TauInt, ErrorAnalysis) {
	if logw != nil {
		if binSize <= 0 {
			binSize = stats.AutoBinSize(n)
		}
		est := make(map[string]Estimate, len(series))
		for name, x := range series {
			mean, e := stats.BinnedJackknifeWeighted([][]float64{x}, logw, binSize,
				func(m []float64) float64 { return m[0] })
			est[name] = Estimate{Mean: mean, Err: e}
		}
		return est, nil, ErrorAnalysis{BinSize: binSize, Errors: fmt.Sprintf("reweighted binned jackknife, bin size %d", binSize)}
	}
	gamma, tau := gammaEstimates(series)
	ea := chainErrors(n, tau, binSize)
	if binSize <= 0 {
		return gamma, tau, ea
	}
	est := make(map[string]Estimate, len(series))
	for name, x := range series {
		mean, e := stats.MeanErr(x, binSize)
		est[name] = Estimate{Mean: mean, Err: e}
	}
	return est, tau, ea
}

// gammaEstimates runs the Γ-method (Wolff hep-lat/0306017, automatic
// window) on each series: the estimates of their means with errors, and
// their integrated autocorrelation times.
func gammaEstimates(series map[string][]float64) (map[string]Estimate, map[string]TauInt) {
	est := make(map[string]Estimate, len(series))
	tau := make(map[string]TauInt, len(series))
	for name, x := range series {
		g := stats.GammaMethod(x, 0)
		est[name] = Estimate{Mean: g.Mean, Err: g.Err}
		tau[name] = TauInt{Tau: g.TauInt, Err: g.TauIntErr, Window: g.Window}
	}
	return est, tau
}

// Measure computes the scalar observables (ScalarNames), χ and the Binder
// cumulant, τ_int of φ², φ⁴, |M| and M² (when logw is nil, i.e. for a Markov
// chain), and G(t), m_eff(t) along axis 0.
//
// Errors: for raw flow samples (logw = log p − log q, independent samples)
// the reweighted binned jackknife; for a chain, with binSize ≤ 0, the
// Γ-method for the primary observables and the binned jackknife with bins of
// many τ_int for the derived ones (chainErrors); binSize > 0 forces the
// binned jackknife with that bin size everywhere. Report.Errors says which.
func Measure(phi []float64, lat *lattice.Lattice, logw []float64, binSize int) *Report {
	s := NewScalarSeries(lat, true)
	s.Add(phi)
	return s.Measure(logw, binSize)
}

// Measure is the function Measure on the configurations added (G(t) and
// m_eff(t) when the series keep the slice correlators).
func (s *ScalarSeries) Measure(logw []float64, binSize int) *Report {
	v, n := s.volume, s.Len()
	r := &Report{N: n, Reweighted: logw != nil}
	if s.lat != nil {
		r.Shape = s.lat.Shape()
	}
	if logw != nil {
		b := binSize
		if b <= 0 {
			b = stats.AutoBinSize(n)
		}
		r.ErrorAnalysis = ErrorAnalysis{BinSize: b, Errors: fmt.Sprintf("reweighted binned jackknife, bin size %d", b)}
		r.Observables = s.Scalar(logw, b)
	} else {
		var gamma map[string]Estimate
		gamma, r.TauInt = gammaEstimates(s.series())
		r.TauInt["M2"] = r.TauInt["chi2"] // τ_int of V·M² is that of M²
		delete(r.TauInt, "chi2")
		r.ErrorAnalysis = chainErrors(n, r.TauInt, binSize)
		if binSize > 0 {
			r.Observables = s.Scalar(nil, binSize)
		} else {
			r.Observables = gamma
		}
	}
	b := r.BinSize
	r.Observables["chi"] = susceptibility(s.M, v, logw, b)
	r.Observables["binder"] = binder(s.M, logw, b)
	if len(s.corr) > 2 {
		r.G = twoPoint(s.corr, s.M, v, logw, b)
		r.MEff = effectiveMass(s.corr, s.M, logw, b)
	}
	return r
}
