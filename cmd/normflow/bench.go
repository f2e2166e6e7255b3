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

	"github.com/normflow/normflow-go/train"
	"github.com/spf13/cobra"
)

func benchCmd() *cobra.Command {
	var (
		cfgPath, threadList, profile, gradient string
		epochs, repeat, batch                  int
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Time training steps of a run description (nothing is written)",
		Long: `Time the training of a run description (default: the embedded seed example)
for each thread count in --threads, repeating each timing --repeat times and
reporting the median time per epoch and the speed-up over one thread. Models
are trained in memory from scratch for --epochs epochs; nothing is written.
For a comparison with the PyTorch reference see bench/compare_seed.sh.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			run, err := loadRun(cfgPath)
			if err != nil {
				return usageError{err}
			}
			if epochs <= 0 {
				return badInput("--epochs = %d: must be a positive integer", epochs)
			}
			if repeat <= 0 {
				return badInput("--repeat = %d: must be a positive integer", repeat)
			}
			var threads []int
			for _, f := range strings.Split(threadList, ",") {
				n, err := strconv.Atoi(strings.TrimSpace(f))
				if err != nil || n <= 0 {
					return badInput("--threads %q: want a comma-separated list of positive integers, e.g. 1,2", threadList)
				}
				threads = append(threads, n)
			}
			run.Train.Epochs = epochs
			if cmd.Flags().Changed("batch") {
				if batch <= 0 {
					return badInput("--batch = %d: must be a positive integer", batch)
				}
				run.Train.Batch = batch
			}
			if gradient != "" {
				run.Train.Gradient = gradient
				if err := run.Validate(); err != nil {
					return usageError{err}
				}
			}
			if profile != "" {
				pf, err := os.Create(profile)
				if err != nil {
					return badInput("--cpuprofile %s: %v", profile, err)
				}
				defer pf.Close()
				if err := pprof.StartCPUProfile(pf); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "bench: lattice %v, batch %d, %d epochs × %d repeats, gradient %s, GOMAXPROCS %d\n",
				run.Lattice.Shape, run.Train.Batch, epochs, repeat, run.Train.Gradient, runtime.GOMAXPROCS(0))
			if cfgPath != "" {
				fmt.Fprintf(w, "config: %s\n", cfgPath)
			}
			var base float64
			for _, thr := range threads {
				var ms []float64
				for r := 0; r < repeat; r++ {
					m, err := run.BuildModel()
					if err != nil {
						return usageError{err}
					}
					opts, err := run.TrainOptions()
					if err != nil {
						return usageError{err}
					}
					opts.Threads, opts.Progress = thr, io.Discard
					tr, err := train.NewTrainer(m, opts)
					if err != nil {
						return usageError{err}
					}
					res, err := tr.Fit()
					tr.Close()
					if err != nil {
						return err
					}
					ms = append(ms, 1000*res.TrainSeconds/float64(epochs))
				}
				slices.Sort(ms)
				med := ms[len(ms)/2]
				if len(ms)%2 == 0 {
					med = (ms[len(ms)/2-1] + ms[len(ms)/2]) / 2
				}
				if base == 0 {
					base = med
				}
				fmt.Fprintf(w, "threads %d: %.4f ms/epoch (median; min %.4f, max %.4f), %.2fx the first row\n",
					thr, med, ms[0], ms[len(ms)-1], base/med)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfgPath, "config", "", "run description (TOML); default: the embedded seed example")
	f.IntVar(&epochs, "epochs", 200, "epochs per timing")
	f.IntVar(&repeat, "repeat", 5, "timings per thread count (the median is reported)")
	f.StringVar(&threadList, "threads", "1,2", "comma-separated thread counts to time")
	f.IntVar(&batch, "batch", 0, "samples per epoch (default from config)")
	f.StringVar(&gradient, "gradient", "", "path or plain (default from config)")
	f.StringVar(&profile, "cpuprofile", "", "write a CPU profile (go tool pprof) of all timings to this file")
	return cmd
}
