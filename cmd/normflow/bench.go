package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"

	"github.com/normflow/normflow-go/config"
	"github.com/normflow/normflow-go/train"
	"github.com/spf13/cobra"
)

// benchFlags are the flags of `normflow bench`.
type benchFlags struct {
	cfgPath, threadList, profile, gradient string
	epochs, repeat, batch                  int
	// HMC timings (a run description without a flow: bench_hmc.go).
	trajectories, steps, warmup int
	step                        float64
	integrator                  string
}

func benchCmd() *cobra.Command {
	var fl benchFlags
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Time training steps of a run description (nothing is written)",
		Long: `Time the training of a run description (default: the embedded seed example)
for each thread count in --threads, repeating each timing --repeat times and
reporting the median time per epoch and the speed-up over one thread. Models
are trained in memory from scratch for --epochs epochs; nothing is written.
For a comparison with the PyTorch reference see bench/compare_seed.sh.
A run description without a [flow] table (a theory alone, e.g. the
[lattice] and [action] tables of examples/su3_4d.toml) times HMC
trajectories of its action instead, as
'normflow hmc' runs them: --warmup untimed trajectories from the cold
start, then --trajectories timed ones of --steps steps of --step with
--integrator, --repeat times per thread count; it prints the median
milliseconds per trajectory and per integrator step.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runBench(cmd, &fl) },
	}
	f := cmd.Flags()
	f.StringVar(&fl.cfgPath, "config", "", "run description (TOML); default: the embedded seed example")
	f.IntVar(&fl.epochs, "epochs", 200, "epochs per timing (default 200, fewer for a model whose epochs take over 0.1 s: about 20 s per timing)")
	f.IntVar(&fl.repeat, "repeat", 5, "timings per thread count (the median is reported)")
	f.StringVar(&fl.threadList, "threads", "1,2", "comma-separated thread counts to time")
	f.IntVar(&fl.batch, "batch", 0, "samples per epoch (default from config)")
	f.StringVar(&fl.gradient, "gradient", "", "path or plain (default from config)")
	f.StringVar(&fl.profile, "cpuprofile", "", "write a CPU profile (go tool pprof) of all timings to this file")
	f.IntVar(&fl.trajectories, "trajectories", 20, "HMC (a run description without a flow): timed trajectories per timing")
	f.IntVar(&fl.warmup, "warmup", 10, "HMC: untimed trajectories run first, from the cold start")
	f.IntVar(&fl.steps, "steps", 10, "HMC: integrator steps per trajectory")
	f.Float64Var(&fl.step, "step", 0.1, "HMC: integrator step size ε")
	f.StringVar(&fl.integrator, "integrator", "leapfrog", "HMC: leapfrog, or omelyan (two forces a step)")
	return cmd
}

// runBench is `normflow bench`: check the flags, then time the training for
// each thread count and print one line each.
func runBench(cmd *cobra.Command, fl *benchFlags) error {
	if fl.cfgPath != "" {
		theory, err := config.LoadTheory(fl.cfgPath)
		if err != nil {
			return usageError{err}
		}
		if len(theory.Flow.Layers) == 0 { // a theory alone: time HMC (bench_hmc.go)
			return runBenchHMC(cmd, fl, theory)
		}
	}
	for _, name := range hmcBenchFlags {
		if cmd.Flags().Changed(name) {
			return badInput("--%s times HMC, for a run description without a [flow] table; this one has a flow", name)
		}
	}
	cfg, threads, err := fl.setup(cmd.Flags().Changed)
	if err != nil {
		return err
	}
	if fl.profile != "" {
		stop, err := startProfile(fl.profile)
		if err != nil {
			return err
		}
		defer stop()
	}
	note := ""
	if !cmd.Flags().Changed("epochs") {
		// A slow model (a CNF at L = 32 takes seconds per epoch) gets fewer
		// epochs: one timed epoch decides.
		cfg.Train.Epochs = 1
		ms, err := timeTraining(cfg, threads[0], 1)
		if err != nil {
			return err
		}
		cfg.Train.Epochs = fl.epochs
		if ms[0]*float64(fl.epochs) > 20000 {
			cfg.Train.Epochs = max(1, int(20000/ms[0]))
			note = fmt.Sprintf(" (one epoch took %.0f ms)", ms[0])
		}
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "bench: lattice %v, batch %d, %d epochs%s × %d repeats, gradient %s, GOMAXPROCS %d\n",
		cfg.Lattice.Shape, cfg.Train.Batch, cfg.Train.Epochs, note, fl.repeat, cfg.Train.Gradient, runtime.GOMAXPROCS(0))
	if fl.cfgPath != "" {
		fmt.Fprintf(w, "config: %s\n", fl.cfgPath)
	}
	var base float64
	for _, thr := range threads {
		ms, err := timeTraining(cfg, thr, fl.repeat)
		if err != nil {
			return err
		}
		slices.Sort(ms)
		med := median(ms)
		if base == 0 {
			base = med
		}
		fmt.Fprintf(w, "threads %d: %.4f ms/epoch (median; min %.4f, max %.4f), %.2fx the first row\n",
			thr, med, ms[0], ms[len(ms)-1], base/med)
	}
	return nil
}

// setup loads the run description, checks the flags and applies them: the
// run to time and the thread counts.
func (fl *benchFlags) setup(changed func(string) bool) (*config.Run, []int, error) {
	cfg, err := loadRun(fl.cfgPath)
	if err != nil {
		return nil, nil, usageError{err}
	}
	if fl.epochs <= 0 {
		return nil, nil, badInput("--epochs = %d: must be a positive integer", fl.epochs)
	}
	if fl.repeat <= 0 {
		return nil, nil, badInput("--repeat = %d: must be a positive integer", fl.repeat)
	}
	threads, err := fl.threads()
	if err != nil {
		return nil, nil, err
	}
	cfg.Train.Epochs = fl.epochs
	if changed("batch") {
		if fl.batch <= 0 {
			return nil, nil, badInput("--batch = %d: must be a positive integer", fl.batch)
		}
		cfg.Train.Batch = fl.batch
	}
	if fl.gradient != "" {
		cfg.Train.Gradient = fl.gradient
	}
	// The flags changed the description: check it again (size limits of the
	// batch, the gradient's name).
	if err := cfg.Validate(); err != nil {
		return nil, nil, usageError{err}
	}
	return cfg, threads, nil
}

// threads parses --threads.
func (fl *benchFlags) threads() ([]int, error) {
	var threads []int
	for _, f := range strings.Split(fl.threadList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, badInput("--threads %q: want a comma-separated list of positive integers, e.g. 1,2", fl.threadList)
		}
		threads = append(threads, n)
	}
	return threads, nil
}

// startProfile starts writing a CPU profile to path; stop ends it.
func startProfile(path string) (stop func(), err error) {
	pf, err := os.Create(path)
	if err != nil {
		return nil, badInput("--cpuprofile %s: %v", path, err)
	}
	if err := pprof.StartCPUProfile(pf); err != nil {
		pf.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		pf.Close()
	}, nil
}

// timeTraining trains the run's model from scratch repeat times on thr
// threads, in memory, and returns the milliseconds per epoch of each.
func timeTraining(cfg *config.Run, thr, repeat int) ([]float64, error) {
	var ms []float64
	for r := 0; r < repeat; r++ {
		m, err := cfg.BuildModel()
		if err != nil {
			return nil, usageError{err}
		}
		opts, err := cfg.TrainOptions()
		if err != nil {
			return nil, usageError{err}
		}
		opts.Threads, opts.Progress = thr, io.Discard
		tr, err := train.NewTrainer(m, opts)
		if err != nil {
			return nil, usageError{err}
		}
		res, err := tr.Fit()
		tr.Close()
		if err != nil {
			return nil, err
		}
		ms = append(ms, 1000*res.TrainSeconds/float64(cfg.Train.Epochs))
	}
	return ms, nil
}

// median is the median of sorted values.
func median(sorted []float64) float64 {
	k := len(sorted) / 2
	if len(sorted)%2 == 0 {
		return (sorted[k-1] + sorted[k]) / 2
	}
	return sorted[k]
}
