package model_test

import (
	"strings"
	"testing"

	"github.com/normflow/normflow-go/action"
	"github.com/normflow/normflow-go/flow"
	"github.com/normflow/normflow-go/gauge"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/prior"
)

// TestFieldSize: a scalar action's field has one variable per site, the 2-d
// U(1) Wilson action's 2V link angles; model.New checks the prior against
// that size and names it when it does not fit.
func TestFieldSize(t *testing.T) {
	lat := lattice.MustNew(4, 6)
	phi4, err := action.NewPhi4(lat, 0.1, 1, 0.1, 1)
	if err != nil {
		t.Fatal(err)
	}
	w, err := gauge.NewWilson(lat, 2)
	if err != nil {
		t.Fatal(err)
	}
	if n := model.FieldSize(phi4); n != 24 {
		t.Errorf("φ⁴ field size %d, want 24", n)
	}
	if n := model.FieldSize(w); n != 48 {
		t.Errorf("U(1) field size %d, want 2V = 48", n)
	}
	haar, _ := gauge.NewHaar(48)
	m, err := model.New(haar, flow.NewSequence(), w)
	if err != nil || m.Size() != 48 {
		t.Fatalf("model.New(Haar 48, U(1) on 4×6): %v (size %v)", err, m)
	}
	normal, _ := prior.NewNormal(0, 1, 24)
	if _, err := model.New(normal, flow.NewSequence(), w); err == nil || !strings.Contains(err.Error(), "field") || !strings.Contains(err.Error(), "48") {
		t.Errorf("a 24-variable prior for 48 link angles: error %v", err)
	}
}
