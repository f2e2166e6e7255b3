package observable

import (
	"math"
	"testing"

	"github.com/normflow/normflow-go/gauge"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/rng"
)

// TestGaugeObservables: on configurations of constant field strength
// 2πq/V (charge q, plaquette cos(2πq/V)) the measured Q², χ_t and
// plaquette are exact; a chain alternating Q = ±1 has ⟨Q⟩ = 0, ⟨Q²⟩ = 1.
func TestGaugeObservables(t *testing.T) {
	const lx, ly = 4, 6
	lat := lattice.MustNew(lx, ly)
	v := lx * ly
	geo, err := gauge.NewGeometry(lat)
	if err != nil {
		t.Fatal(err)
	}
	var theta []float64
	for i := range 40 {
		theta = append(theta, geo.Charged(1-2*(i%2))...)
	}
	// A random gauge transformation of each configuration changes nothing.
	s := rng.New(5)
	alpha := make([]float64, v)
	for c := range 40 {
		for x := range alpha {
			alpha[x] = 10 * (s.Float64() - 0.5)
		}
		geo.Transform(theta[c*2*v:(c+1)*2*v], alpha)
	}
	r, err := Gauge(theta, lat, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"Q2": 1, "chi_t": 1 / float64(v), "Q": 0, "plaquette": math.Cos(2 * math.Pi / float64(v))}
	for name, w := range want {
		if got := r.Observables[name].Mean; !(math.Abs(got-w) <= 1e-12) {
			t.Errorf("%s = %g, want %g", name, got, w)
		}
	}
	if r.TauInt == nil || r.Reweighted {
		t.Errorf("chain: τ_int missing or reweighted set")
	}
	if _, err := Gauge(theta, lattice.MustNew(v), nil, 1); err == nil {
		t.Error("1-d lattice: no error")
	}
}
