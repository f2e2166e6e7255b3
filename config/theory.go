package config

import (
	"fmt"

	"github.com/normflow/normflow-go/action"
	"github.com/normflow/normflow-go/gauge"
	"github.com/normflow/normflow-go/lattice"
)

// The theory alone: a run description read for its lattice and action only,
// as HMC needs them (normflow hmc), without prior, flow or training.

// ParseTheory decodes a run description of which only the theory is used
// (the lattice and the action, as by HMC): unknown keys are still errors,
// but the prior, flow and training tables may be missing or incomplete and
// are not checked (ValidateTheory).
func ParseTheory(data []byte) (*Run, error) {
	r, err := decode(data)
	if err != nil {
		return nil, err
	}
	if err := r.ValidateTheory(); err != nil {
		return nil, err
	}
	return r, nil
}

// LoadTheory reads a run description file of which only the lattice and
// the action are used (ParseTheory); errors name the file.
func LoadTheory(path string) (*Run, error) {
	return load(path, ParseTheory)
}

// ValidateTheory checks the seed, the lattice and the action: what HMC
// needs. Validate checks these and the rest.
func (r *Run) ValidateTheory() error {
	if r.Seed < 0 {
		return fmt.Errorf("seed = %d: must be an integer >= 0", r.Seed)
	}
	if len(r.Lattice.Shape) == 0 && r.Action.Kind != "matrix" { // matrix: [] is one matrix
		return fmt.Errorf("lattice.shape is missing: give the extents, e.g. [1] for one site or [8, 8]")
	}
	for i, l := range r.Lattice.Shape {
		if l <= 0 {
			return fmt.Errorf("lattice.shape[%d] = %d: extents must be positive integers", i, l)
		}
	}
	if r.sites() < 0 {
		return fmt.Errorf("lattice.shape = %v: more than %d sites (the limit, MaxSites)", r.Lattice.Shape, MaxSites)
	}
	if err := r.Action.validate(); err != nil {
		return err
	}
	if err := r.validateWilsonTheory(); err != nil {
		return err
	}
	if d := len(r.Lattice.Shape); r.Action.Kind == "u1" && (d < 2 || d > gauge.MaxDim) {
		return fmt.Errorf("lattice.shape = %v: action kind \"u1\" needs a lattice of 2 to %d axes", r.Lattice.Shape, gauge.MaxDim)
	}
	return nil
}

// sites returns the number of lattice sites, or −1 when it exceeds
// MaxSites (extents must have been checked to be positive).
func (r *Run) sites() int {
	sites := 1
	for _, l := range r.Lattice.Shape {
		if l > MaxSites/sites {
			return -1
		}
		sites *= l
	}
	return sites
}

// BuildAction makes the action a run describes on its lattice.
func (r *Run) BuildAction() (action.Action, error) {
	lat, err := lattice.New(r.Lattice.Shape...)
	if err != nil {
		return nil, err
	}
	return r.Action.build(lat)
}
