package observable

import (
	"math"
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
	// TauInt of the per-configuration series |M| and M² (chains only: for
	// independent reweighted samples it is ½ by construction and not given).
	TauInt map[string]TauInt `json:"tau_int,omitempty"`
	// G(t) and m_eff(t) along axis 0 (lattices of at least one axis).
	G    []Estimate `json:"G,omitempty"`
	MEff []Estimate `json:"m_eff,omitempty"`
}

// Measure computes the scalar observables (ScalarNames), χ and the Binder
// cumulant with binned-jackknife errors, τ_int of |M| and M² (when logw is
// nil, i.e. for a Markov chain), and G(t), m_eff(t) along axis 0.
func Measure(phi []float64, lat *lattice.Lattice, logw []float64, binSize int) *Report {
	v := lat.Volume()
	n := len(phi) / v
	r := &Report{N: n, Shape: lat.Shape(), Reweighted: logw != nil}
	r.Observables = Scalar(phi, v, logw, binSize)
	r.Observables["chi"] = Susceptibility(phi, v, logw, binSize)
	r.Observables["binder"] = Binder(phi, v, logw, binSize)
	if logw == nil {
		absM := make([]float64, n)
		m2 := make([]float64, n)
		for c := 0; c < n; c++ {
			var m float64
			for _, p := range phi[c*v : (c+1)*v] {
				m += p
			}
			m /= float64(v)
			absM[c], m2[c] = math.Abs(m), m*m
		}
		r.TauInt = map[string]TauInt{}
		for name, x := range map[string][]float64{"absM": absM, "M2": m2} {
			g := stats.GammaMethod(x, 0)
			r.TauInt[name] = TauInt{Tau: g.TauInt, Err: g.TauIntErr, Window: g.Window}
		}
	}
	if lat.Dim() >= 1 && lat.Shape()[0] > 2 {
		r.G = TwoPoint(phi, lat, 0, logw, binSize)
		r.MEff = EffectiveMass(phi, lat, 0, logw, binSize)
	}
	return r
}
