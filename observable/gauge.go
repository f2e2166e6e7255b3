package observable

import (
	"github.com/normflow/normflow-go/gauge"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/stats"
)

// GaugeNames lists the observables of Gauge in print order.
var GaugeNames = []string{"plaquette", "Q2", "chi_t", "Q"}

// GaugeReport collects the observables of an ensemble of 2-d U(1) link
// configurations.
type GaugeReport struct {
	N           int                 `json:"n"`
	Shape       []int               `json:"shape"` // lattice [Lx, Ly]; configurations are [2, Lx, Ly]
	Reweighted  bool                `json:"reweighted"`
	Observables map[string]Estimate `json:"observables"`
	// TauInt of the per-configuration series Q, Q² and the mean plaquette
	// (chains only).
	TauInt map[string]TauInt `json:"tau_int,omitempty"`
}

// Gauge measures, on link configurations theta [n, 2V] of the 2-d lattice
// lat (package gauge),
//
//	plaquette = ⟨cos θ_P⟩ (site average),
//	Q2 = ⟨Q²⟩, Q the topological charge (1/2π) Σ_x wrap(θ_P(x)), rounded,
//	chi_t = ⟨Q²⟩/V, the topological susceptibility,
//	Q = ⟨Q⟩ (zero by symmetry),
//
// with binned-jackknife errors (reweighted with logw for raw flow samples,
// logw = nil for a chain) and, for a chain, τ_int of Q, Q² and the plaquette
// by the Γ-method.
func Gauge(theta []float64, lat *lattice.Lattice, logw []float64, binSize int) (*GaugeReport, error) {
	g, err := gauge.NewGeometry(lat)
	if err != nil {
		return nil, err
	}
	q, plaq := g.Series(theta)
	n := len(q)
	q2 := make([]float64, n)
	for i, v := range q {
		q2[i] = v * v
	}
	r := &GaugeReport{N: n, Shape: lat.Shape(), Reweighted: logw != nil, Observables: map[string]Estimate{}}
	v := float64(g.Volume())
	for name, x := range map[string][]float64{"plaquette": plaq, "Q2": q2, "Q": q} {
		var mean, e float64
		if logw == nil {
			mean, e = stats.MeanErr(x, binSize)
		} else {
			mean, e = stats.BinnedJackknifeWeighted([][]float64{x}, logw, binSize,
				func(m []float64) float64 { return m[0] })
		}
		r.Observables[name] = Estimate{Mean: mean, Err: e}
	}
	qq := r.Observables["Q2"]
	r.Observables["chi_t"] = Estimate{Mean: qq.Mean / v, Err: qq.Err / v}
	if logw == nil {
		r.TauInt = map[string]TauInt{}
		for name, x := range map[string][]float64{"Q": q, "Q2": q2, "plaquette": plaq} {
			gm := stats.GammaMethod(x, 0)
			r.TauInt[name] = TauInt{Tau: gm.TauInt, Err: gm.TauIntErr, Window: gm.Window}
		}
	}
	return r, nil
}
