package ensemble

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/normflow/normflow-go/dist"
	"github.com/normflow/normflow-go/gauge"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/mcmc"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/run"
)

// sameBits compares float slices bit for bit.
func sameBits(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

// readSource reads every configuration of the ensemble at path, in pieces
// of piece configurations.
func readSource(t *testing.T, path string, piece int) (*Source, []float64) {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var all []float64
	if err := s.Configurations(piece, func(x []float64) error { all = append(all, x...); return nil }); err != nil {
		t.Fatal(err)
	}
	return s, all
}

// shardArrays concatenates the arrays of the shards a manifest counts
// (ReadFile), as float64s.
func shardArrays(t *testing.T, dir string) map[string][]float64 {
	t.Helper()
	f, err := ReadFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.Float64s()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func boolsAsFloats(b []bool) []float64 {
	out := make([]float64, len(b))
	for i, v := range b {
		if v {
			out[i] = 1
		}
	}
	return out
}

// chainInShards trains a run and writes a new chain of n steps (seed 2) into
// a new ensemble directory in chunks of chunk: the run directory, lattice
// shape and model, the ensemble directory and the saved chain state.
func chainInShards(t *testing.T, n, chunk int) (dir string, shape []int, m *model.Model, out string, st *mcmc.ChainState) {
	t.Helper()
	dir, shape, m = trainedRun(t)
	out = filepath.Join(t.TempDir(), "chain")
	sh, err := NewShards(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := StreamChain(dir, m, shape, ChainOptions{N: n, Seed: 2}, StreamOptions{Chunk: chunk, Out: sh}); err != nil {
		t.Fatal(err)
	}
	return dir, shape, m, out, loadChain(t, dir)
}

func loadChain(t *testing.T, dir string) *mcmc.ChainState {
	t.Helper()
	_, st, err := LoadChain(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &st
}

// A chain written into shards, then continued into the same directory, is
// the chain drawn in one go: configurations, logq, logp, accepted; the
// manifest counts its shards; Open reads it back in any pieces; the
// analysis of the streamed chain is that of the chain in memory.
func TestChainIntoShards(t *testing.T) {
	dir, shape, m := trainedRun(t)
	out := filepath.Join(t.TempDir(), "chain")
	sh, err := NewShards(out)
	if err != nil {
		t.Fatal(err)
	}
	d, err := StreamChain(dir, m, shape, ChainOptions{N: 1000, Seed: 5}, StreamOptions{Chunk: 64, Out: sh})
	if err != nil {
		t.Fatal(err)
	}
	want := Draw(m, shape, 1500, true, 5)
	first := Draw(m, shape, 1000, true, 5)
	a, _ := json.Marshal(d.Analyse())
	b, _ := json.Marshal(first.Analyse())
	if string(a) != string(b) {
		t.Errorf("analysis of the streamed chain\n%s\nin memory\n%s", a, b)
	}
	man, err := ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	digest, _ := run.ModelDigest(dir)
	if man.Shards != 16 || man.N != 1000 || man.Counts[15] != 40 || man.Chunk != 64 || man.Sampler != SamplerIndependence ||
		man.Seed != 5 || man.First != 0 || man.ModelSHA256 != digest || man.Requested != 1000 || man.FieldKind != "scalar" ||
		!slices.Equal(man.Arrays, []string{"phi", "logq", "logp", "accepted"}) {
		t.Errorf("manifest %+v", man)
	}

	// Continued: 500 more steps into the same directory.
	st := loadChain(t, dir)
	if st.Steps != 1000 {
		t.Fatalf("saved chain at step %d, want 1000", st.Steps)
	}
	sh, err = OpenShards(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.Check(Arrays{Kind: Scalar, Lattice: shape, Sampler: SamplerIndependence}, 5, nil, digest); err != nil {
		t.Fatal(err)
	}
	if err := sh.Resume(st, "chain"); err != nil {
		t.Fatal(err)
	}
	if _, err := StreamChain(dir, m, shape, ChainOptions{N: 500, From: st}, StreamOptions{Chunk: 64, Out: sh}); err != nil {
		t.Fatal(err)
	}
	src, phi := readSource(t, out, 77)
	if src.N != 1500 || !src.Chain || src.Kind != Scalar || !sameBits(phi, want.Phi) {
		t.Fatalf("read back: N %d, chain %v, kind %v; configurations equal: %v", src.N, src.Chain, src.Kind, sameBits(phi, want.Phi))
	}
	if w, err := src.LogW(); w != nil || err != nil {
		t.Errorf("a chain has no weights: %v, %v", w, err)
	}
	arrays := shardArrays(t, out)
	if !sameBits(arrays["logq"], want.LogQ) || !sameBits(arrays["logp"], want.LogP) || !sameBits(arrays["accepted"], boolsAsFloats(want.Accepted)) {
		t.Errorf("logq, logp or accepted of the shards differ from the chain drawn in one go")
	}
	if man, _ = ReadManifest(out); man.Shards != 24 || man.N != 1500 || man.Requested != 1500 {
		t.Errorf("continued manifest: %d shards, n %d, requested %d", man.Shards, man.N, man.Requested)
	}
}

// rewriteManifest applies f to the manifest of dir.
func rewriteManifest(t *testing.T, dir string, f func(m *Manifest)) {
	t.Helper()
	m, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	f(m)
	if err := run.WriteJSON(filepath.Join(dir, ManifestFile), m); err != nil {
		t.Fatal(err)
	}
}

// dropShards makes the manifest count k shards fewer, as if killed before
// writing it.
func dropShards(k int) func(m *Manifest) {
	return func(m *Manifest) {
		for range k {
			m.N -= m.Counts[m.Shards-1]
			m.Counts = m.Counts[:m.Shards-1]
			m.Shards--
		}
	}
}

// What a kill leaves is repaired or refused: a manifest one shard behind
// the chain's state counts that shard again after checking it; an
// uncounted shard and temporary files are removed and rewritten; a chain
// behind the manifest, or further ahead than one shard, or whose state is
// not the shard's last configuration, is refused, naming the directory.
func TestShardsResume(t *testing.T) {
	dir, shape, m, out, st := chainInShards(t, 300, 100)
	resume := func() error {
		sh, err := OpenShards(out)
		if err != nil {
			t.Fatal(err)
		}
		return sh.Resume(st, "r/chain.safetensors")
	}
	rewriteManifest(t, out, dropShards(1))
	if err := resume(); err != nil {
		t.Errorf("manifest one shard behind: %v", err)
	}
	rewriteManifest(t, out, dropShards(1)) // two behind now
	if err := resume(); err == nil || !strings.Contains(err.Error(), "not in a complete shard part-000001.npz") || !strings.Contains(err.Error(), out) {
		t.Errorf("manifest two shards behind: %v", err)
	}
	rewriteManifest(t, out, func(m *Manifest) { m.Counts, m.Shards, m.N = []int{100, 100}, 2, 200 })
	bad := *st
	bad.Current = []float64{12345}
	sh, _ := OpenShards(out)
	if err := sh.Resume(&bad, "r/chain.safetensors"); err == nil || !strings.Contains(err.Error(), "does not end in") {
		t.Errorf("state not the shard's last configuration: %v", err)
	}
	rewriteManifest(t, out, func(m *Manifest) { m.Counts, m.Shards, m.N = []int{100, 100, 100}, 3, 300 })
	behind := *st
	behind.Steps = 250
	sh, _ = OpenShards(out)
	if err := sh.Resume(&behind, "r/chain.safetensors"); err == nil || !strings.Contains(err.Error(), "replaced") {
		t.Errorf("chain behind the manifest: %v", err)
	}

	// A shard after the counted ones (killed before the chain state) and
	// temporary files are removed when the chain continues, and the
	// continued directory is the chain drawn in one go.
	for _, name := range []string{ShardName(3), ShardName(7), ".part-000003.npz.tmp-123", ".ensemble.json.tmp-9"} {
		if err := os.WriteFile(filepath.Join(out, name), []byte("half"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := resume(); err != nil {
		t.Fatal(err)
	}
	sh, _ = OpenShards(out)
	sh.Resume(st, "chain")
	if _, err := StreamChain(dir, m, shape, ChainOptions{N: 150, From: st}, StreamOptions{Chunk: 100, Out: sh}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(out)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{ManifestFile, ShardName(0), ShardName(1), ShardName(2), ShardName(3), ShardName(4)}; !slices.Equal(names, want) {
		t.Errorf("directory holds %v, want %v", names, want)
	}
	if _, phi := readSource(t, out, 1000); !sameBits(phi, Draw(m, shape, 450, true, 2).Phi) {
		t.Errorf("the repaired and continued chain differs from the chain drawn in one go")
	}
}

// A shard whose chain state cannot be saved is removed again: the
// directory keeps the shards its manifest counts and nothing else.
func TestShardWithoutChainStateIsRemoved(t *testing.T) {
	dir, shape, m, out, st := chainInShards(t, 100, 50)
	chainFile := filepath.Join(dir, ChainFile)
	os.Remove(chainFile)
	if err := os.Mkdir(chainFile, 0o755); err != nil { // the state cannot be written
		t.Fatal(err)
	}
	sh, _ := OpenShards(out)
	_, err := StreamChain(dir, m, shape, ChainOptions{N: 100, From: st}, StreamOptions{Chunk: 50, Out: sh})
	if err == nil || !strings.Contains(err.Error(), "saving the chain state") {
		t.Fatalf("chain state not writable: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, ShardName(2))); err == nil {
		t.Errorf("the shard without a chain state was left")
	}
	if man, _ := ReadManifest(out); man.N != 100 || man.Shards != 2 {
		t.Errorf("manifest: %d shards, n %d; want 2, 100", man.Shards, man.N)
	}
}

// Raw flow samples into shards, continued from the manifest's end, are the
// samples drawn in one go, and read back with their weights.
func TestRawIntoShards(t *testing.T) {
	_, shape, m := trainedRun(t)
	out := filepath.Join(t.TempDir(), "raw")
	sh, _ := NewShards(out)
	if _, err := DrawRaw(m, shape, 300, 3, 0, StreamOptions{Chunk: 70, Out: sh, ModelSHA256: "abc"}); err != nil {
		t.Fatal(err)
	}
	sh, err := OpenShards(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.Check(Arrays{Kind: Scalar, Lattice: shape, Sampler: SamplerRaw}, 3, nil, "abd"); err == nil || !strings.Contains(err.Error(), "model SHA-256") {
		t.Errorf("another model: %v", err)
	}
	if err := sh.Check(Arrays{Kind: Scalar, Lattice: shape, Sampler: SamplerIndependence}, 3, nil, "abc"); err == nil || !strings.Contains(err.Error(), "raw flow samples 1–300 of seed 3") {
		t.Errorf("another sampler: %v", err)
	}
	if _, err := DrawRaw(m, shape, 200, 3, sh.Next(), StreamOptions{Chunk: 70, Out: sh, ModelSHA256: "abc"}); err != nil {
		t.Fatal(err)
	}
	want := Draw(m, shape, 500, false, 3)
	src, phi := readSource(t, out, 33)
	w, err := src.LogW()
	if err != nil || src.Chain || !sameBits(phi, want.Phi) || !sameBits(w, want.ProposalLogW) {
		t.Fatalf("raw samples read back: chain %v, configurations equal %v, weights equal %v (%v)", src.Chain, sameBits(phi, want.Phi), sameBits(w, want.ProposalLogW), err)
	}
}

// Three in-process ranks write the shards and manifest of one process,
// byte for byte, over several gather rounds.
func TestDistChainIntoShards(t *testing.T) {
	dir, shape, m := trainedRun(t)
	other := filepath.Join(t.TempDir(), "run")
	os.MkdirAll(other, 0o755)
	for _, name := range []string{run.ModelFile, run.SummaryFile, run.HistoryFile} {
		data, _ := os.ReadFile(filepath.Join(dir, name))
		os.WriteFile(filepath.Join(other, name), data, 0o644)
	}
	const ranks, n = 3, 3*chainChunk + 17
	one := filepath.Join(t.TempDir(), "one")
	sh, _ := NewShards(one)
	if _, err := StreamChain(dir, m, shape, ChainOptions{N: n, Seed: 8}, StreamOptions{Chunk: 5000, Out: sh}); err != nil {
		t.Fatal(err)
	}
	many := filepath.Join(t.TempDir(), "many")
	comms := dist.NewLocal(ranks)
	errs := make([]error, ranks)
	var wg sync.WaitGroup
	for r, c := range comms {
		wg.Go(func() {
			o := StreamOptions{Comm: c, Chunk: 5000}
			if r == 0 {
				o.Out, errs[r] = NewShards(many)
			}
			_, err := StreamChain(other, m, shape, ChainOptions{N: n, Seed: 8}, o)
			errs[r] = err
		})
	}
	wg.Wait()
	for r, err := range errs {
		if err != nil {
			t.Fatalf("rank %d: %v", r, err)
		}
	}
	for _, name := range []string{ManifestFile, ShardName(0), ShardName(1), ShardName(2)} {
		a, _ := os.ReadFile(filepath.Join(one, name))
		b, err := os.ReadFile(filepath.Join(many, name))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s on %d ranks differs from one process's (%v)", name, ranks, err)
		}
	}
}

// HMC of 2-d U(1) links into shards and into one .npz: the same wrapped
// angles read back, the same gauge report, the HMC settings in the
// manifest.
func TestHMCLinksShards(t *testing.T) {
	lat := lattice.MustNew(4, 4)
	w, err := gauge.NewWilson(lat, 2)
	if err != nil {
		t.Fatal(err)
	}
	settings := HMCSettings{Step: 0.1, Steps: 5, Therm: 20}
	draw := func(out Output) *Drawn {
		h, err := mcmc.NewHMC(w, 0.1, 5, 4)
		if err != nil {
			t.Fatal(err)
		}
		d, err := StreamHMC(h, U1Links, lat.Shape(), 20, 130, settings, StreamOptions{Chunk: 30, Out: out})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	tmp := t.TempDir()
	sh, _ := NewShards(filepath.Join(tmp, "links"))
	dShards := draw(sh)
	dNPZ := draw(NewNPZOutput(filepath.Join(tmp, "links.npz")))
	_, a := readSource(t, filepath.Join(tmp, "links"), 40)
	src, b := readSource(t, filepath.Join(tmp, "links.npz"), 1000)
	if src.Kind != U1Links || !src.Chain || len(a) != 130*32 || !sameBits(a, b) {
		t.Fatalf("links: kind %v, chain %v, %d values, shards = npz: %v", src.Kind, src.Chain, len(a), sameBits(a, b))
	}
	for _, x := range a {
		if !(x > -math.Pi && x <= math.Pi) {
			t.Fatalf("theta %g not wrapped", x)
		}
	}
	r1, _ := json.Marshal(dShards.Gauge.Measure(nil, 0))
	r2, _ := json.Marshal(dNPZ.Gauge.Measure(nil, 0))
	if string(r1) != string(r2) {
		t.Errorf("gauge reports differ:\n%s\n%s", r1, r2)
	}
	man, _ := ReadManifest(filepath.Join(tmp, "links"))
	if man.Sampler != SamplerHMC || man.HMC == nil || *man.HMC != settings || man.Array != "theta" || man.Shards != 5 ||
		!slices.Equal(man.Arrays, []string{"theta", "accepted", "deltaH"}) {
		t.Errorf("manifest %+v", man)
	}
}

// Bad directories and manifests are refused with a message naming them.
func TestShardsRefuse(t *testing.T) {
	tmp := t.TempDir()
	os.WriteFile(filepath.Join(tmp, "file"), []byte("x"), 0o644)
	os.Mkdir(filepath.Join(tmp, "full"), 0o755)
	os.WriteFile(filepath.Join(tmp, "full", "notes"), []byte("x"), 0o644)
	for _, c := range []struct{ dir, want string }{
		{filepath.Join(tmp, "missing", "e"), "does not exist"},
		{filepath.Join(tmp, "file"), "is a file"},
		{filepath.Join(tmp, "full"), "not empty (notes)"},
	} {
		if _, err := NewShards(c.dir); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.dir) {
			t.Errorf("NewShards(%s): %v, want %q", c.dir, err, c.want)
		}
	}
	dir := filepath.Join(tmp, "e")
	os.Mkdir(dir, 0o755)
	for _, c := range []struct{ manifest, want string }{
		{`{"format": "normflow-go/ensemble/9"}`, "normflow-go/ensemble/9"},
		{`{"format": "normflow-go/ensemble/1", "field_kind": "scalar", "array": "phi", "lattice": [2], "arrays": ["phi", "logq", "logp"], "sampler": "raw", "chunk": 5, "shards": 2, "counts": [5], "n": 5}`, "do not agree"},
		{`{"format": "normflow-go/ensemble/1", "field_kind": "su3", "array": "phi"}`, `field kind "su3"`},
		{`{"format": "normflow-go/ensemble/1", "field_kind": "scalar", "array": "phi", "lattice": [2], "arrays": ["phi"], "sampler": "raw", "chunk": 5, "shards": 0, "counts": [], "n": 0}`, "arrays phi [phi]"},
		{`{"format": "normflow-go/ensemble/1", "extra": 1}`, "unknown field"},
		{`not json`, "not an ensemble manifest"},
	} {
		os.WriteFile(filepath.Join(dir, ManifestFile), []byte(c.manifest), 0o644)
		if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), ManifestFile) {
			t.Errorf("manifest %s: %v, want %q", c.manifest, err, c.want)
		}
	}
	os.WriteFile(filepath.Join(dir, ManifestFile), []byte(`{"format": "normflow-go/ensemble/1", "field_kind": "scalar", "array": "phi", "lattice": [2], "arrays": ["phi", "logq", "logp"], "sampler": "raw", "chunk": 5, "shards": 1, "counts": [5], "n": 5}`), 0o644)
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "part-000000.npz") {
		t.Errorf("a counted shard missing: %v", err)
	}
	if _, err := NewShards(dir); err == nil || !strings.Contains(err.Error(), "already holds an ensemble") {
		t.Errorf("NewShards on an ensemble: %v", err)
	}
	if _, err := Open(tmp); err == nil || !strings.Contains(err.Error(), "not an ensemble directory") {
		t.Errorf("Open of a plain directory: %v", err)
	}
}
