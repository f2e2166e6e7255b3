package ensemble

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/action"
	"github.com/normflow/normflow-go/gauge"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/store"
)

func TestKindOf(t *testing.T) {
	lat, err := lattice.New(4, 4)
	if err != nil {
		t.Fatal(err)
	}
	w, err := gauge.NewWilson(lat, 1)
	if err != nil {
		t.Fatal(err)
	}
	phi4, err := action.NewPhi4Albergo(lat, -4, 8)
	if err != nil {
		t.Fatal(err)
	}
	if KindOf(w) != U1Links || KindOf(phi4) != Scalar {
		t.Errorf("KindOf: Wilson %v, φ⁴ %v", KindOf(w), KindOf(phi4))
	}
	if v := U1Links.Values([]int{4, 4}); v != 32 {
		t.Errorf("U1Links.Values([4 4]) = %d, want 32", v)
	}
	if v := Scalar.Values([]int{4, 4}); v != 16 {
		t.Errorf("Scalar.Values([4 4]) = %d, want 16", v)
	}
}

// The kind an ensemble is written with is the kind ReadFile gives back,
// recorded in the archive comment; the arrays are the documented ones.
func TestKindRoundTrip(t *testing.T) {
	dir := t.TempDir()
	links := &Ensemble{Kind: U1Links, Shape: []int{2, 2}, Phi: make([]float64, 3*8),
		Accepted: []bool{true, false, true}, DeltaH: []float64{0.1, -0.2, 0.3}}
	for i := range links.Phi {
		links.Phi[i] = float64(i) - 7.5 // some outside (−π, π]
	}
	scalar := &Ensemble{Kind: Scalar, Shape: []int{2, 2}, Phi: make([]float64, 3*4),
		LogQ: []float64{-1, -2, -3}, LogP: []float64{-1, -1, -1}}
	for _, c := range []struct {
		e      *Ensemble
		arrays []string
		shape  []int
	}{
		{links, []string{"theta", "accepted", "deltaH"}, []int{3, 2, 2, 2}},
		{scalar, []string{"phi", "logq", "logp"}, []int{3, 2, 2}},
	} {
		path := filepath.Join(dir, c.e.Kind.String()+".npz")
		if err := c.e.WriteNPZ(path); err != nil {
			t.Fatal(err)
		}
		comment, err := store.ReadNPZComment(path)
		if want := "normflow.field_kind=" + c.e.Kind.String(); err != nil || comment != want {
			t.Errorf("%v: archive comment %q, %v; want %q", c.e.Kind, comment, err, want)
		}
		f, err := ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if f.Kind != c.e.Kind || len(f.Arrays) != len(c.arrays) {
			t.Errorf("%v: read back as %v with %d arrays, want %v", c.e.Kind, f.Kind, len(f.Arrays), c.arrays)
		}
		for _, name := range c.arrays {
			if _, ok := f.Arrays[name]; !ok {
				t.Errorf("%v: no array %s", c.e.Kind, name)
			}
		}
		if a := f.Arrays[c.e.Kind.Array()]; len(a.Shape) != len(c.shape) || a.Shape[1] != c.shape[1] {
			t.Errorf("%v: %s has shape %v, want %v", c.e.Kind, c.e.Kind.Array(), a.Shape, c.shape)
		}
	}
	f, err := ReadFile(filepath.Join(dir, "u1_links.npz"))
	if err != nil {
		t.Fatal(err)
	}
	theta, _, err := f.Links()
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range theta {
		if !(v > -math.Pi && v <= math.Pi) || !(math.Abs(math.Remainder(v-links.Phi[i], 2*math.Pi)) <= 1e-12) {
			t.Fatalf("theta[%d] = %g from %g: not wrapped into (−π, π]", i, v, links.Phi[i])
		}
	}
}

// The recorded kind wins over the arrays; an unknown kind is an error.
func TestKindRecordedWins(t *testing.T) {
	dir := t.TempDir()
	theta := []store.Array{{Name: "theta", Shape: []int{2, 2, 2, 2}, Data: make([]float64, 16)}}
	path := filepath.Join(dir, "scalar.npz")
	if err := store.WriteNPZComment(path, theta, "written by a test\nnormflow.field_kind=scalar\n"); err != nil {
		t.Fatal(err)
	}
	if f, err := ReadFile(path); err != nil || f.Kind != Scalar {
		t.Errorf("recorded scalar kind: %v, %v", f, err)
	}
	path = filepath.Join(dir, "su3.npz")
	if err := store.WriteNPZComment(path, theta, "normflow.field_kind=su3_links"); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(path); err == nil || !strings.Contains(err.Error(), `field kind "su3_links"`) {
		t.Errorf("unknown kind: %v", err)
	}
	path = filepath.Join(dir, "other.npz")
	if err := store.WriteNPZComment(path, theta, "a comment of another program"); err != nil {
		t.Fatal(err)
	}
	if f, err := ReadFile(path); err != nil || f.Kind != U1Links {
		t.Errorf("a comment without a kind: %v, %v (want the kind of the arrays)", f, err)
	}
}
