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

// TestGaugeSeries4d: on 4-d configurations (here 3⁴) the series has no
// topological charge; cold configurations give plaquette, ⟨|P|⟩ and every
// W(R, T), R ≤ T ≤ 2, equal to 1; a random one gives W(1, 1) = plaquette.
func TestGaugeSeries4d(t *testing.T) {
	lat := lattice.MustNew(3, 3, 3, 3)
	s, err := NewGaugeSeries(lat)
	if err != nil {
		t.Fatal(err)
	}
	f := 4 * lat.Volume()
	theta := make([]float64, 3*f)
	st := rng.New(3, 4)
	for i := 2 * f; i < 3*f; i++ {
		theta[i] = math.Pi - 2*math.Pi*st.Float64()
	}
	s.Add(theta)
	if s.Len() != 3 || len(s.Q) != 0 {
		t.Fatalf("%d configurations, %d charges; want 3 and none", s.Len(), len(s.Q))
	}
	r := s.Measure(nil, 1)
	for _, name := range []string{"Q", "Q2", "chi_t"} {
		if _, ok := r.Observables[name]; ok {
			t.Errorf("4-d report has %s", name)
		}
	}
	for _, name := range []string{"plaquette", "absP", "W_1x1", "W_1x2", "W_2x2"} {
		if _, ok := r.Observables[name]; !ok {
			t.Errorf("4-d report lacks %s", name)
		}
	}
	for i, name := range []string{"plaquette", "absP", "W_1x1", "W_1x2", "W_2x2"} {
		if s := map[string][]float64{"plaquette": s.Plaq, "absP": s.AbsP, "W_1x1": s.W[0][0], "W_1x2": s.W[0][1], "W_2x2": s.W[1][1]}[name]; s[0] != 1 {
			t.Errorf("cold %s (%d) = %g, want 1", name, i, s[0])
		}
	}
	if !(math.Abs(s.W[0][0][2]-s.Plaq[2]) <= 1e-14) {
		t.Errorf("W(1,1) = %g, plaquette %g", s.W[0][0][2], s.Plaq[2])
	}
}
