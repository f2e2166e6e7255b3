package config

import (
	"fmt"
	"math"
)

// Checks of SU(N) lattice gauge theory with the Wilson action (action kind
// "wilson", package sungauge, docs/sun.md §10.1): n (2 or 3) and beta on a
// lattice of 2, 3 or 4 axes. The theory is complete (normflow hmc can
// sample it); its flows (prior kind haar, gauge_coupling layers) are
// checked and built in sungauge.go.

// validateWilson checks the [action] table of kind wilson: n and beta,
// nothing else.
func (a *Action) validateWilson() error {
	if a.Convention != "" {
		return fmt.Errorf("action.convention = %q: kind \"wilson\" has no conventions (it takes n, beta)", a.Convention)
	}
	for k, v := range map[string]*float64{"kappa": a.Kappa, "m_sq": a.MSq, "lambd": a.Lambd, "a": a.A} {
		if v != nil {
			return fmt.Errorf("action.%s is not a parameter of kind \"wilson\" (it takes n, beta)", k)
		}
	}
	if a.N == nil {
		return fmt.Errorf("action.n is missing: kind \"wilson\" needs n, the N of SU(N) (2 or 3)")
	}
	if *a.N != 2 && *a.N != 3 {
		return fmt.Errorf("action.n = %d: allowed: 2 or 3 (SU(2), SU(3))", *a.N)
	}
	if a.Beta == nil {
		return fmt.Errorf("action.beta is missing: kind \"wilson\" needs beta (S = −(β/N) Σ_P Re Tr U_P)")
	}
	if math.IsNaN(*a.Beta) || math.IsInf(*a.Beta, 0) {
		return fmt.Errorf("action.beta = %g: must be a finite number", *a.Beta)
	}
	return nil
}

// validateWilsonTheory checks what kind wilson needs of the rest of the
// theory: a lattice of 2, 3 or 4 axes (that n is not given to the kinds
// of real fields is rejectMatrixKeys's check).
func (r *Run) validateWilsonTheory() error {
	if r.Action.Kind != "wilson" {
		return nil
	}
	if d := len(r.Lattice.Shape); d < 2 || d > 4 {
		return fmt.Errorf("lattice.shape = %v: action kind \"wilson\" needs 2, 3 or 4 axes, not %d (plaquettes need two directions)", r.Lattice.Shape, d)
	}
	return nil
}

// validateWilsonFlow checks the flow of kind wilson and the SU(N)-only
// gauge_coupling settings elsewhere (validateSUNGauge, sungauge.go).
func (r *Run) validateWilsonFlow() error { return r.validateSUNGauge() }
