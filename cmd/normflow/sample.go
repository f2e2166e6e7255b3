package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
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
	n                            int
	useMCMC, asJSON, cont, quiet bool
	seed                         uint64
	block                        []int
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
--out writes the ensemble as .npz with arrays phi [N, lattice…], logq, logp
(and accepted for a chain).

A chain's state is saved in the run directory (chain.safetensors, with the
SHA-256 of the model it ran with); --continue carries the saved chain on for
N more steps with its own seed, kind and blocks, bit for bit as if it had
never stopped. Without --continue, --mcmc starts a new chain from --seed
(and replaces the saved state).

--block B1,B2,… runs the blocked chain instead (implies --mcmc): the chain
lives in the prior's variables z and each step redraws the variables of one
hypercube of B1×B2×… sites from the prior, visiting the blocks in turn, then
accepts with min(1, w'/w), w = p/q. One value applies to every axis; each
extent must divide the lattice extent. It needs a prior with independent
variables (normal, uniform).

Long chains report progress on stderr (a bar on a terminal, plain lines
otherwise) unless --quiet.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSample(cmd, &fl) },
	}
	f := cmd.Flags()
	f.StringVar(&fl.dir, "run", "", "run directory written by `normflow train` (required)")
	f.IntVar(&fl.n, "n", 10000, "number of configurations")
	f.BoolVar(&fl.useMCMC, "mcmc", false, "run an independence-Metropolis chain (exact) instead of raw flow samples")
	f.IntSliceVar(&fl.block, "block", nil, "blocked chain: block extents per axis (one value: every axis); implies --mcmc")
	f.BoolVar(&fl.cont, "continue", false, "continue the chain saved in the run directory (implies --mcmc)")
	f.Uint64Var(&fl.seed, "seed", 0, "random seed of the samples (a new chain)")
	f.StringVar(&fl.out, "out", "", "write the ensemble to this .npz file")
	f.BoolVar(&fl.asJSON, "json", false, "print one JSON object instead of text")
	f.BoolVar(&fl.quiet, "quiet", false, "no progress reports on stderr")
	return cmd
}

// runSample is `normflow sample`: check the flags, load the run, choose
// the chain, draw the ensemble and report (and write) it.
func runSample(cmd *cobra.Command, fl *sampleFlags) error {
	if err := fl.validate(); err != nil {
		return err
	}
	changed := cmd.Flags().Changed
	if changed("block") || fl.cont {
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
	so := ensemble.StreamOptions{Comm: dist.World(), Progress: progressWriter(cmd, fl.quiet)}
	if fl.out != "" && dist.IsRoot(so.Comm) {
		so.Out = ensemble.NewNPZOutput(fl.out)
	}
	d, err := fl.draw(m, shape, copts, so)
	if err != nil || d == nil {
		return err // d nil: not rank 0
	}
	return fl.report(cmd.OutOrStdout(), d)
}

// validate checks the flags that need no run directory.
func (fl *sampleFlags) validate() error {
	if fl.dir == "" {
		return badInput("--run is required: the run directory written by `normflow train`")
	}
	if fl.n < 2 {
		return badInput("--n = %d: must be an integer >= 2", fl.n)
	}
	if fl.out != "" {
		if err := checkNPZOut(fl.out); err != nil {
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
	if !fl.cont {
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
func (fl *sampleFlags) draw(m *model.Model, shape []int, copts ensemble.ChainOptions, so ensemble.StreamOptions) (*ensemble.Drawn, error) {
	if copts.Block != nil && so.Comm.Size() > 1 {
		return nil, badInput("--block with %d MPI ranks: the blocked chain is sequential; run it without mpirun", so.Comm.Size())
	}
	if fl.useMCMC {
		return ensemble.StreamChain(fl.dir, m, shape, copts, so)
	}
	return ensemble.DrawRaw(m, shape, fl.n, fl.seed, 0, so)
}

// report prints the analysis of the ensemble drawn, as text or JSON.
func (fl *sampleFlags) report(w io.Writer, d *ensemble.Drawn) error {
	rep := d.Analyse()
	if fl.asJSON {
		enc := json.NewEncoder(w)
		return enc.Encode(rep)
	}
	printReport(w, fl.dir, rep, fl.out)
	return nil
}

func printReport(w io.Writer, dir string, r *ensemble.Report, out string) {
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
	printGaugeObservables(w, r.Observables) // 2-d U(1) links (gauge.go)
	if out != "" {
		fmt.Fprintf(w, "ensemble written to %s\n", out)
	}
}
