package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/normflow/normflow-go/config"
	"github.com/normflow/normflow-go/dist"
	"github.com/normflow/normflow-go/examples"
	"github.com/normflow/normflow-go/run"
	"github.com/spf13/cobra"
)

// trainFlags are the flags of `normflow train`.
type trainFlags struct {
	cfgPath, out, gradient, resume, initFrom string
	epochs, batch, stride, thr               int
	saveEvery, stopAt, maxBad                int
	lr                                       float64
	seed                                     int64
}

func trainCmd() *cobra.Command {
	var fl trainFlags
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train a flow and write a run directory",
		Long: `Train a flow by self-training on the reverse KL divergence and write the run
directory DIR with summary.json, history.csv (epoch, loss, ess, logp mean,
logp std) and model.safetensors (weights; the run description is in the
metadata under "normflow.run"), and checkpoint.safetensors (weights, AdamW
moments, history and state, with a checksum) every --save-every epochs, at
the end, and on SIGINT/SIGTERM. Every file is replaced atomically.

With no --config the embedded seed example runs: one site, κ = 0, m² = −2,
λ = 0.2, normal prior, DistConvertor(10 knots, symmetric), 1000 epochs,
batch 1024, print stride 100 (examples/seed_1site.toml). Flags override the
file's values.

--resume DIR continues the run in DIR from its checkpoint, bit-identically to
a run done in one go, up to its epochs (or a larger --epochs total); flags
that would change the run (--config with other values, --batch, --lr, --seed,
--gradient, --out, --init-from) are refused.

--init-from DIR (or [train] init_from) starts from the trained weights of the
run in DIR instead of the identity: volume transfer, the same layers trained
on another lattice size (convolution kernels, Fourier/PSD spectra as
functions of the normalised momentum and convertors carry over; dense
conditioners do not). A run whose layers differ is refused with the list of
differing parameters. SIGINT or SIGTERM ends training after the
step in progress: the run directory is written (summary.json: "stopped":
true) and the command exits with status 130 (SIGINT) or 143 (SIGTERM).
--stop-at N does the same after epoch N and exits 0. After
train.max_bad_steps consecutive steps with a non-finite loss or gradient
(default 100) the run stops with status 1, keeping the last checkpoint.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTrain(cmd, &fl) },
	}
	f := cmd.Flags()
	f.StringVar(&fl.cfgPath, "config", "", "run description (TOML); default: the embedded seed example")
	f.IntVar(&fl.epochs, "epochs", 0, "number of training epochs (optimiser steps) (default from config: 1000); with --resume the new total")
	f.IntVar(&fl.batch, "batch", 0, "samples per epoch (default from config: 1024)")
	f.Float64Var(&fl.lr, "lr", 0, "AdamW learning rate (default from config: 1e-3)")
	f.Int64Var(&fl.seed, "seed", 0, "random seed (default from config: 1)")
	f.IntVar(&fl.stride, "print-stride", 0, "print a progress line every N epochs (default from config: 100)")
	f.StringVar(&fl.gradient, "gradient", "", "gradient estimator: path or plain (default from config: path)")
	f.StringVar(&fl.out, "out", "", "run directory to write (default runs/<timestamp>)")
	f.IntVar(&fl.thr, "threads", 0, "worker goroutines; results do not depend on it (default 0: all cores)")
	f.StringVar(&fl.resume, "resume", "", "continue the run in DIR from its checkpoint")
	f.IntVar(&fl.saveEvery, "save-every", 100, "write the checkpoint and run directory every N epochs (0: only at the end)")
	f.IntVar(&fl.stopAt, "stop-at", 0, "stop after epoch N with a checkpoint, to continue later with --resume")
	f.IntVar(&fl.maxBad, "max-bad-steps", 0, "stop after N consecutive non-finite steps (default from config: 100)")
	f.StringVar(&fl.initFrom, "init-from", "", "start from the trained weights of the run in DIR (volume transfer: the same layers on another lattice size; default from config: none)")
	return cmd
}

// runTrain is `normflow train`: check the flags, prepare the job (fresh or
// resumed), run it and report.
func runTrain(cmd *cobra.Command, fl *trainFlags) error {
	changed := cmd.Flags().Changed
	if err := fl.validate(changed); err != nil {
		return err
	}
	// Signals end training only once the job is ready (before, nothing
	// is written and they kill the process as usual).
	sig := newStopSignals()
	defer sig.release()
	o := run.Options{Threads: fl.thr, Progress: cmd.OutOrStdout(), SaveEvery: fl.saveEvery, Stop: sig.stop, StopAt: fl.stopAt}
	o.Comm = dist.World() // mpirun: the ranks share the steps
	job, out, err := fl.job(changed, o)
	if err != nil {
		return err
	}
	if stopAt := fl.stopAt; stopAt > 0 && (stopAt <= job.Epoch() || stopAt >= job.Config.Train.Epochs) {
		job.Close()
		fl.dropRunDir(out)
		return badInput("--stop-at = %d: must lie after the epochs done (%d) and before the last epoch (%d)", stopAt, job.Epoch(), job.Config.Train.Epochs)
	}
	sig.arm()
	sum, err := job.Run()
	if err != nil {
		return err
	}
	return reportTrain(cmd.OutOrStdout(), out, sum, sig)
}

// validate checks the flags that need no run description.
func (fl *trainFlags) validate(changed func(string) bool) error {
	switch {
	case changed("epochs") && fl.epochs <= 0:
		return badInput("--epochs = %d: must be a positive integer", fl.epochs)
	case changed("print-stride") && fl.stride <= 0:
		return badInput("--print-stride = %d: must be a positive integer", fl.stride)
	case fl.thr < 0:
		return badInput("--threads = %d: must be >= 0 (0: all cores)", fl.thr)
	case fl.saveEvery < 0:
		return badInput("--save-every = %d: must be >= 0 (0: only at the end)", fl.saveEvery)
	case changed("stop-at") && fl.stopAt <= 0:
		return badInput("--stop-at = %d: must be a positive epoch", fl.stopAt)
	case changed("max-bad-steps") && fl.maxBad <= 0:
		return badInput("--max-bad-steps = %d: must be a positive integer", fl.maxBad)
	}
	return nil
}

// job prepares the training job, resumed (--resume) or fresh, and returns
// it with the run directory it writes.
func (fl *trainFlags) job(changed func(string) bool, o run.Options) (*run.Job, string, error) {
	if fl.resume != "" {
		ro := run.ResumeOptions{Options: o, Epochs: fl.epochs, PrintStride: fl.stride, MaxBadSteps: fl.maxBad}
		j, err := resumeJob(changed, fl.resume, fl.cfgPath, ro)
		return j, fl.resume, err
	}
	cfg, err := loadRun(fl.cfgPath)
	if err != nil {
		return nil, "", usageError{err}
	}
	if err := fl.override(changed, cfg); err != nil {
		return nil, "", err
	}
	if err := cfg.Validate(); err != nil {
		return nil, "", usageError{err}
	}
	out, err := newRunDir(fl.out)
	if err != nil {
		return nil, "", err
	}
	j, err := run.NewJob(cfg, out, o)
	if err != nil {
		fl.dropRunDir(out)
		return nil, "", usageError{err}
	}
	return j, out, nil
}

// dropRunDir removes the default run directory created for a job that was
// refused before it wrote anything (it is empty then; os.Remove keeps a
// directory that is not).
func (fl *trainFlags) dropRunDir(out string) {
	if fl.out == "" && fl.resume == "" && out != "" {
		os.Remove(out)
	}
}

// override applies the flags given to the run description cfg, checking
// their values.
func (fl *trainFlags) override(changed func(string) bool, cfg *config.Run) error {
	if changed("epochs") {
		cfg.Train.Epochs = fl.epochs
	}
	if changed("batch") {
		if fl.batch <= 0 {
			return badInput("--batch = %d: must be a positive integer", fl.batch)
		}
		cfg.Train.Batch = fl.batch
	}
	if changed("lr") {
		if !(fl.lr > 0) || math.IsInf(fl.lr, 0) {
			return badInput("--lr = %g: must be a positive finite number", fl.lr)
		}
		cfg.Train.LR = fl.lr
	}
	if changed("print-stride") {
		cfg.Train.PrintStride = fl.stride
	}
	if changed("gradient") {
		if fl.gradient != "path" && fl.gradient != "plain" {
			return badInput("--gradient = %q: allowed: path, plain", fl.gradient)
		}
		cfg.Train.Gradient = fl.gradient
	}
	if changed("seed") {
		if fl.seed < 0 {
			return badInput("--seed = %d: must be an integer >= 0", fl.seed)
		}
		cfg.Seed = fl.seed
	}
	if changed("max-bad-steps") {
		cfg.Train.MaxBadSteps = fl.maxBad
	}
	if changed("init-from") {
		cfg.Train.InitFrom = fl.initFrom
	}
	return nil
}

// newRunDir checks --out for a fresh run (default runs/<timestamp>): not a
// file, not holding a model or a checkpoint.
func newRunDir(out string) (string, error) {
	if out == "" {
		if !dist.IsRoot(dist.World()) {
			return "", nil // only rank 0 writes the run directory
		}
		return defaultRunDir(time.Now()) // new and empty
	} else if st, err := os.Stat(out); err == nil && !st.IsDir() {
		return "", badInput("--out %s is a file, not a directory: choose a directory to write the run to", out)
	}
	if _, err := os.Stat(filepath.Join(out, run.ModelFile)); err == nil {
		return "", badInput("--out %s already holds a trained model: choose another directory", out)
	}
	if _, err := os.Stat(filepath.Join(out, run.CheckpointFile)); err == nil {
		return "", badInput("--out %s holds the checkpoint of a run: continue it with --resume %s, or choose another directory", out, out)
	}
	return out, nil
}

// reportTrain prints where the run went; a run stopped by a signal ends
// with the error that makes the exit status 128 + its number.
func reportTrain(w io.Writer, out string, sum *run.Summary, sig *stopSignals) error {
	if !sum.Stopped {
		fmt.Fprintf(w, "run directory: %s (final ess %.4f, %.3f ms/epoch)\n", out, sum.ESS, sum.MsPerEpoch)
		return nil
	}
	how := fmt.Sprintf("continue with `normflow train --resume %s`", out)
	fmt.Fprintf(w, "run directory: %s (stopped after epoch %d of %d; %s)\n", out, sum.CompletedEpochs, sum.Epochs, how)
	if s := sig.received(); s != nil {
		return interrupted{fmt.Errorf("%s after epoch %d of %d: checkpoint written to %s; %s",
			signalName(s), sum.CompletedEpochs, sum.Epochs, filepath.Join(out, run.CheckpointFile), how), s}
	}
	return nil
}

// resumeFlags are the flags --resume accepts: they do not change the run.
var resumeFlags = []string{"--epochs", "--print-stride", "--threads", "--save-every", "--stop-at", "--max-bad-steps", "--config (if it describes the same run)"}

// resumeJob prepares `train --resume dir`, refusing flags that would change
// the run and, with --config, a run description other than the stored one.
func resumeJob(changed func(string) bool, dir, cfgPath string, o run.ResumeOptions) (*run.Job, error) {
	for _, name := range []string{"batch", "lr", "seed", "gradient", "out", "init-from"} {
		if changed(name) {
			return nil, badInput("--%s with --resume: the run continues as stored in %s (with --resume only %s)", name, dir, strings.Join(resumeFlags, ", "))
		}
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return nil, badInput("--resume %s is a file, not a run directory", dir)
	}
	var given *config.Run
	if changed("config") {
		r, err := config.Load(cfgPath)
		if err != nil {
			return nil, usageError{err}
		}
		given = r
	}
	job, err := run.Resume(dir, o)
	if err != nil {
		return nil, usageError{fmt.Errorf("--resume %s: %w", dir, err)}
	}
	if given != nil {
		diffs, err := run.DiffRuns(job.Config, given, "train.epochs", "train.print_stride", "train.max_bad_steps")
		if err == nil && len(diffs) > 0 {
			job.Close()
			return nil, badInput("--config %s describes another run than the one in %s (stored vs given): %s", cfgPath, dir, strings.Join(diffs, "; "))
		}
	}
	return job, nil
}

// stopSignals closes stop on the first SIGINT or SIGTERM; a second one
// kills the process (every file is written atomically).
type stopSignals struct {
	stop chan struct{}
	sig  atomic.Value // os.Signal
	ch   chan os.Signal
}

func newStopSignals() *stopSignals {
	return &stopSignals{stop: make(chan struct{}), ch: make(chan os.Signal, 1)}
}

// arm starts catching SIGINT and SIGTERM.
func (s *stopSignals) arm() {
	signal.Notify(s.ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig, ok := <-s.ch
		if !ok {
			return
		}
		s.sig.Store(sig)
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		close(s.stop)
	}()
}

func (s *stopSignals) received() os.Signal {
	v, _ := s.sig.Load().(os.Signal)
	return v
}

func (s *stopSignals) release() {
	signal.Stop(s.ch)
}

func signalName(s os.Signal) string {
	if s == syscall.SIGTERM {
		return "SIGTERM"
	}
	return "SIGINT"
}

// interrupted ends the command after a signal with status 128 + signal
// number (130 for SIGINT, 143 for SIGTERM), the shell's convention.
type interrupted struct {
	err error
	sig os.Signal
}

func (e interrupted) Error() string { return e.err.Error() }

func (e interrupted) ExitCode() int {
	if n, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return 130
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

// defaultRunDir creates a fresh run directory runs/<timestamp>, adding a
// suffix -2, -3, … when runs started within the same second would collide.
// The directory is created exclusively (mkdir fails on an existing one), so
// two jobs started at once never share it.
func defaultRunDir(now time.Time) (string, error) {
	base := filepath.Join("runs", now.Format("20060102-150405"))
	if err := os.MkdirAll("runs", 0o755); err != nil {
		return "", err
	}
	dir := base
	for i := 2; ; i++ {
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
		dir = fmt.Sprintf("%s-%d", base, i)
	}
}
