package main

import (
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/normflow/normflow-go/action"
	"github.com/normflow/normflow-go/config"
	"github.com/normflow/normflow-go/ensemble"
	"github.com/normflow/normflow-go/mcmc"
	"github.com/spf13/cobra"
)

// `normflow bench` on a run description without a flow: the cost of HMC
// trajectories of its action (for SU(N) links, docs/sun.md §10.2), the
// reference sampler a flow competes with.

// hmcBenchFlags are the flags that only the HMC timing uses.
var hmcBenchFlags = []string{"trajectories", "warmup", "steps", "step", "integrator"}

// runBenchHMC times HMC trajectories of the action of theory for each
// thread count and prints one line each.
func runBenchHMC(cmd *cobra.Command, fl *benchFlags, theory *config.Run) error {
	for _, name := range []string{"epochs", "batch", "gradient"} {
		if cmd.Flags().Changed(name) {
			return badInput("--%s: %s has no [flow] table, so bench times HMC trajectories (--trajectories, --steps, --step); training flags do not apply", name, fl.cfgPath)
		}
	}
	switch {
	case fl.repeat <= 0:
		return badInput("--repeat = %d: must be a positive integer", fl.repeat)
	case fl.trajectories <= 0:
		return badInput("--trajectories = %d: must be a positive integer", fl.trajectories)
	case fl.warmup < 0:
		return badInput("--warmup = %d: must be >= 0", fl.warmup)
	case fl.steps <= 0:
		return badInput("--steps = %d: must be a positive integer", fl.steps)
	case !(fl.step > 0):
		return badInput("--step = %g: must be a positive number", fl.step)
	case fl.integrator != "leapfrog" && fl.integrator != "omelyan":
		return badInput("--integrator %q: allowed: leapfrog, omelyan", fl.integrator)
	}
	threads, err := fl.threads()
	if err != nil {
		return err
	}
	act, err := theory.BuildAction()
	if err != nil {
		return usageError{err}
	}
	integ := mcmc.Leapfrog
	if fl.integrator == "omelyan" {
		integ = mcmc.Omelyan2MN
	}
	// One HMC now, to refuse an action HMC does not sample before timing.
	if _, err := mcmc.NewHMC(act, fl.step, fl.steps, uint64(theory.Seed)); err != nil {
		return usageError{err}
	}
	if fl.profile != "" {
		stop, err := startProfile(fl.profile)
		if err != nil {
			return err
		}
		defer stop()
	}
	w := cmd.OutOrStdout()
	what := ensemble.KindOf(act).String()
	if n := ensemble.ColorOf(act); n > 0 {
		what = fmt.Sprintf("%s SU(%d)", what, n)
	}
	fmt.Fprintf(w, "bench: HMC (no flow in %s): action %s, %s on lattice %v, %d %s steps of %g, %d trajectories × %d repeats after %d untimed, GOMAXPROCS %d\n",
		fl.cfgPath, theory.Action.Kind, what, theory.Lattice.Shape, fl.steps, fl.integrator, fl.step, fl.trajectories, fl.repeat, fl.warmup, runtime.GOMAXPROCS(0))
	var base float64
	for _, thr := range threads {
		ms := timeHMC(act, uint64(theory.Seed), integ, fl, thr)
		slices.Sort(ms)
		med := median(ms)
		if base == 0 {
			base = med
		}
		fmt.Fprintf(w, "threads %d: %.4f ms/trajectory, %.4f ms/step (median; min %.4f, max %.4f ms/trajectory), %.2fx the first row\n",
			thr, med, med/float64(fl.steps), ms[0], ms[len(ms)-1], base/med)
	}
	return nil
}

// timeHMC runs fl.repeat fresh chains of act on thr threads (GOMAXPROCS:
// the action's and force's goroutines), each fl.warmup untimed
// trajectories from the cold start and then fl.trajectories timed ones,
// and returns the milliseconds per timed trajectory of each.
func timeHMC(act action.Action, seed uint64, integ mcmc.Integrator, fl *benchFlags, thr int) []float64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(thr))
	var ms []float64
	for range fl.repeat {
		h, _ := mcmc.NewHMC(act, fl.step, fl.steps, seed) // checked by runBenchHMC
		h.Integrator = integ
		h.Thermalise(fl.warmup)
		start := time.Now()
		h.Thermalise(fl.trajectories)
		ms = append(ms, 1000*time.Since(start).Seconds()/float64(fl.trajectories))
	}
	return ms
}
