package config

import (
	"fmt"
	"math"

	"github.com/normflow/normflow-go/action"
	"github.com/normflow/normflow-go/flow"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/matrixmodel"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/prior"
	"github.com/normflow/normflow-go/rng"
)

// SU(N) one-matrix models (action kind "matrix", docs/sun.md §11): the
// [action] keys n, beta and coeffs, the SU(N) Haar prior (§12) and the
// spectral layers (§13).

// maxCoeffs bounds the number of coefficients c_k of a matrix action.
const maxCoeffs = 16

// matrixField reports whether the action's field is made of SU(N)
// matrices, so that prior kind "haar" means the Haar measure of SU(N).
func (r *Run) matrixField() bool { return r.Action.Kind == "matrix" }

// validateMatrixKind checks the [action] table of kind matrix: n (2 or 3),
// beta, and optionally coeffs (1 to maxCoeffs finite numbers; absent:
// S = −(β/N) Re Tr U, i.e. G = 1); no φ⁴ parameters.
func (a *Action) validateMatrixKind() error {
	if a.Convention != "" {
		return fmt.Errorf("action.convention = %q: kind \"matrix\" has no conventions (it takes n, beta, coeffs)", a.Convention)
	}
	for k, v := range map[string]*float64{"kappa": a.Kappa, "m_sq": a.MSq, "lambd": a.Lambd, "a": a.A} {
		if v != nil {
			return fmt.Errorf("action.%s is not a parameter of kind \"matrix\" (it takes n, beta, coeffs)", k)
		}
	}
	if a.N == nil {
		return fmt.Errorf("action.n is missing: kind \"matrix\" needs n (SU(n), allowed: 2, 3)")
	}
	if *a.N != 2 && *a.N != 3 {
		return fmt.Errorf("action.n = %d: allowed: 2, 3", *a.N)
	}
	if a.Beta == nil {
		return fmt.Errorf("action.beta is missing: kind \"matrix\" needs beta (S = −(β/N) Re Tr Σ_k c_k U^k)")
	}
	if math.IsNaN(*a.Beta) || math.IsInf(*a.Beta, 0) {
		return fmt.Errorf("action.beta = %g: must be a finite number", *a.Beta)
	}
	if a.Coeffs != nil && len(a.Coeffs) == 0 {
		return fmt.Errorf("action.coeffs is empty: give c_1, c_2, … (1 to %d numbers) or leave it out for S = −(β/N) Re Tr U", maxCoeffs)
	}
	if len(a.Coeffs) > maxCoeffs {
		return fmt.Errorf("action.coeffs has %d entries: allowed: 1 to %d", len(a.Coeffs), maxCoeffs)
	}
	for k, c := range a.Coeffs {
		if math.IsNaN(c) || math.IsInf(c, 0) {
			return fmt.Errorf("action.coeffs[%d] = %g: must be a finite number", k, c)
		}
	}
	return a.validateStaple()
}

// validateStaple checks the staple matrix G of S = −(β/N) Re Tr(U G):
// staple_re (and optionally staple_im) n rows of n finite numbers, not
// together with coeffs.
func (a *Action) validateStaple() error {
	if a.StapleRe == nil && a.StapleIm == nil {
		return nil
	}
	if a.StapleRe == nil {
		return fmt.Errorf("action.staple_im is given without staple_re: give the real part of G too")
	}
	if a.Coeffs != nil {
		return fmt.Errorf("action.coeffs and action.staple_re are both given: S is either −(β/N) Re Tr Σ_k c_k U^k or −(β/N) Re Tr(U G), not both")
	}
	n := *a.N
	for _, part := range []struct {
		key  string
		rows [][]float64
	}{{"staple_re", a.StapleRe}, {"staple_im", a.StapleIm}} {
		if part.rows == nil {
			continue
		}
		if len(part.rows) != n {
			return fmt.Errorf("action.%s has %d rows: G is %d×%d (n = %d)", part.key, len(part.rows), n, n, n)
		}
		for i, row := range part.rows {
			if len(row) != n {
				return fmt.Errorf("action.%s[%d] has %d entries: G is %d×%d (n = %d)", part.key, i, len(row), n, n, n)
			}
			for j, v := range row {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("action.%s[%d][%d] = %g: must be a finite number", part.key, i, j, v)
				}
			}
		}
	}
	return nil
}

// staple is G of the staple form, row-major, from staple_re and staple_im.
func (a *Action) staple() []complex128 {
	n := *a.N
	g := make([]complex128, n*n)
	for i := range n {
		for j := range n {
			im := 0.0
			if a.StapleIm != nil {
				im = a.StapleIm[i][j]
			}
			g[i*n+j] = complex(a.StapleRe[i][j], im)
		}
	}
	return g
}

// rejectMatrixKeys checks that an action of another kind has no coeffs,
// and that the actions of real fields (phi4, u1) have no n (SU(N) gauge
// actions take n too).
func (a *Action) rejectMatrixKeys() error {
	if a.Coeffs != nil {
		return fmt.Errorf("action.coeffs is a setting of kind \"matrix\", not %q", a.Kind)
	}
	if a.StapleRe != nil || a.StapleIm != nil {
		return fmt.Errorf("action.staple_re and staple_im are settings of kind \"matrix\", not %q", a.Kind)
	}
	if a.N != nil && (a.Kind == "phi4" || a.Kind == "u1") {
		return fmt.Errorf("action.n is a setting of the SU(N) kinds (\"matrix\", \"wilson\"), not %q", a.Kind)
	}
	return nil
}

// validateMatrix checks that matrix and scalar parts are not mixed: a
// matrix action comes with the Haar prior and spectral layers only, and
// spectral layers need a matrix action; for SU(2), freqs must be 0.
func (r *Run) validateMatrix() error {
	matrix := r.matrixField()
	if matrix && r.Prior.Kind != "haar" {
		return fmt.Errorf("prior.kind = %q: action kind \"matrix\" needs prior kind \"haar\" (the Haar measure of SU(N))", r.Prior.Kind)
	}
	for i, l := range r.Flow.Layers {
		if matrix && l.Kind != "spectral" {
			return fmt.Errorf("flow.layers[%d].kind = %q: action kind \"matrix\" takes spectral layers only (the layers of real fields do not keep matrices in SU(N))", i, l.Kind)
		}
		if !matrix && l.Kind == "spectral" {
			return fmt.Errorf("flow.layers[%d].kind = \"spectral\" needs action kind \"matrix\" (SU(N) matrices), not %q", i, r.Action.Kind)
		}
		if matrix && *r.Action.N == 2 && l.Freqs != nil && *l.Freqs != 0 {
			return fmt.Errorf("flow.layers[%d].freqs = %d: SU(2) spectral layers take freqs = 0 (one eigen-angle)", i, *l.Freqs)
		}
	}
	return nil
}

// buildMatrix makes the matrix action: the staple form with staple_re
// (and staple_im), the power form with coeffs, or with neither given
// c = (1), i.e. S = −(β/N) Re Tr U (G = 1).
func (a *Action) buildMatrix(lat *lattice.Lattice) (action.Action, error) {
	if a.StapleRe != nil {
		return matrixmodel.NewStapleAction(lat, *a.N, *a.Beta, a.staple())
	}
	coeffs := a.Coeffs
	if coeffs == nil {
		coeffs = []float64{1}
	}
	return matrixmodel.NewAction(lat, *a.N, *a.Beta, coeffs)
}

// colorN is N of an SU(N) field's action, 0 for a real field.
func colorN(act action.Action) int {
	if m, ok := act.(action.MatrixField); ok {
		return m.ColorN()
	}
	return 0
}

// buildPrior makes the prior of a run for the action act: for SU(N) fields
// kind "haar" is the Haar measure of SU(N) on every matrix.
func (r *Run) buildPrior(act action.Action) (prior.Prior, error) {
	size := model.FieldSize(act)
	if n := colorN(act); n > 0 && r.Prior.Kind == "haar" {
		return prior.NewHaarSU(n, size/(2*n*n))
	}
	return r.Prior.build(act.Lattice(), size)
}

// buildSpectral makes the repeat spectral layers of one [[flow.layers]]
// table of kind spectral: knots (default 8) knots per spline and, for
// SU(3), freqs (default 2) terms in h_2's dependence on u_1 (docs/sun.md
// §9, §13). Parameters start at zero (the identity).
func (l *Layer) buildSpectral(at layerPlace) ([]flow.Layer, error) {
	def := 2
	if at.colorN == 2 {
		def = 0
	}
	knots, feats := or(l.Knots, 8), or(l.Freqs, def)
	return l.repeated(at, func(_ int, name string, _ rng.Stream) (flow.Layer, error) {
		return flow.NewSpectral(name, at.colorN, knots, feats)
	})
}
