package ensemble

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/normflow/normflow-go/gauge"
	"github.com/normflow/normflow-go/mcmc"
	"github.com/normflow/normflow-go/run"
	"github.com/normflow/normflow-go/store"
)

// An ensemble directory (docs/architecture.md §7.5): the configurations in
// shards DIR/part-000000.npz, part-000001.npz, … (each an .npz of the
// arrays a single-file ensemble has, for its configurations, with the field
// kind as archive comment), and the manifest DIR/ensemble.json, which says
// what they are and how many shards are complete. Every file is written
// atomically; the manifest is rewritten after each shard and counts only
// shards that were complete when it was written, so a reader that follows
// it (Open, or numpy with the manifest) never sees a half-written shard,
// and a run killed at any moment leaves at most one shard it does not
// count, which the next run rewrites.
//
// A chain's state (RUN/chain.safetensors) is saved between a shard and the
// manifest that counts it: it commits the shard. A kill before the state
// is saved leaves the shard uncounted and the chain where it was, so the
// continued chain writes the same shard again (the chain is deterministic);
// a kill after it leaves the manifest one shard behind the chain, and
// Shards.Resume counts that shard after checking it.

// ManifestFile is the manifest of an ensemble directory.
const ManifestFile = "ensemble.json"

// ManifestFormat is the manifest's format name and version.
const ManifestFormat = "normflow-go/ensemble/1"

// ShardName is the file name of shard i.
func ShardName(i int) string { return fmt.Sprintf("part-%06d.npz", i) }

// shardPattern matches every shard name (filepath.Match).
const shardPattern = "part-*.npz"

// MaxShards bounds the shards of a directory: its manifest, which lists
// them, is rewritten after each one (the command refuses a --chunk that
// would make more).
const MaxShards = 10000

// DefaultShardBytes is the size a shard has by default (DefaultChunk).
const DefaultShardBytes = 64 << 20

// DefaultChunk is the number of configurations of arrays a in a shard of
// about DefaultShardBytes (at least 1).
func DefaultChunk(a Arrays) int {
	return int(max(1, DefaultShardBytes/a.BytesPerConfiguration()))
}

// Manifest is the content of DIR/ensemble.json.
type Manifest struct {
	Format    string `json:"format"`     // ManifestFormat
	FieldKind string `json:"field_kind"` // "scalar", "u1_links", "sun_matrices" or "sun_links"
	Array     string `json:"array"`      // the configurations' array: "phi", "theta" or "U"
	Lattice   []int  `json:"lattice"`    // lattice shape
	// ColorN is N of the SU(N) kinds (the last two axes of U), absent for
	// the others.
	ColorN int      `json:"color_n,omitempty"`
	Arrays []string `json:"arrays"` // every array of a shard, the configurations' first
	// Sampler is raw, independence, blocked or hmc; Seed its seed and Block
	// the blocks of a blocked chain.
	Sampler string `json:"sampler"`
	Seed    uint64 `json:"seed"`
	Block   []int  `json:"block,omitempty"`
	// First is the index of the first configuration: the chain step
	// (counted from 0) or the posterior sample; 0 for HMC, whose
	// configurations follow the thermalisation.
	First       uint64       `json:"first"`
	ModelSHA256 string       `json:"model_sha256,omitempty"` // the model sampled (sample)
	HMC         *HMCSettings `json:"hmc,omitempty"`
	// Chunk is the number of configurations a shard holds (the last one
	// written by a run may hold fewer); Counts those of each complete
	// shard, Shards their number and N their sum.
	Chunk  int   `json:"chunk"`
	Shards int   `json:"shards"`
	Counts []int `json:"counts"`
	N      int   `json:"n"`
	// Requested is the number of configurations the last run asked the
	// directory to hold (N is less while it runs or when it was stopped).
	Requested int `json:"requested"`
}

// kind is the manifest's field kind.
func (m *Manifest) kind() (FieldKind, error) { return parseKind(m.FieldKind) }

// arrays is what the manifest's configurations are.
func (m *Manifest) arrays() (Arrays, error) {
	k, err := m.kind()
	return Arrays{Kind: k, Lattice: m.Lattice, Sampler: m.Sampler, ColorN: m.ColorN}, err
}

// ReadManifest reads and checks DIR/ensemble.json; an error wrapping
// fs.ErrNotExist when there is none.
func ReadManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Manifest
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: not an ensemble manifest: %v", path, err)
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return &m, nil
}

// check checks the manifest's consistency.
func (m *Manifest) check() error {
	if m.Format != ManifestFormat {
		return fmt.Errorf("format %q: this normflow reads %s", m.Format, ManifestFormat)
	}
	a, err := m.arrays()
	if err != nil {
		return err
	}
	if !slices.Contains([]string{SamplerRaw, SamplerIndependence, SamplerBlocked, SamplerHMC}, m.Sampler) {
		return fmt.Errorf("sampler %q: want raw, independence, blocked or hmc", m.Sampler)
	}
	if (len(m.Lattice) == 0 && a.Kind != SUNMatrices) || (a.Kind == U1Links && (len(m.Lattice) < 2 || len(m.Lattice) > gauge.MaxDim)) {
		return fmt.Errorf("lattice %v for field kind %s", m.Lattice, m.FieldKind)
	}
	if a.Kind.IsSUN() != (m.ColorN >= 2) || m.ColorN < 0 {
		return fmt.Errorf("color_n %d for field kind %s: want N ≥ 2 for SU(N) and none otherwise", m.ColorN, m.FieldKind)
	}
	for _, l := range m.Lattice {
		if l < 1 {
			return fmt.Errorf("lattice %v", m.Lattice)
		}
	}
	if want := append([]string{a.Kind.Array()}, a.ScalarArrays()...); m.Array != want[0] || !slices.Equal(m.Arrays, want) {
		return fmt.Errorf("arrays %s %v: want %v for %s samples of a %s field", m.Array, m.Arrays, want, m.Sampler, m.FieldKind)
	}
	n := 0
	for i, c := range m.Counts {
		if c < 1 {
			return fmt.Errorf("shard %d holds %d configurations", i, c)
		}
		n += c
	}
	if m.Shards != len(m.Counts) || m.N != n || m.Chunk < 1 {
		return fmt.Errorf("%d shards, %d counts, n = %d, chunk %d do not agree", m.Shards, len(m.Counts), m.N, m.Chunk)
	}
	return nil
}

// Shards is an ensemble directory being written, a new one (NewShards) or
// one an earlier run wrote (OpenShards): an Output.
type Shards struct {
	dir     string
	m       *Manifest // nil for a new directory until start
	pending int       // configurations of the shard written but not yet counted
	// Whether start must create the directory.
	create bool
}

// NewShards is the new ensemble directory dir: it must not exist (its
// parent must) or be an empty directory. Nothing is written before the
// sampling run starts.
func NewShards(dir string) (*Shards, error) {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		parent := filepath.Dir(dir)
		if pst, err := os.Stat(parent); err != nil || !pst.IsDir() {
			return nil, fmt.Errorf("--out %s: directory %s does not exist", dir, parent)
		}
		return &Shards{dir: dir, create: true}, nil
	case err != nil:
		return nil, fmt.Errorf("--out %s: %v", dir, err)
	case !st.IsDir():
		return nil, fmt.Errorf("--out %s is a file: give a new directory for the shards, or a name ending in .npz", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("--out %s: %v", dir, err)
	}
	for _, e := range entries {
		if !isTemp(e.Name()) {
			if e.Name() == ManifestFile {
				return nil, fmt.Errorf("--out %s already holds an ensemble (%s)", dir, ManifestFile)
			}
			return nil, fmt.Errorf("--out %s exists and is not empty (%s): give a new directory for the shards", dir, e.Name())
		}
	}
	return &Shards{dir: dir}, nil
}

// isTemp reports whether name is a temporary file of an atomic write.
func isTemp(name string) bool { return strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-") }

// OpenShards opens the ensemble directory dir an earlier run wrote, to
// append to it (Check and Resume say whether a sampler continues it).
func OpenShards(dir string) (*Shards, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	return &Shards{dir: dir, m: m}, nil
}

// Path is the directory.
func (s *Shards) Path() string { return s.dir }

// Manifest is a copy of the manifest (zero for a new directory).
func (s *Shards) Manifest() Manifest {
	if s.m == nil {
		return Manifest{}
	}
	m := *s.m
	m.Counts = slices.Clone(m.Counts)
	return m
}

// Next is the index of the configuration that continues the directory:
// the chain step or posterior sample after its last one.
func (s *Shards) Next() uint64 { return s.m.First + uint64(s.m.N) }

// Describe says what the directory holds, for messages: "--out DIR holds
// 300 configurations (steps 1–300 of the independence chain of seed 2)".
func (s *Shards) Describe() string {
	m := s.m
	what := map[string]string{SamplerRaw: "raw flow samples %d–%d of seed %d", SamplerHMC: "HMC trajectories %d–%d of seed %d"}[m.Sampler]
	if what == "" {
		what = "steps %d–%d of the " + m.Sampler + " chain of seed %d"
	}
	if m.N == 0 {
		return fmt.Sprintf("--out %s holds no configurations yet (%s samples of seed %d from %d)", s.dir, m.Sampler, m.Seed, m.First+1)
	}
	return fmt.Sprintf("--out %s holds %d configurations (%s)", s.dir, m.N, fmt.Sprintf(what, m.First+1, s.Next(), m.Seed))
}

// Check says whether configurations of arrays a from a sampler of this
// seed, blocks and model continue the directory; the error names what
// differs.
func (s *Shards) Check(a Arrays, seed uint64, block []int, modelSHA256 string) error {
	m := s.m
	ma, err := m.arrays()
	if err != nil {
		return err
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s, not %s", s.Describe(), fmt.Sprintf(format, args...))
	}
	switch {
	case m.Sampler != a.Sampler:
		return bad("%s samples: continue it with the sampler that wrote it, or give another --out", a.Sampler)
	case ma.Kind != a.Kind || !slices.Equal(m.Lattice, a.Lattice) || ma.ColorN != a.ColorN:
		return bad("a %s field on %v", a.describe(), a.Lattice)
	case m.Seed != seed:
		return bad("of seed %d", seed)
	case !slices.Equal(m.Block, block):
		return bad("with blocks %v", block)
	case m.ModelSHA256 != modelSHA256:
		was, now := store.DistinctPrefixes(m.ModelSHA256, modelSHA256, 12)
		return bad("of this model (model SHA-256 %s, now %s)", was, now)
	}
	return nil
}

// Resume aligns the directory with the saved chain st that continues it
// (chainFile names it in messages): the chain is where the manifest ends,
// or one shard further when a kill fell between the chain's state and the
// manifest, and then that shard is counted, after checking that it is
// complete and ends in the chain's configuration. Anything else is an
// error: the chain has moved on without the directory, or was replaced.
func (s *Shards) Resume(st *mcmc.ChainState, chainFile string) error {
	end := s.Next()
	switch {
	case st.Steps == end:
		return nil
	case st.Steps < end:
		return fmt.Errorf("%s, but the saved chain (%s) is at step %d, before its end: it was replaced; continue into a new --out directory", s.Describe(), chainFile, st.Steps)
	}
	k := int(min(st.Steps-end, math.MaxInt32))
	if err := s.checkLastShard(st, k); err != nil {
		return fmt.Errorf("%s, but the saved chain (%s) is at step %d and %v; continue into a new --out directory", s.Describe(), chainFile, st.Steps, err)
	}
	s.m.Counts = append(s.m.Counts, k)
	s.m.Shards++
	s.m.N += k
	return nil
}

// checkLastShard checks that the shard after the counted ones holds k
// configurations whose last is the chain's state st.
func (s *Shards) checkLastShard(st *mcmc.ChainState, k int) error {
	name := ShardName(s.m.Shards)
	a, _ := s.m.arrays()
	f, err := readShard(filepath.Join(s.dir, name), a, k)
	if err != nil {
		return fmt.Errorf("the %d steps between are not in a complete shard %s (%v)", k, name, err)
	}
	last := f.Phi[(k-1)*a.Values():]
	want := a.fieldValues(st.Current)
	same := slices.EqualFunc(last, want, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
	if !same || math.Float64bits(f.LogQ[k-1]) != math.Float64bits(st.LogQ) || math.Float64bits(f.LogP[k-1]) != math.Float64bits(st.LogP) {
		return fmt.Errorf("shard %s does not end in its configuration", name)
	}
	return nil
}

// readShard reads the shard at path, which must hold the arrays of a for
// k configurations.
func readShard(path string, a Arrays, k int) (*Chunk, error) {
	arrays, err := store.ReadNPZ(path)
	if err != nil {
		return nil, err
	}
	c := &Chunk{}
	field, ok := arrays[a.Kind.Array()]
	if !ok || !slices.Equal(field.Shape, a.fieldShape(k)) {
		return nil, fmt.Errorf("%s: want %s of shape %v", path, a.Kind.Array(), a.fieldShape(k))
	}
	if c.Phi, err = a.fieldFloats(field); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	for _, name := range a.ScalarArrays() {
		x, ok := arrays[name]
		if !ok || !slices.Equal(x.Shape, []int{k}) {
			return nil, fmt.Errorf("%s: want %s of shape [%d]", path, name, k)
		}
		switch name {
		case "accepted":
			c.Accepted, _ = x.Data.([]bool)
		case "logq":
			c.LogQ, err = x.Float64s()
		case "logp":
			c.LogP, err = x.Float64s()
		case "deltaH":
			c.DeltaH, err = x.Float64s()
		}
		if err != nil {
			return nil, err
		}
	}
	return c, nil
}

// start writes the manifest of a new directory, or the (repaired) one of
// a continued directory after checking that h continues it, and removes
// what killed runs left: temporary files and shards it does not count.
func (s *Shards) start(h header, n int) error {
	if s.m == nil {
		if s.create {
			if err := os.Mkdir(s.dir, 0o755); err != nil {
				return err
			}
		}
		s.m = &Manifest{
			Format: ManifestFormat, FieldKind: h.Kind.String(), Array: h.Kind.Array(), Lattice: slices.Clone(h.Lattice), ColorN: h.ColorN,
			Arrays: append([]string{h.Kind.Array()}, h.ScalarArrays()...), Sampler: h.Sampler, Seed: h.Seed,
			Block: slices.Clone(h.Block), First: h.First, ModelSHA256: h.ModelSHA256, HMC: h.HMC, Counts: []int{},
		}
	} else if err := s.Check(h.Arrays, h.Seed, h.Block, h.ModelSHA256); err != nil {
		return err
	} else if h.First != s.Next() {
		return fmt.Errorf("ensemble: %s ends at configuration %d, the sampler starts at %d", s.dir, s.Next(), h.First)
	}
	s.m.Chunk, s.m.Requested = h.Chunk, s.m.N+n
	store.RemoveStaleTemps(s.dir, ManifestFile, shardPattern)
	if err := s.removeUncounted(); err != nil {
		return err
	}
	return s.writeManifest()
}

// removeUncounted deletes the shards after those the manifest counts.
func (s *Shards) removeUncounted() error {
	names, err := filepath.Glob(filepath.Join(s.dir, shardPattern))
	if err != nil {
		return err
	}
	for _, p := range names {
		i, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "part-"), ".npz"))
		if err == nil && i >= s.m.Shards {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Shards) writeManifest() error {
	return run.WriteJSON(filepath.Join(s.dir, ManifestFile), s.m)
}

// write writes the next shard (not yet counted).
func (s *Shards) write(c *Chunk) error {
	a, err := s.m.arrays()
	if err != nil {
		return err
	}
	k := len(c.Phi) / a.Values()
	if err := (header{Arrays: a}).checkCount(c, k); err != nil {
		return err
	}
	path := filepath.Join(s.dir, ShardName(s.m.Shards))
	if err := store.WriteNPZComment(path, a.storeArrays(c, k), kindComment(a.Kind)); err != nil {
		return err
	}
	s.pending = k
	return nil
}

// commit counts the shard written last.
func (s *Shards) commit() error {
	s.m.Counts = append(s.m.Counts, s.pending)
	s.m.Shards++
	s.m.N += s.pending
	s.pending = 0
	return s.writeManifest()
}

func (s *Shards) finish() error { return nil }

// abort removes a shard written but not committed (its chain state was not
// saved), so that a run that failed leaves only the shards it counts.
func (s *Shards) abort() {
	if s.pending > 0 {
		os.Remove(filepath.Join(s.dir, ShardName(s.m.Shards)))
		s.pending = 0
	}
}
