package ensemble

import (
	"github.com/normflow/normflow-go/gauge"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/observable"
	"github.com/normflow/normflow-go/store"
)

// Ensembles of 2-d U(1) link configurations (Kind U1Links, package gauge):
// two real numbers (θ_0, θ_1) per site of a 2-d lattice. They are written
// as the array "theta" [n, 2, Lx, Ly] with every angle wrapped into
// (−π, π] (the flow's output is not wrapped; the physics is 2π-periodic),
// and their observables are ⟨cos θ_P⟩, ⟨Q²⟩, χ_t and ⟨Q⟩ instead of the
// scalar ones.

// fieldArray is the configurations' array: "phi" [n, lattice…] or, for
// links, "theta" [n, d, lattice…] wrapped into (−π, π].
func (e *Ensemble) fieldArray(shape []int) store.Array {
	if e.Kind != U1Links {
		return store.Array{Name: "phi", Shape: shape, Data: e.Phi}
	}
	theta := append([]float64(nil), e.Phi...)
	gauge.WrapAll(theta)
	return store.Array{Name: "theta", Shape: append([]int{shape[0], len(e.Shape)}, shape[1:]...), Data: theta}
}

// gaugeObservables measures a link ensemble: plain averages for a chain
// (logw nil), reweighted with logw for raw flow samples; nil when the
// ensemble cannot be measured.
func (e *Ensemble) gaugeObservables(logw []float64) map[string]observable.Estimate {
	lat, err := lattice.New(e.Shape...)
	if err != nil {
		return nil
	}
	r, err := observable.Gauge(e.Phi, lat, logw, 0)
	if err != nil {
		return nil
	}
	return r.Observables
}
