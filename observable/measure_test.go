package observable

import (
	"encoding/json"

	"github.com/normflow/normflow-go/internal/within"
	"github.com/normflow/normflow-go/lattice"
	"math"
	"math/rand/v2"
	"testing"
)

// An AR(1) chain of independent-site configurations: τ_int of M² and |M| are
// reported and larger than ½; the observables and G(t) have the right sizes.
func TestMeasureChain(t *testing.T) {
	lat := lattice.MustNew(4, 2)
	r := rand.New(rand.NewPCG(61, 62))
	const n, rho = 20000, 0.8
	phi := make([]float64, n*8)
	for i := 0; i < 8; i++ {
		phi[i] = r.NormFloat64()
	}
	for c := 1; c < n; c++ {
		for i := 0; i < 8; i++ {
			phi[c*8+i] = rho*phi[(c-1)*8+i] + math.Sqrt(1-rho*rho)*r.NormFloat64()
		}
	}
	rep := Measure(phi, lat, nil, 0)
	if rep.N != n || len(rep.G) != 4 || len(rep.MEff) != 4 {
		t.Fatalf("n %d, %d G values, %d m_eff values", rep.N, len(rep.G), len(rep.MEff))
	}
	for _, name := range []string{"phi2", "phi4", "absM", "chi2", "chi", "binder"} {
		if _, ok := rep.Observables[name]; !ok {
			t.Errorf("observable %s missing", name)
		}
	}
	e := rep.Observables["phi2"]
	within.Sigmas(t, "<φ²>", e.Mean, 1, e.Err, 4)
	// M² of an AR(1) with ρ: its autocorrelation is ρ^{2t}, τ_int = ½(1+ρ²)/(1−ρ²).
	want := 0.5 * (1 + rho*rho) / (1 - rho*rho)
	ti := rep.TauInt["M2"]
	within.Sigmas(t, "τ_int(M²)", ti.Tau, want, ti.Err, 4)
	if rw := Measure(phi, lat, make([]float64, n), 0); rw.TauInt != nil || !rw.Reweighted {
		t.Error("reweighted ensembles must not report τ_int")
	}
}

func TestJSONWithNaN(t *testing.T) {
	b, err := json.Marshal(map[string]any{"e": Estimate{Mean: math.NaN(), Err: 1}, "t": TauInt{Tau: 1.5, Err: math.Inf(1), Window: 3}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"e":{"mean":null,"err":1},"t":{"tau":1.5,"err":null,"window":3}}`
	if string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}
