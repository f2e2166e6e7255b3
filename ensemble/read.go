package ensemble

import (
	"fmt"
	"os"
	"path/filepath"
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
	Arrays map[string]store.Array // by name: phi, theta or U, logq, logp, accepted, …
}

// ReadFile reads an ensemble file: an .npz (every array; what normflow
// sample and normflow hmc write, or any archive with an array "phi",
// "theta" or "U") or a .npy (one array, taken as "phi", or as "U" when
// complex), and its field kind: the
// one recorded in the file, or for files without it the one its arrays
// imply (kind.go). An ensemble directory is read whole, each array the
// concatenation of those of the shards its manifest counts. ReadFile holds
// the whole ensemble in memory; Open reads it a piece at a time.
func ReadFile(path string) (*File, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return readDir(path)
	}
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

// Float64s returns every array of the file converted to float64 (booleans
// become 0 or 1), by name.
func (f *File) Float64s() (map[string][]float64, error) {
	out := make(map[string][]float64, len(f.Arrays))
	for name, a := range f.Arrays {
		x, err := a.Float64s()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", f.Path, err)
		}
		out[name] = x
	}
	return out, nil
}

// readDir reads the ensemble directory dir whole.
func readDir(dir string) (*File, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	a, err := m.arrays()
	if err != nil {
		return nil, err
	}
	var all Chunk
	for i, n := range m.Counts {
		c, err := readShard(filepath.Join(dir, ShardName(i)), a, n)
		if err != nil {
			return nil, err
		}
		all.appendChunk(c)
	}
	f := &File{Path: dir, Kind: a.Kind, Arrays: map[string]store.Array{}}
	for _, x := range a.storeArrays(&all, m.N) {
		f.Arrays[x.Name] = x
	}
	return f, nil
}

// readArrays reads an .npz (all arrays) or a .npy (as "phi", or "U" when
// complex).
func readArrays(path string) (map[string]store.Array, error) {
	switch {
	case strings.HasSuffix(path, ".npz"):
		return store.ReadNPZ(path)
	case strings.HasSuffix(path, ".npy"):
		a, err := store.ReadNPY(path)
		if err != nil {
			return nil, err
		}
		if a.IsComplex() {
			return map[string]store.Array{"U": a}, nil
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

// Links returns U(1) link angles, the array "theta" [N ≥ 2, d, lattice…]
// (d = 2, 3, 4), and their lattice.
func (f *File) Links() (theta []float64, lat *lattice.Lattice, err error) {
	return f.field(U1Links)
}

// Matrices returns SU(N) configurations (File.Kind SUNMatrices or
// SUNLinks), the complex128 array "U" as interleaved (re, im) pairs
// [N, (d,) lattice…, n, n, 2] (not copied), their lattice and n.
func (f *File) Matrices() (u []float64, lat *lattice.Lattice, n int, err error) {
	if !f.Kind.IsSUN() {
		return nil, nil, 0, fmt.Errorf("%s holds a %s field, not SU(N) matrices", f.Path, f.Kind)
	}
	return f.fieldN(f.Kind)
}

// field returns the values of the configurations of kind and their lattice.
func (f *File) field(kind FieldKind) ([]float64, *lattice.Lattice, error) {
	data, lat, _, err := f.fieldN(kind)
	return data, lat, err
}

// fieldN returns the values of the configurations of kind, their lattice
// and N of SU(N) (0 for the real kinds).
func (f *File) fieldN(kind FieldKind) ([]float64, *lattice.Lattice, int, error) {
	a, ok := f.Arrays[kind.Array()]
	if err := hasField(f.Path, kind, ok); err != nil {
		return nil, nil, 0, err
	}
	lat, n, err := fieldLattice(f.Path, kind, a.Shape)
	if err != nil {
		return nil, nil, 0, err
	}
	data, err := Arrays{Kind: kind}.fieldFloats(a)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%s: %v", f.Path, err)
	}
	return data, lat, n, nil
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
