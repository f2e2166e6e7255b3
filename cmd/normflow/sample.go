package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"

	"github.com/normflow/normflow-go/dist"
	"github.com/normflow/normflow-go/ensemble"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/observable"
	"github.com/normflow/normflow-go/run"
	"github.com/normflow/normflow-go/stats"
	"github.com/spf13/cobra"
)

// sampleFlags are the flags of `normflow sample`.
type sampleFlags struct {
	dir, out                     string
	n, chunk, threads            int
	useMCMC, asJSON, cont, quiet bool
	seed                         uint64
	block                        []int
	// rawCont: --continue extends the raw flow samples of --out DIR (no
	// chain is involved).
	rawCont bool
}

func sampleCmd() *cobra.Command {
	var fl sampleFlags
	cmd := &cobra.Command{
		Use:   "sample",
		Short: "Draw configurations from a trained flow and measure observables",
		Long: `Draw N configurations from the flow of a run directory: raw flow samples,
or with --mcmc an independence-Metropolis chain that makes them exact.
Prints the ESS and log Z of the flow samples, the acceptance rate (--mcmc),
and ⟨φ²⟩, ⟨φ⁴⟩, ⟨|M|⟩ and χ₂ = V⟨M²⟩ (M = site average of φ) with
binned-jackknife errors. Raw flow samples are reweighted with w = p/q.
--out FILE.npz writes the ensemble as one NumPy archive with arrays phi
[N, lattice…], logq, logp (and accepted for a chain); --out DIR (a name
without a suffix) writes an ensemble directory: shards DIR/part-000000.npz,
part-000001.npz, … of --chunk configurations each, with the same arrays,
and the manifest DIR/ensemble.json, which counts the complete shards.
Either way the configurations are drawn, analysed and written a chunk at a
time: memory does not grow with N beyond a few numbers per configuration.
An N whose ensemble would not fit the free space of its directory (or
whose analysis would not fit the memory available) is refused before
anything is done.

A chain's state is saved in the run directory (chain.safetensors, with the
SHA-256 of the model it ran with); --continue carries the saved chain on,
with its own seed, kind and blocks, bit for bit as if it had never
stopped: for N more steps, or with --out DIR for as many as DIR needs to
hold N configurations. Without --continue, --mcmc starts a new chain from
--seed (and replaces the saved state).

An ensemble directory is written so that a run killed at any moment can be
continued: the chain state is saved with every shard, and
'sample --continue --out DIR' appends to DIR from its last complete shard
until it holds --n configurations (by default the number the run that
started it asked for). Raw flow samples in DIR are continued the same way
(--continue without --mcmc).

--block B1,B2,… runs the blocked chain instead (implies --mcmc): the chain
lives in the prior's variables z and each step redraws the variables of one
hypercube of B1×B2×… sites from the prior, visiting the blocks in turn, then
accepts with min(1, w'/w), w = p/q. One value applies to every axis; each
extent must divide the lattice extent. It needs a prior with independent
variables (normal, uniform).

Long chains report progress on stderr (a bar on a terminal, plain lines
otherwise) unless --quiet. --threads sets the goroutines that draw the
samples; the ensemble and the report are the same, bit for bit, for any
number.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSample(cmd, &fl) },
	}
	f := cmd.Flags()
	f.StringVar(&fl.dir, "run", "", "run directory written by `normflow train` (required)")
	f.IntVar(&fl.n, "n", 10000, "number of configurations; with --continue --out DIR, the number DIR holds when done")
	f.IntVar(&fl.chunk, "chunk", 0, chunkUsage)
	f.BoolVar(&fl.useMCMC, "mcmc", false, "run an independence-Metropolis chain (exact) instead of raw flow samples")
	f.IntSliceVar(&fl.block, "block", nil, "blocked chain: block extents per axis (one value: every axis); implies --mcmc")
	f.BoolVar(&fl.cont, "continue", false, "continue the chain saved in the run directory (implies --mcmc), or the raw flow samples of --out DIR")
	f.Uint64Var(&fl.seed, "seed", 0, "random seed of the samples (a new chain)")
	f.StringVar(&fl.out, "out", "", "write the ensemble to FILE.npz, or to the ensemble directory DIR (shards and a manifest)")
	f.BoolVar(&fl.asJSON, "json", false, "print one JSON object instead of text")
	f.BoolVar(&fl.quiet, "quiet", false, "no progress reports on stderr")
	f.IntVar(&fl.threads, "threads", 0, "goroutines drawing the samples (0: all cores); the ensemble does not depend on it")
	return cmd
}

// runSample is `normflow sample`: check the flags, load the run, choose
// the chain and the output, draw the ensemble (writing it) and report it.
// Under mpirun rank 0 decides what depends on --out and tells the others.
func runSample(cmd *cobra.Command, fl *sampleFlags) error {
	if err := fl.validate(); err != nil {
		return err
	}
	if fl.threads > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(fl.threads))
	}
	changed := cmd.Flags().Changed
	world := dist.World()
	v, err := agree(world, 1, func() ([]float64, error) {
		raw, err := fl.continuesRaw(changed)
		if raw {
			return []float64{1}, err
		}
		return []float64{0}, err
	})
	if err != nil {
		return err
	}
	fl.rawCont = v[0] == 1
	if (changed("block") || fl.cont) && !fl.rawCont {
		fl.useMCMC = true
	}
	cfg, m, err := run.Load(fl.dir)
	if err != nil {
		if errors.Is(err, run.ErrNoRun) {
			return usageError{err}
		}
		return err
	}
	shape := cfg.Lattice.Shape
	copts, err := fl.chainOptions(changed, shape)
	if err != nil {
		return err
	}
	digest, err := run.ModelDigest(fl.dir)
	if err != nil {
		return err
	}
	a := ensemble.NewArrays(m.Action, shape, fl.sampler(copts))
	var p outputPlan
	v, err = agree(world, 4, func() ([]float64, error) {
		var err error
		p, err = fl.plan(changed, a, copts, digest)
		return []float64{bits(uint64(p.n)), bits(p.first), bits(p.seed), bits(uint64(p.chunk))}, err
	})
	if err != nil {
		return err
	}
	p.n, p.first, p.seed, p.chunk = int(unbits(v[0])), unbits(v[1]), unbits(v[2]), int(unbits(v[3]))
	copts.N = p.n
	so := ensemble.StreamOptions{Comm: world, Chunk: p.chunk, Out: p.out, ModelSHA256: digest, Progress: progressWriter(cmd, fl.quiet)}
	d, err := fl.draw(m, shape, copts, p, so)
	if err != nil || d == nil {
		return err // d nil: not rank 0
	}
	return fl.report(cmd.OutOrStdout(), d, p.out)
}

// sampler is the sampler of the ensemble drawn.
func (fl *sampleFlags) sampler(copts ensemble.ChainOptions) string {
	switch {
	case !fl.useMCMC:
		return ensemble.SamplerRaw
	case copts.Block != nil:
		return ensemble.SamplerBlocked
	}
	return ensemble.SamplerIndependence
}

// continuesRaw says whether --continue extends raw flow samples in --out
// DIR; a directory of HMC trajectories, or raw samples with --mcmc or
// --block, is refused.
func (fl *sampleFlags) continuesRaw(changed func(string) bool) (bool, error) {
	sh, err := fl.continuedDir()
	if sh == nil {
		return false, err
	}
	switch sh.Manifest().Sampler {
	case ensemble.SamplerHMC:
		return false, badInput("--continue --out %s: it holds HMC trajectories, which sample does not continue", fl.out)
	case ensemble.SamplerRaw:
		if changed("mcmc") || changed("block") {
			return false, badInput("--continue --out %s: it holds raw flow samples; continue them without --mcmc and --block", fl.out)
		}
		return true, nil
	}
	return false, nil
}

// plan decides, at rank 0, where the ensemble goes and how much of it to
// draw: with --continue --out DIR (a directory that exists) what DIR
// lacks of --n configurations, after checking that the sampler continues
// it (and, for a chain, aligning it with the saved chain state); otherwise
// --n configurations into a new output. Then it checks the room needed.
func (fl *sampleFlags) plan(changed func(string) bool, a ensemble.Arrays, copts ensemble.ChainOptions, digest string) (outputPlan, error) {
	p := outputPlan{n: fl.n, seed: copts.Seed, chunk: fl.chunk}
	sh, err := fl.continuedDir()
	switch {
	case err != nil:
		return p, err
	case sh != nil:
		err = fl.planContinued(&p, sh, changed, a, copts, digest)
	default:
		p.out, err = newOutput(fl.out, "--continue extends it, or give a new directory")
	}
	if err != nil {
		return p, err
	}
	if p.chunk == 0 {
		p.chunk = ensemble.DefaultChunk(a)
	}
	return p, checkRoom(a, p, false)
}

// continuedDir is the ensemble directory --continue extends, when --out
// names one that holds a manifest (nil otherwise).
func (fl *sampleFlags) continuedDir() (*ensemble.Shards, error) {
	if !fl.cont || fl.out == "" || ensemble.IsNPZ(fl.out) {
		return nil, nil
	}
	sh, err := ensemble.OpenShards(fl.out)
	switch {
	case isNotExist(err):
		return nil, nil
	case err != nil:
		return nil, usageError{err}
	}
	return sh, nil
}

// planContinued plans the continuation of the ensemble directory sh.
func (fl *sampleFlags) planContinued(p *outputPlan, sh *ensemble.Shards, changed func(string) bool, a ensemble.Arrays, copts ensemble.ChainOptions, digest string) error {
	man := sh.Manifest()
	if fl.rawCont {
		if changed("seed") && fl.seed != man.Seed {
			return badInput("--seed %d with --continue: %s; leave --seed out to continue them", fl.seed, sh.Describe())
		}
		p.seed, p.first = man.Seed, sh.Next()
	}
	if err := sh.Check(a, p.seed, copts.Block, digest); err != nil {
		return usageError{err}
	}
	if copts.From != nil {
		if err := sh.Resume(copts.From, filepath.Join(fl.dir, ensemble.ChainFile)); err != nil {
			return usageError{err}
		}
	}
	total, done := fl.n, sh.Manifest().N
	if !changed("n") {
		total = man.Requested
	}
	if total <= done {
		return badInput("--n %d with --continue: %s; --n is the number it shall hold: give --n > %d to extend it", total, sh.Describe(), done)
	}
	p.n, p.out = total-done, sh
	if p.chunk == 0 {
		p.chunk = man.Chunk
	}
	return nil
}

// validate checks the flags that need no run directory.
func (fl *sampleFlags) validate() error {
	if fl.dir == "" {
		return badInput("--run is required: the run directory written by `normflow train`")
	}
	if fl.n < 2 {
		return badInput("--n = %d: must be an integer >= 2", fl.n)
	}
	if fl.chunk < 0 {
		return badInput("--chunk = %d: must be >= 0 (0: about 64 MiB of configurations)", fl.chunk)
	}
	if fl.threads < 0 {
		return badInput("--threads = %d: must be >= 0 (0: all cores)", fl.threads)
	}
	if fl.out != "" {
		if err := checkOut(fl.out); err != nil {
			return err
		}
	}
	if st, err := os.Stat(fl.dir); err == nil && !st.IsDir() {
		return badInput("--run %s is a file, not a run directory (train one with `normflow train --out DIR`)", fl.dir)
	}
	return nil
}

// chainOptions chooses the chain: a new one (blocked with --block, extents
// checked against the lattice shape), or with --continue the saved one,
// which the flags given must match.
func (fl *sampleFlags) chainOptions(changed func(string) bool, shape []int) (ensemble.ChainOptions, error) {
	copts := ensemble.ChainOptions{N: fl.n, Seed: fl.seed}
	if changed("block") {
		block, err := blockExtents(fl.block, shape)
		if err != nil {
			return copts, err
		}
		fl.block, copts.Block = block, block
	}
	if !fl.cont || fl.rawCont {
		return copts, nil
	}
	info, st, err := ensemble.LoadChain(fl.dir)
	if err != nil {
		return copts, usageError{err}
	}
	if changed("seed") && fl.seed != info.Seed {
		return copts, badInput("--seed %d with --continue: the saved chain has seed %d (leave --seed out to continue it)", fl.seed, info.Seed)
	}
	if changed("block") && !slices.Equal(fl.block, info.Block) {
		return copts, badInput("--block %v with --continue: the saved %s chain has blocks %v (leave --block out to continue it)", fl.block, info.Kind, info.Block)
	}
	copts.Seed, copts.Block, copts.From = info.Seed, info.Block, &st
	return copts, nil
}

// blockExtents checks --block against the lattice shape: one extent (for
// every axis) or one per axis, each a positive divisor of the lattice
// extent; it returns one extent per axis.
func blockExtents(block, shape []int) ([]int, error) {
	if len(block) == 1 {
		for len(block) < len(shape) {
			block = append(block, block[0])
		}
	}
	if len(block) != len(shape) {
		return nil, badInput("--block %v: give one extent or one per lattice axis (%d axes, lattice %v)", block, len(shape), shape)
	}
	for a, b := range block {
		if b < 1 || shape[a]%b != 0 {
			return nil, badInput("--block %v: extent %d along axis %d must be a positive divisor of the lattice extent %d", block, b, a, shape[a])
		}
	}
	return block, nil
}

// draw samples the ensemble chunk by chunk, written to so.Out: the chain of
// copts (--mcmc) or raw flow samples. Under mpirun every rank draws its
// share of the proposals and rank 0 gathers them, runs the chain, writes
// and gets the analysis; the other ranks get nil (package ensemble,
// stream.go).
func (fl *sampleFlags) draw(m *model.Model, shape []int, copts ensemble.ChainOptions, p outputPlan, so ensemble.StreamOptions) (*ensemble.Drawn, error) {
	if copts.Block != nil && so.Comm.Size() > 1 {
		return nil, badInput("--block with %d MPI ranks: the blocked chain is sequential; run it without mpirun", so.Comm.Size())
	}
	if fl.useMCMC {
		return ensemble.StreamChain(fl.dir, m, shape, copts, so)
	}
	return ensemble.DrawRaw(m, shape, p.n, p.seed, p.first, so)
}

// report prints the analysis of the ensemble drawn (and written to out),
// as text or JSON.
func (fl *sampleFlags) report(w io.Writer, d *ensemble.Drawn, out ensemble.Output) error {
	rep := d.Analyse()
	if fl.asJSON {
		enc := json.NewEncoder(w)
		return enc.Encode(rep)
	}
	printReport(w, fl.dir, rep, out, d.Kind)
	return nil
}

// printReport prints the analysis r of an ensemble of configurations of
// fieldKind (which picks the labels of the observables: the kinds share names).
func printReport(w io.Writer, dir string, r *ensemble.Report, out ensemble.Output, fieldKind ensemble.FieldKind) {
	kind := "raw flow samples, observables reweighted with w = p/q"
	if r.MCMC {
		kind = fmt.Sprintf("%s-Metropolis chain, steps %d–%d", r.Chain, r.ChainSteps-uint64(r.N)+1, r.ChainSteps)
	}
	fmt.Fprintf(w, "run %s: %d configurations (%s)\n", dir, r.N, kind)
	if r.ESS != nil {
		fmt.Fprintf(w, "ess:         %.4f\n", *r.ESS)
		fmt.Fprintf(w, "log Z:       %s\n", r.LogZ)
	}
	if r.AcceptRate != nil {
		fmt.Fprintf(w, "accept rate: %s\n", stats.FormatValueError(*r.AcceptRate, *r.AcceptErr, 2))
	}
	labels := map[string]string{"phi2": "<phi^2>", "phi4": "<phi^4>", "absM": "<|M|>", "chi2": "chi2 = V<M^2>"}
	for _, name := range observable.ScalarNames {
		if est, ok := r.Observables[name]; ok {
			fmt.Fprintf(w, "%-14s %s\n", labels[name]+":", est)
		}
	}
	switch fieldKind { // the kinds share names (plaquette, Q, absP): print one kind's
	case ensemble.SUNLinks: // SU(N) links (links.go)
		printLinkObservables(w, r.Observables)
	case ensemble.U1Links: // U(1) links, d = 2, 3, 4 (gauge.go)
		printGaugeObservables(w, r.Observables)
	default: // SU(N) matrices (measure.go)
		printSUNObservables(w, r.Observables)
	}
	printWritten(w, out)
}

// printWritten says where the ensemble was written.
func printWritten(w io.Writer, out ensemble.Output) {
	if out == nil {
		return
	}
	if sh, ok := out.(*ensemble.Shards); ok {
		m := sh.Manifest()
		fmt.Fprintf(w, "ensemble written to %s: %d configurations in %d shards (%s)\n", out.Path(), m.N, m.Shards, ensemble.ManifestFile)
		return
	}
	fmt.Fprintf(w, "ensemble written to %s\n", out.Path())
}
