package train

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"sync/atomic"

	"github.com/normflow/normflow-go/dist"
	"github.com/normflow/normflow-go/internal/workpool"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/nn"
	"github.com/normflow/normflow-go/rng"
	"github.com/normflow/normflow-go/stats"
)

// Options are the training settings. Every field means what it says, zero
// included: WeightDecay 0 is no weight decay, AnnealEpochs 0 no annealing,
// MaxBadSteps 0 no limit; Batch and LR must be positive. Only Threads,
// MicroBatch and Device have a zero value that picks a setting (see each).
// Start from DefaultOptions, the seed library's settings, and change what
// differs:
//
//	opts := train.DefaultOptions()
//	opts.Epochs, opts.Batch = 300, 256
type Options struct {
	Epochs      int      // number of optimiser steps (0: none, Fit only reports the model's state)
	Batch       int      // samples per step, > 0
	LR          float64  // AdamW learning rate, > 0
	WeightDecay float64  // AdamW decoupled weight decay, >= 0
	Gradient    Gradient // Path (the zero value) or Plain
	PrintStride int      // progress line every PrintStride epochs (0: only the last epoch's)
	Seed        uint64   // training sample i of step t uses stream (Seed, train, t, i)
	// Threads is the number of worker goroutines (0: all cores). The result
	// does not depend on it: gradients are summed over micro-batches of fixed
	// size in fixed order.
	Threads int
	// MicroBatch is the fixed micro-batch size (0: ⌈Batch/8⌉, eight
	// micro-batches, enough work for up to eight threads). It is part of the
	// run's definition, unlike Threads: the summation order follows it.
	MicroBatch int
	// Schedule of the learning rates (Constant or Cosine); with Cosine they
	// fall to LRMinFactor times their initial value at the last epoch.
	Schedule    Schedule
	LRMinFactor float64
	// AnnealEpochs ramps the target exponent α (log p → α log p) linearly
	// from 1/AnnealEpochs to 1 over that many epochs (0: α = 1 throughout).
	AnnealEpochs int
	// Groups holds per-group learning rate and weight decay for parameters
	// whose nn.Param.Group names them; others use LR and WeightDecay.
	Groups map[string]Group
	// Progress receives the seed-format progress lines (nil: silent).
	Progress io.Writer
	// Device names where the work runs, for the final line ("": "cpu").
	Device string
	// Comm shares the steps between ranks (processes) that each compute
	// part of the micro-batches (nil: this process alone). See dist.go.
	Comm dist.Comm
	// MaxBadSteps stops the run after that many consecutive skipped steps
	// (non-finite loss or gradient) with an error wrapping ErrBadSteps
	// (0: never; DefaultOptions has DefaultMaxBadSteps).
	MaxBadSteps int
	// SaveEvery calls Checkpoint after every SaveEvery-th epoch (0: only at
	// the end and when the run stops early). See checkpoint.go.
	SaveEvery int
	// Checkpoint, when not nil, receives the state of the run at the end,
	// every SaveEvery epochs and when Stop closes or StopAt is reached; the
	// trainer's parameters and optimiser hold that state during the call.
	Checkpoint func(Result) error
	// Stop, when closed, ends the run after the step in progress (SIGINT,
	// SIGTERM): Fit writes a checkpoint and returns with Result.Stopped set.
	Stop <-chan struct{}
	// StopAt ends the run after that epoch in the same way (0: never), so
	// that a long run can be split into jobs joined by Continue.
	StopAt int
}

// DefaultOptions returns the seed library's training settings (its
// Model.fit with PyTorch's AdamW defaults): 1000 epochs of batch 1024, lr
// 1e-3, weight decay 0.01, the path gradient, a progress line every 100
// epochs, and a stop after DefaultMaxBadSteps consecutive non-finite steps;
// all cores, eight micro-batches.
func DefaultOptions() Options {
	return Options{Epochs: 1000, Batch: 1024, LR: 1e-3, WeightDecay: 0.01, Gradient: Path,
		PrintStride: 100, MaxBadSteps: DefaultMaxBadSteps}
}

// resolve picks the settings whose zero value asks for it (Threads,
// MicroBatch, Device) and checks the others.
func (o *Options) resolve() error {
	if o.MicroBatch == 0 && o.Batch > 0 {
		o.MicroBatch = (o.Batch + 7) / 8
	}
	if o.Threads <= 0 {
		o.Threads = runtime.GOMAXPROCS(0)
	}
	if o.Device == "" {
		o.Device = "cpu"
	}
	switch {
	case o.Epochs < 0:
		return fmt.Errorf("epochs = %d: must be >= 0", o.Epochs)
	case o.Batch < 1:
		return fmt.Errorf("batch = %d: must be a positive integer%s", o.Batch, zeroHint(o.Batch == 0))
	case !(o.LR > 0) || math.IsInf(o.LR, 0):
		return fmt.Errorf("lr = %g: must be a positive finite number%s", o.LR, zeroHint(o.LR == 0))
	case o.WeightDecay < 0 || math.IsNaN(o.WeightDecay) || math.IsInf(o.WeightDecay, 0):
		return fmt.Errorf("weight_decay = %g: must be a finite number >= 0", o.WeightDecay)
	case o.PrintStride < 0:
		return fmt.Errorf("print_stride = %d: must be >= 0 (0: only the last epoch)", o.PrintStride)
	case o.MicroBatch < 0:
		return fmt.Errorf("micro_batch = %d: must be a positive integer", o.MicroBatch)
	case !(o.LRMinFactor >= 0 && o.LRMinFactor <= 1):
		return fmt.Errorf("lr_min_factor = %g: must lie in [0, 1]", o.LRMinFactor)
	case o.AnnealEpochs < 0:
		return fmt.Errorf("anneal_epochs = %d: must be >= 0", o.AnnealEpochs)
	case o.MaxBadSteps < 0:
		return fmt.Errorf("max_bad_steps = %d: must be >= 0 (0: no limit)", o.MaxBadSteps)
	case o.SaveEvery < 0:
		return fmt.Errorf("save_every = %d: must be >= 0 (0: only at the end)", o.SaveEvery)
	case o.StopAt < 0:
		return fmt.Errorf("stop_at = %d: must be >= 0 (0: never)", o.StopAt)
	}
	for name, g := range o.Groups {
		if !(g.LR > 0) || math.IsInf(g.LR, 0) || !(g.WeightDecay >= 0) || math.IsInf(g.WeightDecay, 0) {
			return fmt.Errorf("parameter group %s: lr = %g, weight_decay = %g: need lr > 0 and weight_decay >= 0, finite", name, g.LR, g.WeightDecay)
		}
	}
	return nil
}

// zeroHint points a zero batch or lr to DefaultOptions.
func zeroHint(zero bool) string {
	if zero {
		return " (Options has no default: start from DefaultOptions())"
	}
	return ""
}

// Record is one row of the training history.
type Record struct {
	Epoch    int
	Loss     float64 // mean[log q + S] over the batch
	ESS      float64 // normalised effective sample size of the batch
	LogPMean float64 // mean of log p = −S
	LogPStd  float64 // standard deviation of log p
	Skipped  bool    // the step was not applied (non-finite loss or gradient)
	LRFactor float64 // schedule factor of the learning rates at this step
	Alpha    float64 // target exponent α of this step (1 without annealing)
}

// Result summarises a finished run, or the part of it done so far.
type Result struct {
	History      []Record // epochs 0, 1, …, Epoch
	Skipped      int      // steps not applied because of non-finite loss/gradient
	TrainSeconds float64  // wall time of the training loop(s), checkpoint writing excluded
	// Epoch is the last epoch completed; BadRun counts the skipped steps
	// that end the history (reset by every applied step).
	Epoch  int
	BadRun int
	// Stopped is set when the run ended early through Options.Stop or
	// Options.StopAt; Continue finishes it.
	Stopped bool
}

// Trainer holds the optimiser state of one model.
type Trainer struct {
	Model *model.Model
	Opt   *AdamW
	opts  Options
	// reused across steps: one worker per goroutine, one gradient buffer per
	// micro-batch, and the batch's log q, log p and prior samples.
	workers    []*Worker
	pool       *workpool.Pool
	parts      []*nn.Grads
	partStats  []batchStats
	logq, logp []float64
	z          []float64
	dist       distState // data-parallel ranks (dist.go)
}

// NewTrainer validates the options and creates the optimiser.
func NewTrainer(m *model.Model, opts Options) (*Trainer, error) {
	if err := opts.resolve(); err != nil {
		return nil, err
	}
	t := &Trainer{Model: m, Opt: NewAdamW(m.Params, Group{LR: opts.LR, WeightDecay: opts.WeightDecay}, opts.Groups), opts: opts}
	nMicro := (opts.Batch + opts.MicroBatch - 1) / opts.MicroBatch
	lo, hi := opts.microRange(nMicro) // this rank's micro-batches
	t.workers = make([]*Worker, max(1, min(opts.Threads, hi-lo)))
	for i := range t.workers {
		t.workers[i] = NewWorker()
	}
	t.pool = workpool.New(len(t.workers))
	t.parts = make([]*nn.Grads, nMicro)
	for i := range t.parts {
		t.parts[i] = nn.NewGrads(m.Params)
	}
	t.partStats = make([]batchStats, nMicro)
	t.logq = make([]float64, opts.Batch)
	t.logp = make([]float64, opts.Batch)
	t.z = make([]float64, opts.Batch*m.Size())
	t.startDist()
	return t, nil
}

// Close stops the trainer's worker goroutines; the trainer must not be used
// afterwards.
func (t *Trainer) Close() { t.pool.Close() }

// Options returns the settings in force (Threads, MicroBatch and Device
// resolved).
func (t *Trainer) Options() Options { return t.opts }

// step evaluates the batch of training step `step`, returning the summed
// gradient (flat) and the batch's metrics.
// Micro-batch j covers samples [j·mb, (j+1)·mb); workers take micro-batches in
// any order, but their gradients are added in the order j = 0, 1, … so the sum
// is bit-identical for any number of threads.
func (t *Trainer) step(step int, withGrad bool) (grad []float64, rec Record) {
	o := t.opts
	m := t.Model
	size := m.Size()
	nMicro := len(t.parts)
	logq, logp := t.logq, t.logp
	stepStream := rng.New(o.Seed, model.DomainTrain, uint64(step))
	alpha := annealing(step, o.AnnealEpochs)
	work := func(w *Worker, j int) {
		lo, hi := j*o.MicroBatch, min((j+1)*o.MicroBatch, o.Batch)
		z := t.z[lo*size : hi*size]
		for i := lo; i < hi; i++ {
			w.stream = stepStream.Derive(uint64(i)) // = rng.New(seed, train, step, i)
			m.Prior.Sample(&w.stream, z[(i-lo)*size:(i-lo+1)*size])
		}
		if !withGrad {
			phi := make([]float64, len(z))
			m.ForwardBatch(z, phi, logq[lo:hi], logp[lo:hi])
		} else {
			t.parts[j].Zero()
			w.BatchGradient(m, o.Gradient, alpha, z, logq[lo:hi], logp[lo:hi], float64(o.Batch), t.parts[j])
		}
		t.partStats[j] = statsOf(logq[lo:hi], logp[lo:hi])
	}
	jlo, jhi := o.microRange(nMicro) // all of them without other ranks
	if len(t.workers) <= 1 {
		for j := jlo; j < jhi; j++ {
			work(t.workers[0], j)
		}
	} else {
		// Workers take the next micro-batch as they become free.
		var next atomic.Int64
		next.Store(int64(jlo))
		t.pool.Run(func(wk int) {
			w := t.workers[wk]
			for j := int(next.Add(1)) - 1; j < jhi; j = int(next.Add(1)) - 1 {
				work(w, j)
			}
		})
	}
	if withGrad {
		grad = make([]float64, m.Params.Size())
		for _, g := range t.parts[jlo:jhi] {
			for i, v := range g.Data {
				grad[i] += v
			}
		}
	}
	t.reduce(grad, jlo, jhi) // sums over ranks (dist.go)
	var all batchStats
	for _, p := range t.partStats {
		all = all.merge(p)
	}
	rec = all.record(step)
	return grad, rec
}

// Line formats a record as the seed library's progress line.
func (r Record) Line() string {
	return fmt.Sprintf("Epoch: %d | loss: %.4f | ess: %.4f | log(p): %s",
		r.Epoch, r.Loss, r.ESS, stats.FormatValueError(r.LogPMean, r.LogPStd, 2))
}

// Step runs training step `epoch` (its batch is keyed by the epoch number)
// and applies the AdamW update, unless the loss or the gradient is not finite:
// then the step is skipped (never applied) and the record says so.
func (t *Trainer) Step(epoch int) Record {
	grad, r := t.step(epoch, true)
	r.Alpha = annealing(epoch, t.opts.AnnealEpochs)
	r.LRFactor = t.opts.Schedule.factor(epoch, t.opts.Epochs, t.opts.LRMinFactor)
	if !finite(r.Loss) || !allFinite(grad) {
		r.Skipped = true
		return r
	}
	t.Opt.Step(grad, r.LRFactor)
	return r
}

// Fit trains for the configured number of epochs (one optimiser step each),
// printing progress in the seed's format. A step whose loss or gradient is not
// finite is skipped (never applied) and counted.
func (t *Trainer) Fit() (Result, error) { return t.Continue(Result{}) }

// Fit trains m with opts in one call, as the seed library's Model.fit does:
// it makes a Trainer, runs its Fit and releases the trainer's goroutines.
// Keep a Trainer of your own (NewTrainer) to take more steps later.
func Fit(m *model.Model, opts Options) (Result, error) {
	t, err := NewTrainer(m, opts)
	if err != nil {
		return Result{}, err
	}
	defer t.Close()
	return t.Fit()
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func allFinite(xs []float64) bool {
	for _, x := range xs {
		if !finite(x) {
			return false
		}
	}
	return true
}
