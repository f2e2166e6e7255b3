package ensemble

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/action"
	"github.com/normflow/normflow-go/flow"
	"github.com/normflow/normflow-go/internal/numpytest"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/observable"
	"github.com/normflow/normflow-go/rng"
	"github.com/normflow/normflow-go/store"
	"github.com/normflow/normflow-go/sun"
)

// matrixAction is a small action.MatrixField for the tests (the real ones
// live with the SU(N) models): S = −(β/N) Σ Re Tr U over every matrix of a
// configuration of independent matrices (links = 0) or links (links = d).
type matrixAction struct {
	lat   *lattice.Lattice
	n     int
	links int
	beta  float64
}

var _ action.MatrixField = (*matrixAction)(nil)

func (a *matrixAction) Lattice() *lattice.Lattice { return a.lat }
func (a *matrixAction) ColorN() int               { return a.n }
func (a *matrixAction) LinksPerSite() int         { return a.links }
func (a *matrixAction) matrices() int             { return a.lat.Volume() * max(a.links, 1) }
func (a *matrixAction) FieldSize() int            { return 2 * a.n * a.n * a.matrices() }

func (a *matrixAction) Eval(phi, out []float64) {
	size := a.FieldSize()
	for b := range out {
		var tr float64
		for k := range a.matrices() {
			for i := range a.n {
				tr += phi[b*size+2*(k*a.n*a.n+i*a.n+i)]
			}
		}
		out[b] = -a.beta / float64(a.n) * tr
	}
}

func (a *matrixAction) Grad(phi, dphi []float64) {
	clear(dphi)
	for k := range len(phi) / (2 * a.n * a.n) {
		for i := range a.n {
			dphi[2*(k*a.n*a.n+i*a.n+i)] = -a.beta / float64(a.n)
		}
	}
}

// haarPrior draws every matrix from the Haar measure (log r = 0).
type haarPrior struct{ size, n int }

func (p haarPrior) Size() int { return p.size }
func (p haarPrior) Sample(s *rng.Stream, x []float64) {
	for b := range len(x) / p.size {
		sun.HaarField(store.Complex128s(x[b*p.size:(b+1)*p.size]), p.n, s)
	}
}
func (p haarPrior) LogProb(x, out []float64)   { clear(out) }
func (p haarPrior) GradLogProb(x, g []float64) { clear(g) }

// matrixModel is the Haar prior, the identity flow and matrixAction.
func matrixModel(t *testing.T, shape []int, n, links int) *model.Model {
	t.Helper()
	a := &matrixAction{lat: lattice.MustNew(shape...), n: n, links: links, beta: 2}
	m, err := model.New(haarPrior{size: a.FieldSize(), n: n}, flow.NewSequence(), a)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestKindOfMatrixField(t *testing.T) {
	m := matrixModel(t, []int{2, 3}, 3, 0)
	l := matrixModel(t, []int{2, 3}, 2, 2)
	if KindOf(m.Action) != SUNMatrices || KindOf(l.Action) != SUNLinks || ColorOf(m.Action) != 3 || ColorOf(l.Action) != 2 {
		t.Fatalf("KindOf/ColorOf: %v %d, %v %d", KindOf(m.Action), ColorOf(m.Action), KindOf(l.Action), ColorOf(l.Action))
	}
	am, al := NewArrays(m.Action, []int{2, 3}, SamplerRaw), NewArrays(l.Action, []int{2, 3}, SamplerRaw)
	if am.Values() != 6*18 || al.Values() != 2*6*8 || am.Values() != m.Size() || al.Values() != l.Size() {
		t.Errorf("Values: %d %d, model sizes %d %d", am.Values(), al.Values(), m.Size(), l.Size())
	}
	if s := am.fieldShape(5); !slices.Equal(s, []int{5, 2, 3, 3, 3}) {
		t.Errorf("matrices shape %v", s)
	}
	if s := al.fieldShape(5); !slices.Equal(s, []int{5, 2, 2, 3, 2, 2}) {
		t.Errorf("links shape %v", s)
	}
	one := Arrays{Kind: SUNMatrices, ColorN: 3, Sampler: SamplerRaw}
	if s := one.fieldShape(4); !slices.Equal(s, []int{4, 3, 3}) || one.Values() != 18 {
		t.Errorf("one matrix: shape %v, values %d", s, one.Values())
	}
	// Shards of about DefaultShardBytes: the bytes of a configuration
	// count 16 per complex number and the scalar arrays.
	if c, want := DefaultChunk(am), DefaultShardBytes/(8*6*18+16); c != want {
		t.Errorf("DefaultChunk = %d, want %d", c, want)
	}
	if SUNMatrices.Values([]int{2}) != 0 || SUNLinks.ValuesN([]int{2, 2}, 3) != 2*4*18 {
		t.Error("Values/ValuesN of the SU(N) kinds")
	}
}

// sunCase is one SU(N) ensemble layout of the round-trip tests.
type sunCase struct {
	name         string
	shape        []int
	n, links     int
	kind         FieldKind
	wantUShape   func(k int) []int
	chainSampler bool
}

var sunCases = []sunCase{
	{"matrices SU(3) on [2]", []int{2}, 3, 0, SUNMatrices, func(k int) []int { return []int{k, 2, 3, 3} }, false},
	{"one SU(2) matrix", nil, 2, 0, SUNMatrices, func(k int) []int { return []int{k, 2, 2} }, true},
	{"links SU(2) on [2 3]", []int{2, 3}, 2, 2, SUNLinks, func(k int) []int { return []int{k, 2, 2, 3, 2, 2} }, true},
}

// Raw flow samples and a chain of SU(N) configurations, written as one
// .npz and as an ensemble directory of shards, read back (ReadFile, Open)
// bit for bit, with the kind and N recorded; numpy reads U as complex128.
func TestSUNEnsembleRoundTrip(t *testing.T) {
	tmp := t.TempDir()
	for _, c := range sunCases {
		m := matrixModel(t, c.shape, c.n, c.links)
		for _, chain := range []bool{false, true} {
			const k = 23
			draw := func(out Output) (*Drawn, *Chunk) {
				o := StreamOptions{Out: out, Chunk: 7}
				var d *Drawn
				var kept *Chunk
				var err error
				if chain {
					d, kept, err = streamChain("", m, c.shape, ChainOptions{N: k, Seed: 9}, o, true)
				} else {
					d, kept, err = drawRaw(m, c.shape, k, 9, 0, o, true)
				}
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				return d, kept
			}
			tag := strings.NewReplacer(" ", "_", "[", "", "]", "", "(", "", ")", "").Replace(c.name) + map[bool]string{true: "_chain", false: "_raw"}[chain]
			npz := filepath.Join(tmp, tag+".npz")
			dNPZ, kept := draw(NewNPZOutput(npz))
			sh, err := NewShards(filepath.Join(tmp, tag))
			if err != nil {
				t.Fatal(err)
			}
			dDir, keptDir := draw(sh)
			if !sameBits(kept.Phi, keptDir.Phi) || len(kept.Phi) != k*m.Size() {
				t.Fatalf("%s: the two runs drew different configurations", tag)
			}
			for _, path := range []string{npz, sh.Path()} {
				f, err := ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				u, lat, n, err := f.Matrices()
				if err != nil {
					t.Fatal(err)
				}
				if f.Kind != c.kind || n != c.n || !slices.Equal(lat.Shape(), lattice.MustNew(c.shape...).Shape()) {
					t.Errorf("%s: ReadFile: kind %v, N %d, lattice %v", path, f.Kind, n, lat.Shape())
				}
				if !sameBits(u, kept.Phi) || !slices.Equal(f.Arrays["U"].Shape, c.wantUShape(k)) {
					t.Errorf("%s: U %v read back differs", path, f.Arrays["U"].Shape)
				}
				if _, hasAcc := f.Arrays["accepted"]; hasAcc != chain {
					t.Errorf("%s: accepted present %v", path, hasAcc)
				}
				src, all := readSource(t, path, 5)
				if src.Kind != c.kind || src.ColorN != c.n || src.N != k || !sameBits(all, kept.Phi) || src.Chain != chain {
					t.Errorf("%s: Open: kind %v N %d n %d chain %v, values equal %v", path, src.Kind, src.ColorN, src.N, src.Chain, sameBits(all, kept.Phi))
				}
			}
			mf, err := ReadManifest(sh.Path())
			if err != nil {
				t.Fatal(err)
			}
			if mf.FieldKind != c.kind.String() || mf.Array != "U" || mf.ColorN != c.n || mf.Shards != 4 || mf.N != k {
				t.Errorf("%s: manifest %+v", tag, mf)
			}
			comment, _ := store.ReadNPZComment(npz)
			if comment != "normflow.field_kind="+c.kind.String() {
				t.Errorf("%s: comment %q", npz, comment)
			}
			// The analysis: the SU(N) observables, the same from both.
			r1, r2 := dNPZ.Analyse(), dDir.Analyse()
			names := observable.MatrixNames
			if c.kind == SUNLinks {
				names = observable.LinkNames
			}
			for _, name := range names {
				e, ok := r1.Observables[name]
				if !ok || e != r2.Observables[name] || !(e.Err > 0) {
					t.Errorf("%s: %s = %v, %v", tag, name, e, r2.Observables[name])
				}
			}
		}
	}
	checkNumpyU(t, filepath.Join(tmp, "matrices_SU3_on_2_raw.npz"), filepath.Join(tmp, "links_SU2_on_2_3_chain", ShardName(0)))
}

// checkNumpyU loads U with numpy from an .npz and a shard: complex128 of
// the documented shape, unitary.
func checkNumpyU(t *testing.T, npz, shard string) {
	python := numpytest.Python(t)
	script := filepath.Join(t.TempDir(), "u.py")
	os.WriteFile(script, []byte(`
import sys, zipfile
import numpy as np
u = np.load(sys.argv[1])["U"]
assert u.dtype == np.complex128 and u.shape == (23, 2, 3, 3), (u.dtype, u.shape)
assert np.allclose(u @ np.conj(np.swapaxes(u, -1, -2)), np.eye(3), atol=1e-13)
assert np.allclose(np.linalg.det(u), 1, atol=1e-13)
s = np.load(sys.argv[2])
assert s["U"].dtype == np.complex128 and s["U"].shape == (7, 2, 2, 3, 2, 2), s["U"].shape
assert s["accepted"].dtype == bool
assert zipfile.ZipFile(sys.argv[2]).comment == b"normflow.field_kind=sun_links"
print("ok")
`), 0o644)
	out, err := exec.Command(python, script, npz, shard).CombinedOutput()
	if err != nil {
		t.Fatalf("numpy: %v\n%s", err, out)
	}
}

// A continued directory must hold the same SU(N): another N is refused.
func TestSUNShardsCheck(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ens")
	m := matrixModel(t, []int{2}, 2, 0)
	sh, _ := NewShards(dir)
	if _, _, err := drawRaw(m, []int{2}, 3, 1, 0, StreamOptions{Out: sh, Chunk: 2}, false); err != nil {
		t.Fatal(err)
	}
	sh, err := OpenShards(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := NewArrays(m.Action, []int{2}, SamplerRaw)
	if err := sh.Check(a, 1, nil, ""); err != nil {
		t.Errorf("same field: %v", err)
	}
	a.ColorN = 3
	if err := sh.Check(a, 1, nil, ""); err == nil || !strings.Contains(err.Error(), "sun_matrices (SU(3))") {
		t.Errorf("SU(3) continuing SU(2): %v", err)
	}
	// A manifest without color_n for an SU(N) kind is not valid.
	raw, _ := os.ReadFile(filepath.Join(dir, ManifestFile))
	var mf map[string]any
	json.Unmarshal(raw, &mf)
	delete(mf, "color_n")
	raw, _ = json.Marshal(mf)
	os.WriteFile(filepath.Join(dir, ManifestFile), raw, 0o644)
	if _, err := ReadManifest(dir); err == nil || !strings.Contains(err.Error(), "color_n 0 for field kind sun_matrices") {
		t.Errorf("manifest without color_n: %v", err)
	}
}

// Files from elsewhere: an .npz with "U" and no comment, a complex .npy,
// are independent matrices; wrong trailing shapes, a real U or a complex
// phi are refused with an error naming the file and what is wanted.
func TestSUNFilesFromElsewhere(t *testing.T) {
	dir := t.TempDir()
	u := make([]complex128, 4*2*2*2)
	for i := range 8 {
		u[4*i], u[4*i+3] = 1, 1
	}
	write := func(name string, arrays ...store.Array) string {
		p := filepath.Join(dir, name)
		var err error
		if strings.HasSuffix(name, ".npy") {
			err = store.WriteNPY(p, arrays[0])
		} else {
			err = store.WriteNPZ(p, arrays)
		}
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, p := range []string{
		write("plain.npz", store.Array{Name: "U", Shape: []int{4, 2, 2, 2}, Data: u}),
		write("plain.npy", store.Array{Name: "U", Shape: []int{4, 2, 2, 2}, Data: u}),
	} {
		s, all := readSource(t, p, 3)
		if s.Kind != SUNMatrices || s.ColorN != 2 || s.N != 4 || !slices.Equal(s.Lattice.Shape(), []int{2}) || !sameBits(all, store.ComplexPairs(u)) {
			t.Errorf("%s: kind %v, N %d, n %d, lattice %v", p, s.Kind, s.N, s.ColorN, s.Lattice.Shape())
		}
		f, err := ReadFile(p)
		if err != nil || f.Kind != SUNMatrices {
			t.Errorf("ReadFile(%s): %v %v", p, f, err)
		}
	}
	for _, c := range []struct {
		path, want string
	}{
		{write("rect.npz", store.Array{Name: "U", Shape: []int{4, 2, 4, 1}, Data: u[:32]}), "its matrices are 4×1, not square"},
		{write("one.npz", store.Array{Name: "U", Shape: []int{1, 2, 2, 2}, Data: u[:8]}), "1 configurations"},
		{write("scalar.npz", store.Array{Name: "U", Shape: []int{4, 1, 1}, Data: u[:4]}), "1×1 matrices"},
		{write("real.npz", store.Array{Name: "U", Shape: []int{4, 2, 2, 2}, Data: make([]float64, 32)}), "U is a real array: SU(N) matrices (sun_matrices) must be complex128 (<c16)"},
		{write("cphi.npz", store.Array{Name: "phi", Shape: []int{4, 8}, Data: u}), "phi is a complex array: a scalar field must be real"},
	} {
		_, err := Open(c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.path) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Open(%s): %v, want one line naming the file and %q", c.path, err, c.want)
		}
	}
	// Links must say so (their shape is also that of matrices on a larger
	// lattice), and then d must match the lattice.
	p := filepath.Join(dir, "links.npz")
	if err := store.WriteNPZComment(p, []store.Array{{Name: "U", Shape: []int{4, 2, 2, 2}, Data: u}}, kindComment(SUNLinks)); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(p); err == nil || !strings.Contains(err.Error(), "too few axes") {
		t.Errorf("links of shape [4 2 2 2]: %v", err)
	}
}

// An .npz sampled from a model records its SHA-256 in the archive comment,
// after the kind; a directory in its manifest; a file without it, none.
func TestRecordedModel(t *testing.T) {
	dir := t.TempDir()
	m := matrixModel(t, []int{2}, 2, 0)
	const sha = "00ff"
	npz := filepath.Join(dir, "e.npz")
	sh, _ := NewShards(filepath.Join(dir, "e"))
	for _, out := range []Output{NewNPZOutput(npz), sh} {
		if _, _, err := drawRaw(m, []int{2}, 3, 1, 0, StreamOptions{Out: out, ModelSHA256: sha}, false); err != nil {
			t.Fatal(err)
		}
		if got, err := RecordedModel(out.Path()); err != nil || got != sha {
			t.Errorf("RecordedModel(%s) = %q, %v", out.Path(), got, err)
		}
	}
	if f, err := ReadFile(npz); err != nil || f.Kind != SUNMatrices {
		t.Errorf("the kind is still read: %v %v", f, err)
	}
	plain := filepath.Join(dir, "plain.npz")
	if err := (&Ensemble{Kind: Scalar, Shape: []int{2}, Phi: make([]float64, 4), LogQ: []float64{0, 0}, LogP: []float64{0, 0}}).WriteNPZ(plain); err != nil {
		t.Fatal(err)
	}
	if got, err := RecordedModel(plain); err != nil || got != "" {
		t.Errorf("RecordedModel of a file without a model: %q, %v", got, err)
	}
}

// Raw SU(N) samples in a directory are continued from its end, and the
// directory then holds what one run of all of them draws, bit for bit.
func TestSUNShardsContinue(t *testing.T) {
	tmp := t.TempDir()
	shape := []int{2}
	m := matrixModel(t, shape, 3, 0)
	dir := filepath.Join(tmp, "ens")
	sh, _ := NewShards(dir)
	if _, _, err := drawRaw(m, shape, 10, 4, 0, StreamOptions{Out: sh, Chunk: 4}, false); err != nil {
		t.Fatal(err)
	}
	sh, err := OpenShards(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.Check(NewArrays(m.Action, shape, SamplerRaw), 4, nil, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := drawRaw(m, shape, 6, 4, sh.Next(), StreamOptions{Out: sh, Chunk: 4}, false); err != nil {
		t.Fatal(err)
	}
	_, all, err := drawRaw(m, shape, 16, 4, 0, StreamOptions{}, true)
	if err != nil {
		t.Fatal(err)
	}
	src, got := readSource(t, dir, 3)
	if src.N != 16 || !sameBits(got, all.Phi) {
		t.Errorf("continued directory: %d configurations, equal %v", src.N, sameBits(got, all.Phi))
	}
	mf, _ := ReadManifest(dir)
	if !slices.Equal(mf.Counts, []int{4, 4, 2, 4, 2}) {
		t.Errorf("counts %v", mf.Counts)
	}
}

// HMC integrates real fields and SU(N) links: independent SU(N) matrices
// are refused before anything.
func TestStreamHMCRefusesSUNMatrices(t *testing.T) {
	if _, err := StreamHMC(nil, SUNMatrices, []int{2, 2}, 0, 10, HMCSettings{}, StreamOptions{}); err == nil || !strings.Contains(err.Error(), "group-valued integrator") {
		t.Errorf("StreamHMC on sun_matrices: %v", err)
	}
}
