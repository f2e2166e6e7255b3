package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/normflow/normflow-go/config"
	"github.com/normflow/normflow-go/ensemble"
	"github.com/normflow/normflow-go/mcmc"
	"github.com/normflow/normflow-go/stats"
	"github.com/spf13/cobra"
)

func hmcCmd() *cobra.Command {
	var (
		cfgPath, out, integrator      string
		n, steps, therm, chunk, loops int
		threads                       int
		step, target                  float64
		seed                          int64
		quiet                         bool
	)
	cmd := &cobra.Command{
		Use:   "hmc",
		Short: "Sample the action of a run description with HMC (the reference sampler)",
		Long: `Run Hybrid Monte Carlo (leapfrog, exact action gradient, Metropolis test) on
the lattice and action of a run description (a description of the theory
alone, [lattice] and [action], is enough; prior, flow and training tables
are ignored).
--therm trajectories are discarded, then --n configurations (one per
trajectory) are kept. Unless --step is given, the leapfrog step is tuned
during thermalisation to --target-accept (default 0.651, the optimum of
Beskos et al. 2013 for leapfrog) at a fixed trajectory length --steps × 0.1:
the fewest leapfrog steps whose acceptance reaches the target (mcmc.HMC.Tune);
the tuned ε × steps is printed and recorded. With --step the step is fixed. Prints the acceptance rate and the observables with
errors and τ_int; --out FILE.npz writes phi [N, lattice…], accepted and
deltaH as one .npz, --out DIR (a name without a suffix) an ensemble
directory of shards of --chunk configurations with a manifest, both
readable by 'normflow measure'. The configurations are drawn, analysed and
written a chunk at a time, and an N whose ensemble would not fit the free
space of its directory is refused before anything is done. Long runs report
progress on stderr (a bar on a terminal, plain lines otherwise) unless
--quiet.
SU(N) lattice gauge theory ([action] kind = "wilson", docs/sun.md §10):
momenta in su(N), links moved by the exact exponential U ← exp(iεP)U and
reunitarised at the end of each trajectory, the chain starts from unit
links; the ensemble is written as the complex128 array U [N, d, lattice…,
n, n] (field kind sun_links), and the report gives the plaquette, the
Wilson loops W(R,T) up to --loops, |P| and χ_P of the Polyakov loop along
the last axis and, in 4-d, the naive clover charge Q, ⟨Q²⟩ and χ_Q, as
'normflow measure' does. --integrator omelyan uses the second-order
minimum-norm scheme (two forces a step, about 10× smaller energy errors).
Independent SU(N) matrices (kind "matrix") have no HMC: they are refused.
--threads sets the goroutines of the action and its force; the chain does
not depend on it, bit for bit.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfgPath == "" {
				return badInput("--config is required: a run description with [lattice] and [action]")
			}
			switch {
			case n < 2:
				return badInput("--n = %d: must be an integer >= 2", n)
			case !(step > 0):
				return badInput("--step = %g: must be a positive number", step)
			case !(target > 0 && target < 1):
				return badInput("--target-accept = %g: must lie strictly between 0 and 1", target)
			case cmd.Flags().Changed("step") && cmd.Flags().Changed("target-accept"):
				return badInput("--target-accept with --step: the step is either given or tuned, not both")
			case steps < 1:
				return badInput("--steps = %d: must be a positive integer", steps)
			case therm < 0:
				return badInput("--therm = %d: must be >= 0", therm)
			case seed < 0:
				return badInput("--seed = %d: must be >= 0", seed)
			case chunk < 0:
				return badInput("--chunk = %d: must be >= 0 (0: about 64 MiB of configurations)", chunk)
			case threads < 0:
				return badInput("--threads = %d: must be >= 0 (0: all cores)", threads)
			case integrator != "leapfrog" && integrator != "omelyan":
				return badInput("--integrator %q: allowed: leapfrog, omelyan", integrator)
			case cmd.Flags().Changed("loops") && loops < 1:
				return badInput("--loops = %d: must be a positive integer (the largest Wilson loop R, T)", loops)
			}
			if out != "" {
				if err := checkOut(out); err != nil {
					return err
				}
			}
			run, err := config.LoadTheory(cfgPath) // only [lattice] and [action] are used
			if err != nil {
				return usageError{err}
			}
			act, err := run.BuildAction()
			if err != nil {
				return usageError{err}
			}
			h, err := mcmc.NewHMC(act, step, steps, uint64(seed))
			if err != nil {
				return usageError{err}
			}
			if integrator == "omelyan" {
				h.Integrator = mcmc.Omelyan2MN
			}
			a := ensemble.NewArrays(act, act.Lattice().Shape(), ensemble.SamplerHMC)
			if cmd.Flags().Changed("loops") {
				if err := checkLoops(a, act.Lattice(), loops); err != nil {
					return err
				}
			}
			if threads > 0 {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
			}
			p := outputPlan{n: n, chunk: chunk}
			if p.chunk == 0 {
				p.chunk = ensemble.DefaultChunk(a)
			}
			if p.out, err = newOutput(out, "hmc does not continue ensembles: give a new directory"); err != nil {
				return err
			}
			if err := checkRoom(a, p, true); err != nil {
				return err
			}
			so := ensemble.StreamOptions{Chunk: p.chunk, Out: p.out, TwoPoint: true, Loops: loops, Progress: progressWriter(cmd, quiet)}
			streamTherm, tuned := therm, ""
			if !cmd.Flags().Changed("step") { // tune during thermalisation
				res, err := h.Tune(therm, target)
				if err != nil {
					return usageError{err}
				}
				streamTherm = 0
				tuned = fmt.Sprintf(", step tuned to acceptance %g in %d updates", target, res.Rounds)
			}
			settings := ensemble.HMCSettings{Step: h.StepSize, Steps: h.Steps, Therm: therm}
			if h.Integrator == mcmc.Omelyan2MN {
				settings.Integrator = h.Integrator.String()
			}
			d, err := ensemble.StreamHMC(h, a.Kind, a.Lattice, streamTherm, n, settings, so)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			rate, rateErr := stats.AcceptanceRate(d.Accepted)
			integ := ""
			if h.Integrator == mcmc.Omelyan2MN {
				integ = " (omelyan)"
			}
			fmt.Fprintf(w, "hmc: %d trajectories (%d thermalisation%s) of %d × %.4g%s, acceptance %s\n",
				n, therm, tuned, h.Steps, h.StepSize, integ, stats.FormatValueError(rate, rateErr, 2))
			switch {
			case d.Gauge != nil: // U(1) links, d = 2, 3, 4 (gauge.go)
				printGaugeMeasure(w, "hmc", d.Gauge.Measure(nil, 0))
			case d.Links != nil: // SU(N) links (links.go)
				printLinkReport(w, "hmc", d.Links.Measure(nil, 0), d.Links.Names())
			default:
				printMeasure(w, "hmc", d.Scalar.Measure(nil, 0))
			}
			printWritten(w, p.out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfgPath, "config", "", "run description (TOML) giving the lattice and the action (required)")
	f.IntVar(&n, "n", 10000, "configurations to keep (one per trajectory)")
	f.IntVar(&therm, "therm", 1000, "thermalisation trajectories discarded first")
	f.Float64Var(&step, "step", 0.1, "leapfrog step size ε (given: fixed; not given: the start of the tuning, trajectory length steps × 0.1)")
	f.IntVar(&steps, "steps", 10, "leapfrog steps per trajectory (length = steps·ε)")
	f.Float64Var(&target, "target-accept", mcmc.DefaultTargetAccept, "acceptance rate the step is tuned to during thermalisation when --step is not given")
	f.Int64Var(&seed, "seed", 0, "random seed")
	f.StringVar(&out, "out", "", "write the ensemble to FILE.npz, or to the new ensemble directory DIR (shards and a manifest)")
	f.IntVar(&chunk, "chunk", 0, chunkUsage)
	f.BoolVar(&quiet, "quiet", false, "no progress reports on stderr")
	f.StringVar(&integrator, "integrator", "leapfrog", "integrator of the trajectories: leapfrog, or omelyan (2nd-order minimum norm, two forces a step)")
	f.IntVar(&threads, "threads", 0, "goroutines of the action and force (0: all cores); the chain does not depend on it")
	f.IntVar(&loops, "loops", 0, loopsUsage)
	return cmd
}

// progressWriter is where a command reports progress: stderr, or nowhere
// with --quiet.
func progressWriter(cmd *cobra.Command, quiet bool) io.Writer {
	if quiet {
		return nil
	}
	return cmd.ErrOrStderr()
}

// checkNPZOut checks an --out path for an ensemble before any work is done:
// a name ending in .npz, in an existing directory, not itself a directory.
func checkNPZOut(out string) error {
	if !strings.HasSuffix(out, ".npz") {
		return badInput("--out %s: the ensemble is written as NumPy .npz; give a name ending in .npz", out)
	}
	dir := filepath.Dir(out)
	if st, err := os.Stat(dir); err != nil {
		return badInput("--out %s: directory %s does not exist", out, dir)
	} else if !st.IsDir() {
		return badInput("--out %s: %s is not a directory", out, dir)
	}
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		return badInput("--out %s is a directory: give a file name ending in .npz", out)
	}
	return nil
}
