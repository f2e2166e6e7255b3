package ensemble

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/normflow/normflow-go/gauge"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/store"
)

// Source is an ensemble on disk read a piece at a time, so that measuring it
// needs memory for one piece of configurations and the per-configuration
// series, not for the ensemble: an .npz (what normflow sample and normflow
// hmc write, or any archive with an array "phi", "theta" or "U"), a .npy
// (one array, taken as "phi", or as "U" when complex), or an ensemble
// directory (shards.go), of which it reads the shards its manifest counts,
// in order.
type Source struct {
	Path    string
	Kind    FieldKind
	Lattice *lattice.Lattice
	// ColorN is N of the SU(N) kinds (0 for the others).
	ColorN int
	N      int // configurations
	// Chain says that the ensemble has an accept/reject history (an array
	// "accepted"): a Markov chain, averaged plainly.
	Chain bool
	// weights says that it has logq and logp (raw flow samples, when not a
	// chain).
	weights bool
	a       Arrays
	files   []sourceFile
}

// sourceFile is one file of a Source and the configurations it holds.
type sourceFile struct {
	path  string
	n     int
	array string // the configurations' array; "" for a .npy
}

// Open opens the ensemble at path and checks what it can without reading
// the configurations: the field kind (recorded, or implied by the arrays,
// kind.go), the configurations' shape [N ≥ 2, lattice…] (U(1) links:
// [N ≥ 2, 2, Lx, Ly]; SU(N): [N ≥ 2, lattice…, n, n] or [N ≥ 2, d,
// lattice…, n, n], complex) and dtype, and, for a directory, its manifest.
// Errors name the file.
func Open(path string) (*Source, error) {
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return nil, err
	case st.IsDir():
		return openDir(path)
	case strings.HasSuffix(path, ".npz"):
		return openNPZFile(path)
	case strings.HasSuffix(path, ".npy"):
		s, err := store.OpenNPY(path)
		if err != nil {
			return nil, err
		}
		defer s.Close()
		return newSource(path, guessKind(false, s.Complex), s, sourceFile{path: path})
	}
	return nil, fmt.Errorf("%s: want a NumPy .npz or .npy file, or an ensemble directory (%s)", path, ManifestFile)
}

func openNPZFile(path string) (*Source, error) {
	r, err := store.OpenNPZ(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	kind, err := commentKind(path, r.Comment(), r.Has("theta"), r.Has("U"))
	if err != nil {
		return nil, err
	}
	if err := hasField(path, kind, r.Has(kind.Array())); err != nil {
		return nil, err
	}
	st, err := r.Stream(kind.Array())
	if err != nil {
		return nil, err
	}
	st.Close()
	s, err := newSource(path, kind, st, sourceFile{path: path, array: kind.Array()})
	if err != nil {
		return nil, err
	}
	s.Chain, s.weights = r.Has("accepted"), r.Has("logq") && r.Has("logp")
	return s, nil
}

// hasField says that the file path has no configurations of kind (has
// false).
func hasField(path string, kind FieldKind, has bool) error {
	switch {
	case has:
		return nil
	case kind == U1Links:
		return fmt.Errorf("%s: no array \"theta\" (U(1) link angles of shape [N, d, lattice…])", path)
	case kind == SUNMatrices:
		return fmt.Errorf("%s: no array \"U\" (SU(N) matrices, complex128 of shape [N, lattice…, n, n])", path)
	case kind == SUNLinks:
		return fmt.Errorf("%s: no array \"U\" (SU(N) links, complex128 of shape [N, d, lattice…, n, n])", path)
	}
	return fmt.Errorf("%s: no array \"phi\" (configurations of shape [N, lattice…])", path)
}

// newSource is the source of the single file f whose configurations of
// kind the stream st reads (its shape and dtype are checked).
func newSource(path string, kind FieldKind, st *store.NPYStream, f sourceFile) (*Source, error) {
	if kind.IsSUN() != st.Complex {
		return nil, fmt.Errorf("%s: %v (dtype %s)", path, dtypeError(kind, kind.Array(), st.Complex), st.Descr)
	}
	lat, n, err := fieldLattice(path, kind, st.Shape)
	if err != nil {
		return nil, err
	}
	f.n = st.Shape[0]
	a := Arrays{Kind: kind, Lattice: lat.Shape(), ColorN: n}
	return &Source{Path: path, Kind: kind, Lattice: lat, ColorN: n, N: f.n, a: a, files: []sourceFile{f}}, nil
}

// Values is the number of float64 values of one configuration (for the
// SU(N) kinds, 2 per complex number).
func (s *Source) Values() int { return s.a.Values() }

// fieldLattice checks the shape of the configurations of kind in the file
// path, [N ≥ 2, lattice…], for U(1) links [N ≥ 2, d, lattice…] (d = 2, 3,
// 4 axes; docs/conventions.md §3), for SU(N)
// [N ≥ 2, lattice…, n, n] or [N ≥ 2, d, lattice…, n, n] (d axes), and
// returns their lattice and n (0 for the real kinds).
func fieldLattice(path string, kind FieldKind, shape []int) (*lattice.Lattice, int, error) {
	if kind.IsSUN() {
		return sunLattice(path, kind, shape)
	}
	name, lat := kind.Array(), []int(nil)
	switch {
	case kind == U1Links && (len(shape) < 4 || len(shape) > 2+gauge.MaxDim || shape[0] < 2 || shape[1] != len(shape)-2):
		return nil, 0, fmt.Errorf("%s: theta has shape %v: want [N ≥ 2, d, lattice…] with d = 2 to %d lattice axes (U(1) link angles)", path, shape, gauge.MaxDim)
	case kind == U1Links:
		lat = shape[2:]
	case len(shape) < 2 || shape[0] < 2:
		return nil, 0, fmt.Errorf("%s: phi has shape %v: want [N ≥ 2, lattice…]", path, shape)
	default:
		lat = shape[1:]
	}
	l, err := lattice.New(lat...)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %s has shape %v: %v", path, name, shape, err)
	}
	return l, 0, nil
}

// sunLattice is fieldLattice for the SU(N) kinds: U [N ≥ 2, lattice…, n, n]
// (SUNMatrices, lattice may be []) or [N ≥ 2, d, lattice…, n, n] with d the
// number of lattice axes (SUNLinks), n ≥ 2.
func sunLattice(path string, kind FieldKind, shape []int) (*lattice.Lattice, int, error) {
	want := "[N ≥ 2, lattice…, n, n] (SU(n) matrices)"
	if kind == SUNLinks {
		want = "[N ≥ 2, d, lattice…, n, n] (SU(n) links, d the number of lattice axes)"
	}
	bad := func(why string) (*lattice.Lattice, int, error) {
		return nil, 0, fmt.Errorf("%s: U has shape %v: %s: want %s", path, shape, why, want)
	}
	r := len(shape)
	switch {
	case r < 3 || (kind == SUNLinks && r < 5):
		return bad("too few axes")
	case shape[0] < 2:
		return bad(fmt.Sprintf("%d configurations", shape[0]))
	case shape[r-2] != shape[r-1]:
		return bad(fmt.Sprintf("its matrices are %d×%d, not square", shape[r-2], shape[r-1]))
	case shape[r-1] < 2:
		return bad(fmt.Sprintf("%d×%d matrices", shape[r-1], shape[r-1]))
	}
	lat := shape[1 : r-2]
	if kind == SUNLinks {
		if lat = shape[2 : r-2]; shape[1] != len(lat) {
			return bad(fmt.Sprintf("%d link directions on a %d-d lattice", shape[1], len(lat)))
		}
	}
	l, err := lattice.New(lat...)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: U has shape %v: %v", path, shape, err)
	}
	return l, shape[r-1], nil
}

func openDir(dir string) (*Source, error) {
	m, err := ReadManifest(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s is a directory without %s: not an ensemble directory", dir, ManifestFile)
	}
	if err != nil {
		return nil, err
	}
	a, err := m.arrays()
	if err != nil {
		return nil, err
	}
	lat, err := lattice.New(m.Lattice...)
	if err != nil {
		return nil, fmt.Errorf("%s: lattice %v: %v", filepath.Join(dir, ManifestFile), m.Lattice, err)
	}
	if m.N < 2 {
		return nil, fmt.Errorf("%s holds %d complete configurations (%s): want at least 2", dir, m.N, ManifestFile)
	}
	s := &Source{Path: dir, Kind: a.Kind, Lattice: lat, ColorN: a.ColorN, N: m.N, a: a,
		Chain: m.Sampler != SamplerRaw, weights: slices.Contains(m.Arrays, "logq")}
	for i, n := range m.Counts {
		path := filepath.Join(dir, ShardName(i))
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("%s: shard %d of %d counted by %s: %v", dir, i, m.Shards, ManifestFile, err)
		}
		s.files = append(s.files, sourceFile{path: path, n: n, array: a.Kind.Array()})
	}
	return s, nil
}

// Configurations calls f with the configurations in order, at most piece
// at a time (x [k, values], reused between calls), and stops at f's first
// error.
func (s *Source) Configurations(piece int, f func(x []float64) error) error {
	values := s.a.Values()
	buf := make([]float64, max(1, min(piece, s.N))*values)
	for _, file := range s.files {
		st, closeFile, err := file.stream()
		if err != nil {
			return err
		}
		err = file.each(st, s.a, buf, f)
		st.Close()
		closeFile()
		if err != nil {
			return err
		}
	}
	return nil
}

// stream opens the configurations of the file.
func (file sourceFile) stream() (*store.NPYStream, func(), error) {
	if file.array == "" {
		st, err := store.OpenNPY(file.path)
		return st, func() {}, err
	}
	r, err := store.OpenNPZ(file.path)
	if err != nil {
		return nil, nil, err
	}
	st, err := r.Stream(file.array)
	if err != nil {
		r.Close()
		return nil, nil, err
	}
	return st, func() { r.Close() }, nil
}

// each reads the file's configurations of arrays a into buf, passing each
// piece to f.
func (file sourceFile) each(st *store.NPYStream, a Arrays, buf []float64, f func([]float64) error) error {
	if want := a.fieldShape(file.n); !slices.Equal(st.Shape, want) {
		return fmt.Errorf("%s: %s has shape %v: want %v", file.path, file.array, st.Shape, want)
	}
	if a.Kind.IsSUN() != st.Complex {
		return fmt.Errorf("%s: %v (dtype %s)", file.path, dtypeError(a.Kind, a.Kind.Array(), st.Complex), st.Descr)
	}
	values := a.Values()
	for left := file.n; left > 0; {
		k := min(left, len(buf)/values)
		x := buf[:k*values]
		if err := st.ReadFloat64s(x); err != nil {
			return err
		}
		if err := f(x); err != nil {
			return err
		}
		left -= k
	}
	return nil
}

// LogW returns log w = log p − log q of raw flow samples (arrays logq and
// logp, no "accepted"), for reweighting with w = p/q; nil for a Markov
// chain or an ensemble without logq and logp.
func (s *Source) LogW() ([]float64, error) {
	if s.Chain || !s.weights {
		return nil, nil
	}
	w := make([]float64, 0, s.N)
	for _, file := range s.files {
		r, err := store.OpenNPZ(file.path)
		if err != nil {
			return nil, err
		}
		lw, err := fileLogW(file.path, file.n, r.Read)
		r.Close()
		if err != nil {
			return nil, err
		}
		w = append(w, lw...)
	}
	return w, nil
}

// fileLogW is log p − log q of the n configurations of the file path, whose
// arrays read returns.
func fileLogW(path string, n int, read func(name string) (store.Array, error)) ([]float64, error) {
	lq, err1 := read("logq")
	lp, err2 := read("logp")
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	q, err1 := lq.Float64s()
	p, err2 := lp.Float64s()
	if err1 != nil || err2 != nil || len(q) != n || len(p) != n {
		return nil, fmt.Errorf("%s: logq/logp must be float arrays of length N = %d", path, n)
	}
	return logW(q, p), nil
}
