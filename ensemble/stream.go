package ensemble

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/normflow/normflow-go/dist"
	"github.com/normflow/normflow-go/gauge"
	"github.com/normflow/normflow-go/internal/progress"
	"github.com/normflow/normflow-go/mcmc"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/run"
)

// Sampling runs that stream their ensemble (docs/architecture.md §4.4): the
// configurations are drawn a chunk at a time (Chunk configurations, one
// shard of an ensemble directory), analysed (Drawn) and written (Output),
// and only the per-configuration series of the analysis outlive the chunk.
// Memory is one chunk of configurations and the O(n) series, whatever n.

// StreamOptions are the settings of a streaming sampling run.
type StreamOptions struct {
	// Comm runs the sampler over MPI ranks (nil: one process): every rank
	// draws its share of each chunk's proposals, rank 0 gathers them, runs
	// the chain, analyses and writes, and returns the result; the others
	// return nil.
	Comm dist.Comm
	// Chunk is the number of configurations drawn, analysed and written at
	// a time (one shard); ≤ 0: DefaultChunk, about DefaultShardBytes.
	Chunk int
	// Out receives the ensemble at rank 0 (nil: it is not written).
	Out Output
	// ModelSHA256 identifies the model sampled, recorded in a shard
	// manifest (chains record theirs themselves).
	ModelSHA256 string
	// TwoPoint keeps the slice correlators of a scalar field, for G(t)
	// (Drawn.Scalar.Measure).
	TwoPoint bool
	// Loops is the largest Wilson loop W(R, T), R, T ≤ Loops, measured on
	// SU(N) links (≤ 0: the default, Loops).
	Loops int
	// Progress receives progress reports of long runs (nil: silent).
	Progress io.Writer
}

// chainChunk is the number of proposals drawn per rank between progress
// reports; how a chain is cut into pieces does not change it (Sample(a)
// then Sample(b) equals Sample(a+b)).
const chainChunk = 4096

// source draws the next configurations of an ensemble.
type source interface {
	// next draws the next k configurations; every rank calls it (it may
	// hold collectives), rank 0 gets them, the others nil.
	next(k int) *Chunk
}

// posterior draws raw flow samples first, first+1, … of seed, gathered
// from the ranks of comm, or with chain the independence-Metropolis chain
// over them (which rank 0 runs).
type posterior struct {
	comm  dist.Comm
	m     *model.Model
	seed  uint64
	first uint64
	chain *mcmc.Chain
}

func (p *posterior) next(k int) *Chunk {
	phi, logq, logp := GatherPosterior(p.comm, p.m, p.seed, p.first, k)
	p.first += uint64(k)
	if phi == nil {
		return nil
	}
	c := &Chunk{Phi: phi, LogQ: logq, LogP: logp}
	if p.chain != nil {
		c.Accepted, c.ProposalLogW = p.chain.Accept(phi, logq, logp)
	} else {
		c.ProposalLogW = logW(logq, logp)
	}
	return c
}

// blocked draws the steps of a blocked chain (one process).
type blocked struct{ c *mcmc.BlockedChain }

func (b blocked) next(k int) *Chunk {
	phi, logq, logp, acc, _ := b.c.Sample(k)
	return &Chunk{Phi: phi, LogQ: logq, LogP: logp, Accepted: acc}
}

// hmcSource draws HMC trajectories.
type hmcSource struct{ h *mcmc.HMC }

func (s hmcSource) next(k int) *Chunk {
	phi, acc, dH := s.h.Sample(k)
	return &Chunk{Phi: phi, Accepted: acc, DeltaH: dH}
}

// streamer runs a source for n configurations in chunks: analysed into
// d, collected into keep (when not nil), and written to o.Out, with save
// (the chain's state) after each shard written.
type streamer struct {
	o     StreamOptions
	h     header
	src   source
	piece int // configurations per call of src.next (per rank)
	bar   *progress.Bar
	d     *Drawn
	keep  *Chunk
	save  func() error
}

// run draws n configurations.
func (s *streamer) run(n int) error {
	root := dist.IsRoot(s.o.Comm)
	chunk := s.o.Chunk
	if chunk <= 0 {
		chunk = DefaultChunk(s.h.Arrays)
	}
	s.h.Chunk = chunk
	var err error
	if root {
		if s.d, err = newDrawn(s.h.Arrays, s.o.TwoPoint, s.o.Loops); err == nil {
			s.d.grow(n, s.h.Sampler)
			if s.o.Out != nil {
				err = s.o.Out.start(s.h, n)
			}
		}
	}
	if err := agree(s.o.Comm, err); err != nil {
		return err
	}
	buf := &Chunk{}
	for done := 0; done < n; {
		k := min(chunk, n-done)
		buf.reset()
		for got := 0; got < k; {
			p := min(s.piece, k-got)
			if c := s.src.next(p); root {
				buf.appendChunk(c)
			}
			got += p
			s.bar.Add(p)
		}
		if root {
			if err := s.take(buf); err != nil {
				return err
			}
		}
		done += k
	}
	s.bar.Done()
	if root && s.o.Out != nil {
		return s.o.Out.finish()
	}
	return nil
}

// take analyses, keeps and writes the chunk c. Into an ensemble directory
// the chain's state is saved after the shard and before the manifest that
// counts it (shards.go); a shard whose state could not be saved is
// removed, and one whose manifest could not be written is counted by the
// next run.
func (s *streamer) take(c *Chunk) error {
	if s.keep != nil {
		s.keep.appendChunk(c)
	}
	if s.h.Kind == U1Links {
		gauge.WrapAll(c.Phi) // analysed as stored, so that measure reports the same
	}
	if err := s.d.add(c); err != nil {
		if s.o.Out != nil {
			s.o.Out.abort()
		}
		return fmt.Errorf("analysing the ensemble: %w", err)
	}
	out := s.o.Out
	if out == nil {
		return nil
	}
	if err := out.write(c); err != nil {
		out.abort()
		return fmt.Errorf("writing the ensemble: %w", err)
	}
	if _, shards := out.(*Shards); shards && s.save != nil {
		if err := s.save(); err != nil {
			out.abort()
			return fmt.Errorf("saving the chain state: %w", err)
		}
	}
	if err := out.commit(); err != nil {
		return fmt.Errorf("writing the ensemble: %w", err)
	}
	return nil
}

// ErrRankZero is what the other ranks return when rank 0 stopped a run
// (its own error says why).
var ErrRankZero = errors.New("stopped by rank 0")

// agree gives every rank of c rank 0's outcome, err (rank 0's) or nil, so
// that no rank waits in a collective for a rank that gave up; the other
// ranks get ErrRankZero for rank 0's error.
func agree(c dist.Comm, err error) error {
	if c == nil || c.Size() == 1 {
		return err
	}
	flag := []float64{0}
	if c.Rank() == 0 && err != nil {
		flag[0] = 1
	}
	c.Bcast(flag, 0)
	switch {
	case flag[0] == 0:
		return nil
	case c.Rank() == 0:
		return err
	}
	return ErrRankZero
}

// DrawRaw draws the n raw flow samples first … first+n−1 of seed (the
// posterior stream, docs/conventions.md §8.1) chunk by chunk, and returns
// their analysis (at rank 0; nil elsewhere).
func DrawRaw(m *model.Model, shape []int, n int, seed, first uint64, o StreamOptions) (*Drawn, error) {
	d, _, err := drawRaw(m, shape, n, seed, first, o, false)
	return d, err
}

func drawRaw(m *model.Model, shape []int, n int, seed, first uint64, o StreamOptions, keep bool) (*Drawn, *Chunk, error) {
	if n < 1 {
		return nil, nil, fmt.Errorf("sample: %d samples: must be positive", n)
	}
	s := &streamer{
		o: o, src: &posterior{comm: o.Comm, m: m, seed: seed, first: first},
		h: header{Arrays: NewArrays(m.Action, shape, SamplerRaw),
			Seed: seed, First: first, ModelSHA256: o.ModelSHA256},
		piece: chainChunk * commSize(o.Comm), bar: progress.New(o.Progress, "flow samples", n),
	}
	if keep {
		s.keep = &Chunk{}
	}
	if err := s.run(n); err != nil || !dist.IsRoot(o.Comm) {
		return nil, nil, err
	}
	return s.d, s.keep, nil
}

// commSize is the number of ranks of c (1 for nil).
func commSize(c dist.Comm) int {
	if c == nil {
		return 1
	}
	return c.Size()
}

// StreamChain runs a new Metropolis chain, or continues the one saved in
// the run directory dir (co.From), for co.N steps on the run's model m,
// chunk by chunk, and saves the chain's state to dir/chain.safetensors
// (atomically) so that a later call can continue it: after each shard when
// o.Out is an ensemble directory, at the end otherwise. Under MPI (o.Comm)
// an independence chain's proposals are drawn by every rank and gathered
// at rank 0, which runs the chain; a blocked chain is sequential and is
// refused. It returns the chain's analysis (at rank 0; nil elsewhere).
func StreamChain(dir string, m *model.Model, shape []int, co ChainOptions, o StreamOptions) (*Drawn, error) {
	d, _, err := streamChain(dir, m, shape, co, o, false)
	return d, err
}

// streamChain is StreamChain; dir "" runs a chain whose state is not
// saved, and keep collects its configurations.
func streamChain(dir string, m *model.Model, shape []int, co ChainOptions, o StreamOptions, keep bool) (*Drawn, *Chunk, error) {
	if co.N < 1 {
		return nil, nil, fmt.Errorf("sample: %d steps: must be positive", co.N)
	}
	ranks := commSize(o.Comm)
	if co.Block != nil && ranks > 1 {
		return nil, nil, fmt.Errorf("sample: the blocked chain is sequential and runs on one process: run it without mpirun (%d ranks)", ranks)
	}
	root := dist.IsRoot(o.Comm)
	info := ChainInfo{Kind: SamplerIndependence}
	if dir != "" && root {
		digest, err := run.ModelDigest(dir)
		if err != nil {
			return nil, nil, err
		}
		info.ModelSHA256 = digest
	}
	seed, first := co.Seed, uint64(0)
	if co.From != nil {
		seed, first = co.From.Seed, co.From.Steps
	}
	s := &streamer{o: o, h: header{Seed: seed, First: first, ModelSHA256: info.ModelSHA256}}
	var c metropolis
	if co.Block != nil {
		bc, err := mcmc.NewBlockedChain(m, shape, co.Block, seed)
		if err != nil {
			return nil, nil, err
		}
		info.Kind, info.Block = SamplerBlocked, slices.Clone(co.Block)
		c, s.src, s.piece = bc, blocked{bc}, chainChunk/16 // one flow evaluation of one configuration per step
	} else {
		ch := mcmc.NewChain(m, seed)
		c, s.src, s.piece = ch, &posterior{comm: o.Comm, m: m, seed: seed, first: first, chain: ch}, chainChunk*ranks
	}
	if co.From != nil {
		if err := c.Restore(*co.From); err != nil {
			return nil, nil, err
		}
	}
	s.h.Arrays = NewArrays(m.Action, shape, info.Kind)
	s.h.Block = info.Block
	s.bar = progress.New(o.Progress, info.Kind+" chain", co.N)
	if keep {
		s.keep = &Chunk{}
	}
	if dir != "" && root {
		s.save = func() error { return SaveChain(dir, info, c.State()) }
		if _, shards := o.Out.(*Shards); shards && co.From == nil {
			// A new chain into an ensemble directory: its state at step 0
			// comes first, so that a run killed at any later moment can be
			// continued.
			if err := s.save(); err != nil {
				return nil, nil, fmt.Errorf("saving the chain state: %w", err)
			}
		}
	}
	if err := s.run(co.N); err != nil || !root {
		return nil, nil, err
	}
	s.d.Chain, s.d.ChainSteps = info.Kind, c.State().Steps
	if _, shards := o.Out.(*Shards); dir != "" && !shards {
		if err := s.save(); err != nil {
			return nil, nil, fmt.Errorf("saving the chain state: %w", err)
		}
	}
	return s.d, s.keep, nil
}

// StreamHMC thermalises h with therm trajectories and then samples n, chunk
// by chunk (an action of kind and lattice shape), recording settings with
// the ensemble; it returns their analysis. SU(N) links (sun_links, h's
// action a sungauge.Wilson, moved along the group by mcmc.HMC's Manifold)
// are stored as U; independent SU(N) matrices are refused, as mcmc.NewHMC
// refuses their actions (package matrixmodel has no group-valued
// integrator, and their exact values come from quadrature anyway).
func StreamHMC(h *mcmc.HMC, kind FieldKind, shape []int, therm, n int, settings HMCSettings, o StreamOptions) (*Drawn, error) {
	if n < 1 {
		return nil, fmt.Errorf("hmc: %d trajectories: must be positive", n)
	}
	if kind == SUNMatrices {
		return nil, fmt.Errorf("hmc: a %s field needs a group-valued integrator: HMC samples real fields (scalar, U(1) angles) and SU(N) links", kind)
	}
	a, piece := Arrays{Kind: kind, Lattice: shape, Sampler: SamplerHMC}, 1000
	if kind == SUNLinks {
		a.ColorN = ColorOf(h.Action)
		piece = linkPiece(h.Size())
	}
	s := &streamer{
		o: o, src: hmcSource{h}, piece: piece, bar: progress.New(o.Progress, "hmc", therm+n),
		h: header{Arrays: a, Seed: h.Seed, HMC: &settings},
	}
	for done := 0; done < therm; done += s.piece {
		k := min(s.piece, therm-done)
		h.Thermalise(k)
		s.bar.Add(k)
	}
	if err := s.run(n); err != nil {
		return nil, err
	}
	return s.d, nil
}

// linkPiece is the number of HMC trajectories of SU(N) links of v values
// run between progress reports (1000 for the real fields): about 2²⁰
// values per report, e.g. 56 trajectories of SU(3) 4⁴, at most 1000.
func linkPiece(v int) int { return max(1, min(1000, (1<<20)/max(v, 1))) }
