package ensemble

import (
	"fmt"
	"os"
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
	// direction, stored as the array "theta" [N, d, lattice…] (d = 2, 3,
	// 4; [N, 2, Lx, Ly] in 2-d) with every angle wrapped into (−π, π].
	U1Links
	// SUNMatrices are independent SU(N) matrices, one per site (the
	// one-matrix models, action.MatrixField with LinksPerSite() == 0),
	// stored as the complex128 array "U" [N, lattice…, n, n] (lattice []
	// for one matrix: [N, n, n]); n is its last axis.
	SUNMatrices
	// SUNLinks are SU(N) link matrices U_μ(x), one per site and direction
	// (action.MatrixField with LinksPerSite() == d), stored as the
	// complex128 array "U" [N, d, lattice…, n, n].
	SUNLinks
)

var kindNames = [...]string{Scalar: "scalar", U1Links: "u1_links", SUNMatrices: "sun_matrices", SUNLinks: "sun_links"}

// IsSUN reports whether k is a kind of SU(N) matrices, stored as complex
// numbers.
func (k FieldKind) IsSUN() bool { return k == SUNMatrices || k == SUNLinks }

// String is the kind's name: "scalar", "u1_links", "sun_matrices" or
// "sun_links".
func (k FieldKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("FieldKind(%d)", uint8(k))
}

// Array is the name of the array that holds configurations of kind k:
// "phi", "theta" or "U".
func (k FieldKind) Array() string {
	switch {
	case k == U1Links:
		return "theta"
	case k.IsSUN():
		return "U"
	}
	return "phi"
}

// Values is the number of real numbers in one configuration of kind k on a
// lattice of the given shape: one per site (Scalar), one per link (U1Links:
// d per site). The SU(N) kinds need N: ValuesN (Values gives 0 for them).
func (k FieldKind) Values(shape []int) int { return k.ValuesN(shape, 0) }

// ValuesN is the number of float64 values in one configuration of kind k
// on a lattice of the given shape, for the SU(N) kinds with N = n: 2n² (re,
// im) per matrix, one matrix per site (SUNMatrices) or per link (SUNLinks).
// n is ignored by the real kinds.
func (k FieldKind) ValuesN(shape []int, n int) int {
	v := 1
	for _, l := range shape {
		v *= l
	}
	if k == U1Links || k == SUNLinks {
		v *= len(shape)
	}
	if k.IsSUN() {
		v *= 2 * n * n
	}
	return v
}

// KindOf is the kind of field the action a is a function of: SUNMatrices
// or SUNLinks for an action.MatrixField (by its LinksPerSite), U1Links for
// the U(1) Wilson action (package gauge), Scalar for the φ⁴ actions.
func KindOf(a action.Action) FieldKind {
	if m, ok := a.(action.MatrixField); ok {
		if m.LinksPerSite() == 0 {
			return SUNMatrices
		}
		return SUNLinks
	}
	if _, ok := a.(*gauge.Wilson); ok {
		return U1Links
	}
	return Scalar
}

// ColorOf is N of an SU(N) action (action.MatrixField), 0 for the others.
func ColorOf(a action.Action) int {
	if m, ok := a.(action.MatrixField); ok {
		return m.ColorN()
	}
	return 0
}

// NewArrays is what configurations of the action a on the lattice shape
// are stored as, drawn by sampler.
func NewArrays(a action.Action, shape []int, sampler string) Arrays {
	return Arrays{Kind: KindOf(a), Lattice: shape, Sampler: sampler, ColorN: ColorOf(a)}
}

// How a file says what it holds.
//
// Ensemble.WriteNPZ writes the kind as the zip archive comment of the .npz,
// "normflow.field_kind=scalar" or "normflow.field_kind=u1_links": the
// arrays stay those the README documents, numpy.load ignores the comment,
// and Python reads it with zipfile.ZipFile(path).comment. ReadFile reads it
// back (fileKind). Files without it (written before it was introduced, by
// other programs, and every .npy) are classified as they always were, by
// their arrays: an array "theta" holds U(1) link angles, an array "U" (or
// a complex .npy) independent SU(N) matrices — SU(N) links always carry
// their kind, since [N, d, lattice…, n, n] is also the shape of matrices
// on the lattice [d, lattice…] —, anything else a scalar field "phi"
// (guessKind). This is the only place that guesses.

// kindKey is the key of the field kind in an .npz's archive comment.
const kindKey = "normflow.field_kind"

// kindComment is the archive comment that records kind k.
func kindComment(k FieldKind) string { return kindKey + "=" + k.String() }

// modelKey is the key of the SHA-256 of the model.safetensors sampled, on
// its own line of the archive comment of an .npz that normflow sample
// writes (an ensemble directory records it in its manifest).
const modelKey = "normflow.model_sha256"

// fileComment is the archive comment of an ensemble .npz of kind k sampled
// from the model of SHA-256 model ("" for none: the kind alone).
func fileComment(k FieldKind, model string) string {
	if model == "" {
		return kindComment(k)
	}
	return kindComment(k) + "\n" + modelKey + "=" + model
}

// RecordedModel is the SHA-256 of the model.safetensors an ensemble was
// sampled from, as it records it: an ensemble directory's manifest
// (model_sha256) or the archive comment of an .npz (normflow.model_sha256);
// "" when it records none (HMC, files from elsewhere, a .npy).
func RecordedModel(path string) (string, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		m, err := ReadManifest(path)
		if err != nil {
			return "", err
		}
		return m.ModelSHA256, nil
	}
	if !strings.HasSuffix(path, ".npz") {
		return "", nil
	}
	comment, err := store.ReadNPZComment(path)
	if err != nil {
		return "", err
	}
	for line := range strings.Lines(comment) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), modelKey+"="); ok {
			return v, nil
		}
	}
	return "", nil
}

// fileKind is the field kind of the file path holding arrays: the one its
// archive comment names, else guessKind's.
func fileKind(path string, arrays map[string]store.Array) (FieldKind, error) {
	_, theta := arrays["theta"]
	_, u := arrays["U"]
	if !strings.HasSuffix(path, ".npz") {
		return guessKind(theta, u), nil
	}
	comment, err := store.ReadNPZComment(path)
	if err != nil {
		return 0, err
	}
	return commentKind(path, comment, theta, u)
}

// commentKind is the field kind the archive comment of the .npz path
// records, or guessKind's when it records none.
func commentKind(path, comment string, hasTheta, hasU bool) (FieldKind, error) {
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
	return guessKind(hasTheta, hasU), nil
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
// array "theta" holds U(1) link angles, an array "U" independent SU(N)
// matrices, anything else a scalar field "phi".
func guessKind(hasTheta, hasU bool) FieldKind {
	switch {
	case hasTheta:
		return U1Links
	case hasU:
		return SUNMatrices
	}
	return Scalar
}
