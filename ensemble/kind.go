package ensemble

import (
	"fmt"
	"strings"

	"github.com/normflow/normflow-go/action"
	"github.com/normflow/normflow-go/gauge"
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

// Values is the number of real numbers in one configuration of kind k on a
// lattice of the given shape: one per site (Scalar), one per link (U1Links:
// d per site).
func (k FieldKind) Values(shape []int) int {
	v := 1
	for _, l := range shape {
		v *= l
	}
	if k == U1Links {
		v *= len(shape)
	}
	return v
}

// KindOf is the kind of field the action a is a function of: U1Links for
// the Wilson action (package gauge), Scalar for the φ⁴ actions.
func KindOf(a action.Action) FieldKind {
	if _, ok := a.(*gauge.Wilson); ok {
		return U1Links
	}
	return Scalar
}

// How a file says what it holds.
//
// Ensemble.WriteNPZ writes the kind as the zip archive comment of the .npz,
// "normflow.field_kind=scalar" or "normflow.field_kind=u1_links": the
// arrays stay those the README documents, numpy.load ignores the comment,
// and Python reads it with zipfile.ZipFile(path).comment. ReadFile reads it
// back (fileKind). Files without it (written before it was introduced, by
// other programs, and every .npy) are classified as they always were, by
// their arrays: an array "theta" holds U(1) link angles, anything else a
// scalar field "phi" (guessKind). This is the only place that guesses.

// kindKey is the key of the field kind in an .npz's archive comment.
const kindKey = "normflow.field_kind"

// kindComment is the archive comment that records kind k.
func kindComment(k FieldKind) string { return kindKey + "=" + k.String() }

// fileKind is the field kind of the file path holding arrays: the one its
// archive comment names, else guessKind's.
func fileKind(path string, arrays map[string]store.Array) (FieldKind, error) {
	_, theta := arrays["theta"]
	if !strings.HasSuffix(path, ".npz") {
		return guessKind(theta), nil
	}
	comment, err := store.ReadNPZComment(path)
	if err != nil {
		return 0, err
	}
	return commentKind(path, comment, theta)
}

// commentKind is the field kind the archive comment of the .npz path
// records, or guessKind's when it records none.
func commentKind(path, comment string, hasTheta bool) (FieldKind, error) {
	for line := range strings.Lines(comment) {
		name, ok := strings.CutPrefix(strings.TrimSpace(line), kindKey+"=")
		if !ok {
			continue
		}
		k, err := parseKind(name)
		if err != nil {
			return 0, fmt.Errorf("%s: %v (archive comment %s)", path, err, kindKey)
		}
		return k, nil
	}
	return guessKind(hasTheta), nil
}

// parseKind is the field kind of the given name.
func parseKind(name string) (FieldKind, error) {
	for k, n := range kindNames {
		if n == name {
			return FieldKind(k), nil
		}
	}
	return 0, fmt.Errorf("field kind %q: this normflow reads %s", name, strings.Join(kindNames[:], ", "))
}

// guessKind classifies a file without a recorded kind by its arrays: an
// array "theta" holds U(1) link angles, anything else a scalar field
// "phi".
func guessKind(hasTheta bool) FieldKind {
	if hasTheta {
		return U1Links
	}
	return Scalar
}
