package mcmc

import "github.com/normflow/normflow-go/action"

// Manifold is implemented by actions whose configurations live on a curved
// space rather than on ℝ^n, so that HMC moves them along the group (SU(N)
// gauge links: package sungauge, docs/sun.md §10.2). Momenta are real
// coordinates of the tangent space in a fixed basis (for SU(N), one per
// generator T^a and link, H = ½Σ(p^a)² + S), and the leapfrog becomes
//
//	p ← p − (ε/2) F(φ);   φ ← Drift(φ, p, ε);   p ← p − (ε/2) F(φ),
//
// with F the derivative of S along the basis directions at φ. For actions
// that do not implement Manifold, HMC uses the flat case: Momenta = the
// field size, F = ∇S, Drift φ ← φ + εp, no projection, the cold start φ = 0.
type Manifold interface {
	// Momenta is the number of real momenta of one configuration.
	Momenta() int
	// Force writes F^a = dS/dε along each tangent direction a at phi
	// (length Momenta per configuration).
	Force(phi, force []float64)
	// Drift moves phi in place by the flow of the momenta over a time eps
	// (for SU(N) links: U ← exp(iε Σ_a p^a T^a) U).
	Drift(phi, p []float64, eps float64)
	// Project undoes rounding drift off the manifold (reunitarisation);
	// HMC calls it on each trajectory's end point.
	Project(phi []float64)
	// ColdStart sets phi to the ordered configuration a chain starts from
	// when no start is given (unit links).
	ColdStart(phi []float64)
}

// flat is the Manifold of an ordinary action on ℝ^n.
type flat struct {
	act action.Action
	n   int
}

func (f flat) Momenta() int                        { return f.n }
func (f flat) Force(phi, force []float64)          { f.act.Grad(phi, force) }
func (f flat) Project([]float64)                   {}
func (f flat) ColdStart(phi []float64)             { clear(phi) }
func (f flat) Drift(phi, p []float64, eps float64) { drift(phi, p, eps) }

// manifoldOf returns act's Manifold, or the flat one of n variables.
func manifoldOf(act action.Action, n int) Manifold {
	if m, ok := act.(Manifold); ok {
		return m
	}
	return flat{act, n}
}
