package mcmc

import (
	"strings"
	"testing"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/matrixmodel"
)

// TestHMCRefusesMatrixFields: HMC moves real variables, which would leave
// SU(N); a one-matrix-model action (no links) is refused with a one-line
// error.
func TestHMCRefusesMatrixFields(t *testing.T) {
	lat, _ := lattice.New()
	a, err := matrixmodel.NewAction(lat, 3, 6, []float64{1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewHMC(a, 0.1, 10, 1); err == nil || !strings.Contains(err.Error(), "SU(3) matrix fields are not supported") {
		t.Errorf("NewHMC on a matrix action: error %v", err)
	}
}
