package main

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/normflow/normflow-go/config"
	"github.com/normflow/normflow-go/examples"
	"github.com/normflow/normflow-go/rundir"
	"github.com/spf13/cobra"
)

func trainCmd() *cobra.Command {
	var (
		cfgPath, out, gradient     string
		epochs, batch, stride, thr int
		lr                         float64
		seed                       int64
	)
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train a flow and write a run directory",
		Long: `Train a flow by self-training on the reverse KL divergence and write the run
directory DIR with summary.json, history.csv (epoch, loss, ess, logp mean,
logp std) and model.safetensors (weights; the run description is in the
metadata under "normflow.run").

With no --config the embedded seed example runs: one site, κ = 0, m² = −2,
λ = 0.2, normal prior, DistConvertor(10 knots, symmetric), 1000 epochs,
batch 1024, print stride 100 (examples/seed_1site.toml). Flags override the
file's values.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			run, err := loadRun(cfgPath)
			if err != nil {
				return usageError{err}
			}
			f := cmd.Flags()
			if f.Changed("epochs") {
				if epochs <= 0 {
					return badInput("--epochs = %d: must be a positive integer", epochs)
				}
				run.Train.Epochs = epochs
			}
			if f.Changed("batch") {
				if batch <= 0 {
					return badInput("--batch = %d: must be a positive integer", batch)
				}
				run.Train.Batch = batch
			}
			if f.Changed("lr") {
				if !(lr > 0) || math.IsInf(lr, 0) {
					return badInput("--lr = %g: must be a positive finite number", lr)
				}
				run.Train.LR = lr
			}
			if f.Changed("print-stride") {
				if stride <= 0 {
					return badInput("--print-stride = %d: must be a positive integer", stride)
				}
				run.Train.PrintStride = stride
			}
			if f.Changed("gradient") {
				if gradient != "path" && gradient != "plain" {
					return badInput("--gradient = %q: allowed: path, plain", gradient)
				}
				run.Train.Gradient = gradient
			}
			if f.Changed("seed") {
				if seed < 0 {
					return badInput("--seed = %d: must be an integer >= 0", seed)
				}
				run.Seed = seed
			}
			if thr < 0 {
				return badInput("--threads = %d: must be >= 0 (0: all cores)", thr)
			}
			if err := run.Validate(); err != nil {
				return usageError{err}
			}
			if out == "" {
				out = defaultRunDir(time.Now())
			} else if st, err := os.Stat(out); err == nil && !st.IsDir() {
				return badInput("--out %s is a file, not a directory: choose a directory to write the run to", out)
			}
			if _, err := os.Stat(filepath.Join(out, rundir.ModelFile)); err == nil {
				return badInput("--out %s already holds a trained model: choose another directory", out)
			}
			sum, err := rundir.Train(run, out, rundir.Options{Threads: thr, Progress: cmd.OutOrStdout()})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "run directory: %s (final ess %.4f, %.3f ms/epoch)\n", out, sum.ESS, sum.MsPerEpoch)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfgPath, "config", "", "run description (TOML); default: the embedded seed example")
	f.IntVar(&epochs, "epochs", 0, "number of training epochs (optimiser steps) (default from config: 1000)")
	f.IntVar(&batch, "batch", 0, "samples per epoch (default from config: 1024)")
	f.Float64Var(&lr, "lr", 0, "AdamW learning rate (default from config: 1e-3)")
	f.Int64Var(&seed, "seed", 0, "random seed (default from config: 1)")
	f.IntVar(&stride, "print-stride", 0, "print a progress line every N epochs (default from config: 100)")
	f.StringVar(&gradient, "gradient", "", "gradient estimator: path or plain (default from config: path)")
	f.StringVar(&out, "out", "", "run directory to write (default runs/<timestamp>)")
	f.IntVar(&thr, "threads", 0, "worker goroutines; results do not depend on it (default 0: all cores)")
	return cmd
}

// loadRun reads a run description file, or the embedded default.
func loadRun(path string) (*config.Run, error) {
	if path == "" {
		data, err := examples.FS.ReadFile(examples.Default)
		if err != nil {
			return nil, err
		}
		return config.Parse(data)
	}
	return config.Load(path)
}

// defaultRunDir names a fresh run directory runs/<timestamp>, adding a suffix
// -2, -3, … when runs started within the same second would collide.
func defaultRunDir(now time.Time) string {
	base := filepath.Join("runs", now.Format("20060102-150405"))
	dir := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
			return dir
		}
		dir = fmt.Sprintf("%s-%d", base, i)
	}
}
