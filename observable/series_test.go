package observable

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/normflow/normflow-go/lattice"
)

// addInChunks adds configurations of size values each to add in chunks of
// random lengths (some empty).
func addInChunks(x []float64, size int, r *rand.Rand, add func([]float64)) {
	n := len(x) / size
	for lo := 0; lo < n; {
		hi := min(n, lo+r.IntN(700))
		add(x[lo*size : hi*size])
		lo = hi
	}
}

func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	a, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Errorf("%s: chunk by chunk\n%s\nall at once\n%s", what, a, b)
	}
}

// Series added chunk by chunk give the reports of the whole ensemble bit
// for bit: chains (Γ-method, τ-aware bins, --bin), reweighted samples,
// scalar fields and U(1) links.
func TestSeriesInChunksMatchWhole(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	lat := lattice.MustNew(4, 3)
	const n = 3001
	phi := make([]float64, n*12)
	for i := range phi {
		phi[i] = r.NormFloat64() + 0.3
	}
	logw := make([]float64, n)
	for i := range logw {
		logw[i] = 0.3 * r.NormFloat64()
	}
	for _, c := range []struct {
		name string
		logw []float64
		bin  int
	}{{"chain", nil, 0}, {"reweighted", logw, 0}, {"chain --bin 7", nil, 7}} {
		s := NewScalarSeries(lat, true)
		addInChunks(phi, 12, r, s.Add)
		sameJSON(t, c.name+": Measure", s.Measure(c.logw, c.bin), Measure(phi, lat, c.logw, c.bin))
		sameJSON(t, c.name+": Scalar", s.Scalar(c.logw, c.bin), Scalar(phi, 12, c.logw, c.bin))
	}
	// Without the two-point function: no G(t), the rest the same.
	s := NewScalarSeries(lat, false)
	addInChunks(phi, 12, r, s.Add)
	rep, whole := s.Measure(nil, 0), Measure(phi, lat, nil, 0)
	if rep.G != nil || rep.MEff != nil {
		t.Errorf("series without the two-point function report G(t)")
	}
	whole.G, whole.MEff = nil, nil
	sameJSON(t, "no two-point", rep, whole)

	glat := lattice.MustNew(4, 4)
	theta := make([]float64, 500*32)
	for i := range theta {
		theta[i] = 2 * r.NormFloat64()
	}
	for _, lw := range [][]float64{nil, logw[:500]} {
		g, err := NewGaugeSeries(glat)
		if err != nil {
			t.Fatal(err)
		}
		addInChunks(theta, 32, r, g.Add)
		want, err := Gauge(theta, glat, lw, 0)
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, "gauge", g.Measure(lw, 0), want)
	}
	if _, err := NewGaugeSeries(lattice.MustNew(4)); err == nil {
		t.Error("gauge series on a 1-d lattice: no error")
	}
}
