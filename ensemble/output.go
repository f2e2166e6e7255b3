package ensemble

import (
	"fmt"
	"strings"

	"github.com/normflow/normflow-go/store"
)

// Output is where a sampling run writes its ensemble, chunk by chunk: a
// single .npz (NewNPZOutput) or a directory of shards (NewShards,
// OpenShards). Under MPI only rank 0 has one.
type Output interface {
	// Path is the file or directory written.
	Path() string
	// start is called once, before the first chunk, with what the
	// configurations are, where they start (the chain step, or the index of
	// the first posterior sample), and how many will come.
	start(h header, n int) error
	// write stores the next chunk of configurations, which commit then
	// counts: between the two the caller saves the chain state that goes
	// with them (shards.go).
	write(c *Chunk) error
	commit() error
	// finish completes the output after the last chunk; abort drops what
	// is not committed.
	finish() error
	abort()
}

// header describes an ensemble being written: its arrays and where it
// comes from (recorded in a shard directory's manifest).
type header struct {
	Arrays
	Seed  uint64
	Block []int
	// First is the index of the first configuration written: the chain
	// step (0 for a new chain), the posterior sample's index, or the HMC
	// trajectory after thermalisation.
	First       uint64
	ModelSHA256 string
	HMC         *HMCSettings
	Chunk       int // configurations per chunk
}

// HMCSettings are the parameters of an HMC run, recorded with its ensemble.
type HMCSettings struct {
	Step  float64 `json:"step"`
	Steps int     `json:"steps"`
	Therm int     `json:"therm"`
	// Integrator is "omelyan" when HMC integrated with mcmc.Omelyan2MN;
	// absent for the leapfrog (the default, and what older files used).
	Integrator string `json:"integrator,omitempty"`
}

// IsNPZ reports whether an --out path names a single .npz file (otherwise
// it names a shard directory).
func IsNPZ(path string) bool { return strings.HasSuffix(path, ".npz") }

// npzOutput writes the ensemble as one .npz: the configurations streamed
// into its first entry, whose shape needs the number of configurations up
// front, and the per-configuration scalar arrays, kept in memory (O(n)),
// after them. Nothing is at the path until finish.
type npzOutput struct {
	path    string
	h       header
	w       *store.NPZWriter
	scalars Chunk
}

// NewNPZOutput writes the ensemble to the .npz file path (atomically).
func NewNPZOutput(path string) Output { return &npzOutput{path: path} }

func (o *npzOutput) Path() string { return o.path }

func (o *npzOutput) start(h header, n int) error {
	w, err := store.CreateNPZ(o.path)
	if err != nil {
		return err
	}
	begin := w.BeginFloat64s
	if h.Kind.IsSUN() {
		begin = w.BeginComplex128s // the (re, im) pairs, as they are
	}
	if err := begin(h.Kind.Array(), h.fieldShape(n)); err != nil {
		w.Abort()
		return err
	}
	o.h, o.w = h, w
	o.scalars.grow(n, h.ScalarArrays())
	return nil
}

func (o *npzOutput) write(c *Chunk) error {
	if err := o.w.WriteFloat64s(o.h.fieldValues(c.Phi)); err != nil {
		return err
	}
	o.scalars.appendChunk(&Chunk{LogQ: c.LogQ, LogP: c.LogP, Accepted: c.Accepted, DeltaH: c.DeltaH})
	return nil
}

func (o *npzOutput) commit() error { return nil }

func (o *npzOutput) finish() error {
	for _, name := range o.h.ScalarArrays() {
		if err := o.w.Add(scalarArray(name, &o.scalars)); err != nil {
			o.w.Abort()
			return err
		}
	}
	return o.w.Close(fileComment(o.h.Kind, o.h.ModelSHA256))
}

func (o *npzOutput) abort() {
	if o.w != nil {
		o.w.Abort()
	}
}

// checkCount checks that a chunk holds k configurations in every array of
// its ensemble.
func (h header) checkCount(c *Chunk, k int) error {
	if len(c.Phi) != k*h.Values() {
		return fmt.Errorf("ensemble: a chunk of %d values for %d configurations of %d", len(c.Phi), k, h.Values())
	}
	for _, name := range h.ScalarArrays() {
		if n := scalarArray(name, c).Len(); n != k {
			return fmt.Errorf("ensemble: a chunk of %d configurations with %d values of %s", k, n, name)
		}
	}
	return nil
}
