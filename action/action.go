// Package action defines lattice actions S[φ]; the target density is
// p(φ) = exp(−S[φ]) / Z.
//
// Phi4 is real scalar φ⁴ theory on a lattice of any dimension, in the
// seed library's convention (NewPhi4: κ, m², λ, lattice spacing) or the
// others in use (NewPhi4Albergo, NewPhi4Hopping, NewPhi4Ising); package
// gauge has the U(1) Wilson action. An action is one of the three parts of a
// model: start with package model.
package action

import "github.com/normflow/normflow-go/lattice"

// Action evaluates S and its gradient on a batch of fields, row-major
// [batch, sites] (one real channel per site for scalar theories).
type Action interface {
	// Lattice is the lattice the action lives on.
	Lattice() *lattice.Lattice
	// Eval writes S of each sample of phi into out [batch].
	Eval(phi, out []float64)
	// Grad writes dS/dφ of every sample into dphi [batch, sites].
	Grad(phi, dphi []float64)
}
