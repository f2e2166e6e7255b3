package ensemble

import (
	"fmt"

	"github.com/normflow/normflow-go/store"
)

// FieldKind is what one configuration of an ensemble holds, and so how it
// is stored and what is measured on it.
type FieldKind uint8

const (
	// Scalar is a real scalar field φ(x), one real number per site, stored
	// as the array "phi" [N, lattice…].
	Scalar FieldKind = iota
	// U1Links are U(1) link angles θ_μ(x), one real number per site and
	// direction, stored as the array "theta" [N, d, lattice…] (2-d today:
	// [N, 2, Lx, Ly]) with every angle wrapped into (−π, π].
	U1Links
	// SU(N) link matrices will be the next kind.
)

var kindNames = [...]string{Scalar: "scalar", U1Links: "u1_links"}

// String is the kind's name: "scalar" or "u1_links".
func (k FieldKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("FieldKind(%d)", uint8(k))
}

// Array is the name of the array that holds configurations of kind k:
// "phi" or "theta".
func (k FieldKind) Array() string {
	if k == U1Links {
		return "theta"
	}
	return "phi"
}

// guessKind classifies the arrays of a file by their names: an array
// "theta" holds U(1) link angles, anything else a scalar field "phi".
func guessKind(arrays map[string]store.Array) FieldKind {
	if _, ok := arrays["theta"]; ok {
		return U1Links
	}
	return Scalar
}
