package ensemble

import (
	"fmt"
	"strings"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/store"
)

// File is an ensemble file read from disk: every array it holds and the
// kind of field they describe. Its methods check and return the parts a
// measurement needs; every error names the file.
type File struct {
	Path   string
	Kind   FieldKind
	Arrays map[string]store.Array // by name: phi or theta, logq, logp, accepted, …
}

// ReadFile reads an ensemble file: an .npz (every array; what normflow
// sample and normflow hmc write, or any archive with an array "phi" or
// "theta") or a .npy (one array, taken as "phi"), and its field kind: the
// one recorded in the file, or for files without it the one its arrays
// imply (kind.go).
func ReadFile(path string) (*File, error) {
	arrays, err := readArrays(path)
	if err != nil {
		return nil, err
	}
	kind, err := fileKind(path, arrays)
	if err != nil {
		return nil, err
	}
	return &File{Path: path, Kind: kind, Arrays: arrays}, nil
}

// readArrays reads an .npz (all arrays) or a .npy (as "phi").
func readArrays(path string) (map[string]store.Array, error) {
	switch {
	case strings.HasSuffix(path, ".npz"):
		return store.ReadNPZ(path)
	case strings.HasSuffix(path, ".npy"):
		a, err := store.ReadNPY(path)
		if err != nil {
			return nil, err
		}
		return map[string]store.Array{"phi": a}, nil
	}
	return nil, fmt.Errorf("%s: want a NumPy .npz or .npy file", path)
}

// Scalar returns the configurations of a scalar field, the array "phi"
// [N ≥ 2, lattice…], and their lattice.
func (f *File) Scalar() (phi []float64, lat *lattice.Lattice, err error) {
	return f.field(Scalar)
}

// Links returns 2-d U(1) link angles, the array "theta" [N ≥ 2, 2, Lx, Ly],
// and their lattice.
func (f *File) Links() (theta []float64, lat *lattice.Lattice, err error) {
	return f.field(U1Links)
}

// field returns the values of the configurations of kind and their lattice.
func (f *File) field(kind FieldKind) ([]float64, *lattice.Lattice, error) {
	a, ok := f.Arrays[kind.Array()]
	if err := hasField(f.Path, kind, ok); err != nil {
		return nil, nil, err
	}
	lat, err := fieldLattice(f.Path, kind, a.Shape)
	if err != nil {
		return nil, nil, err
	}
	data, err := a.Float64s()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %s: %v", f.Path, kind.Array(), err)
	}
	return data, lat, nil
}

// LogW returns log w = log p − log q of raw flow samples (arrays logq and
// logp, no "accepted"), for reweighting with w = p/q; nil for a Markov chain
// or a file without logq and logp. n is the number of configurations.
func (f *File) LogW(n int) ([]float64, error) {
	_, chain := f.Arrays["accepted"]
	_, hasQ := f.Arrays["logq"]
	_, hasP := f.Arrays["logp"]
	if !hasQ || !hasP || chain {
		return nil, nil
	}
	return fileLogW(f.Path, n, func(name string) (store.Array, error) { return f.Arrays[name], nil })
}

// logW is log p − log q, element by element.
func logW(logq, logp []float64) []float64 {
	w := make([]float64, len(logq))
	for i := range w {
		w[i] = logp[i] - logq[i]
	}
	return w
}
