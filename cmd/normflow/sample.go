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
	"github.com/normflow/normflow-go/observable"
	"github.com/normflow/normflow-go/run"
	"github.com/normflow/normflow-go/stats"
	"github.com/spf13/cobra"
)

func sampleCmd() *cobra.Command {
	var (
		dir, out                     string
		n                            int
		useMCMC, asJSON, cont, quiet bool
		seed                         uint64
		block                        []int
	)
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return badInput("--run is required: the run directory written by `normflow train`")
			}
			if n < 2 {
				return badInput("--n = %d: must be an integer >= 2", n)
			}
			if out != "" {
				if err := checkNPZOut(out); err != nil {
					return err
				}
			}
			if st, err := os.Stat(dir); err == nil && !st.IsDir() {
				return badInput("--run %s is a file, not a run directory (train one with `normflow train --out DIR`)", dir)
			}
			f := cmd.Flags()
			if f.Changed("block") || cont {
				useMCMC = true
			}
			cfg, m, err := run.Load(dir)
			if err != nil {
				if errors.Is(err, run.ErrNoRun) {
					return usageError{err}
				}
				return err
			}
			shape := cfg.Lattice.Shape
			if f.Changed("block") {
				if len(block) == 1 {
					for len(block) < len(shape) {
						block = append(block, block[0])
					}
				}
				if len(block) != len(shape) {
					return badInput("--block %v: give one extent or one per lattice axis (%d axes, lattice %v)", block, len(shape), shape)
				}
				for a, b := range block {
					if b < 1 || shape[a]%b != 0 {
						return badInput("--block %v: extent %d along axis %d must be a positive divisor of the lattice extent %d", block, b, a, shape[a])
					}
				}
			}
			copts := ensemble.ChainOptions{N: n, Seed: seed}
			if f.Changed("block") {
				copts.Block = block
			}
			copts.Progress = progressWriter(cmd, quiet)
			if cont {
				info, st, err := ensemble.LoadChain(dir)
				if err != nil {
					return usageError{err}
				}
				if f.Changed("seed") && seed != info.Seed {
					return badInput("--seed %d with --continue: the saved chain has seed %d (leave --seed out to continue it)", seed, info.Seed)
				}
				if f.Changed("block") && !slices.Equal(block, info.Block) {
					return badInput("--block %v with --continue: the saved %s chain has blocks %v (leave --block out to continue it)", block, info.Kind, info.Block)
				}
				copts.Seed, copts.Block, copts.From = info.Seed, info.Block, &st
			}
			// Under mpirun every rank draws its share of the proposals and
			// rank 0 gathers them, runs the chain and reports (distsample.go).
			world := dist.World()
			if copts.Block != nil && world.Size() > 1 {
				return badInput("--block with %d MPI ranks: the blocked chain is sequential; run it without mpirun", world.Size())
			}
			var ens *ensemble.Ensemble
			if useMCMC {
				if ens, err = ensemble.SampleChainDist(world, dir, m, shape, copts); err != nil {
					return err
				}
			} else {
				ens = ensemble.DrawDist(world, m, shape, n, false, seed)
			}
			if ens == nil {
				return nil // not rank 0
			}
			rep := ens.Analyse()
			if out != "" {
				if err := ens.WriteNPZ(out); err != nil {
					return fmt.Errorf("writing ensemble: %w", err)
				}
			}
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				return enc.Encode(rep)
			}
			printReport(w, dir, rep, out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "run", "", "run directory written by `normflow train` (required)")
	f.IntVar(&n, "n", 10000, "number of configurations")
	f.BoolVar(&useMCMC, "mcmc", false, "run an independence-Metropolis chain (exact) instead of raw flow samples")
	f.IntSliceVar(&block, "block", nil, "blocked chain: block extents per axis (one value: every axis); implies --mcmc")
	f.BoolVar(&cont, "continue", false, "continue the chain saved in the run directory (implies --mcmc)")
	f.Uint64Var(&seed, "seed", 0, "random seed of the samples (a new chain)")
	f.StringVar(&out, "out", "", "write the ensemble to this .npz file")
	f.BoolVar(&asJSON, "json", false, "print one JSON object instead of text")
	f.BoolVar(&quiet, "quiet", false, "no progress reports on stderr")
	return cmd
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
