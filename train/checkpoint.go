package train

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// DefaultMaxBadSteps is the number of consecutive skipped steps after which a
// run stops in DefaultOptions.
const DefaultMaxBadSteps = 100

// ErrBadSteps is wrapped by the error of a run stopped after
// Options.MaxBadSteps consecutive steps with a non-finite loss or gradient.
var ErrBadSteps = errors.New("too many consecutive non-finite steps")

// Continue trains from the state prev (the Result of an earlier Fit or
// Continue, with the trainer's parameters and optimiser restored to the state
// they had then) to the configured number of epochs. A zero prev starts a
// fresh run, as Fit does. Epoch numbers, and with them the batch of every step
// (keyed by seed and epoch), the schedule factor and the annealing α, are
// those of one uninterrupted run, so a run stopped and continued is
// bit-identical to a run done in one go.
//
// Options.Checkpoint is called every Options.SaveEvery epochs unless that
// epoch's step was skipped, at the end, and when the run stops early
// (Options.Stop closed or Options.StopAt reached; then Result.Stopped is set).
// After Options.MaxBadSteps consecutive skipped steps Continue returns the
// state so far and an error wrapping ErrBadSteps, without calling Checkpoint:
// the last checkpoint written stays the last good one, taken after an
// applied step.
func (t *Trainer) Continue(prev Result) (Result, error) {
	o := t.opts
	out := o.Progress
	if out == nil {
		out = io.Discard
	}
	res := prev
	res.History = slices.Clone(prev.History)
	res.Stopped = false
	if len(res.History) == 0 {
		res = Result{}
		fmt.Fprintln(out, ">>> Checking the current status of the model <<<")
		_, r0 := t.step(0, false)
		res.History = append(res.History, r0)
		fmt.Fprintln(out, r0.Line())
		fmt.Fprintf(out, ">>> Training started for %d epochs <<<\n", o.Epochs)
	} else {
		if err := checkHistory(prev, o.Epochs); err != nil {
			return prev, err
		}
		fmt.Fprintf(out, ">>> Training resumed after epoch %d for %d more epochs (%d in all) <<<\n",
			prev.Epoch, o.Epochs-prev.Epoch, o.Epochs)
	}
	// Training time excludes the time spent writing checkpoints (files,
	// fsync), so that TIME and ms/epoch measure the training itself.
	start := time.Now()
	var writing time.Duration
	thisCall := func() float64 { return (time.Since(start) - writing).Seconds() }
	elapsed := func() float64 { return prev.TrainSeconds + thisCall() }
	saved, savedStopped := -1, false // the last checkpoint of this call
	save := func() error {
		if o.Checkpoint == nil || (saved == res.Epoch && savedStopped == res.Stopped) {
			return nil
		}
		saved, savedStopped = res.Epoch, res.Stopped
		res.TrainSeconds = elapsed()
		t0 := time.Now()
		defer func() { writing += time.Since(t0) }()
		return o.Checkpoint(res)
	}
	for epoch := res.Epoch + 1; epoch <= o.Epochs; epoch++ {
		if closed(o.Stop) {
			res.Stopped = true
			break
		}
		r := t.Step(epoch)
		res.History = append(res.History, r)
		res.Epoch = epoch
		if r.Skipped {
			res.Skipped++
			res.BadRun++
		} else {
			res.BadRun = 0
		}
		tooBad := o.MaxBadSteps > 0 && res.BadRun >= o.MaxBadSteps
		if o.PrintStride > 0 && epoch%o.PrintStride == 0 || epoch == o.Epochs || tooBad {
			line := r.Line()
			if r.Skipped {
				line += " | step skipped (non-finite loss or gradient)"
			}
			fmt.Fprintln(out, line)
		}
		if tooBad {
			res.TrainSeconds = elapsed()
			return res, fmt.Errorf("%w: the %d steps of epochs %d to %d all had a non-finite loss or gradient (max_bad_steps = %d)",
				ErrBadSteps, res.BadRun, epoch-res.BadRun+1, epoch, o.MaxBadSteps)
		}
		if epoch == o.StopAt && epoch < o.Epochs {
			res.Stopped = true
			break
		}
		if o.SaveEvery > 0 && epoch%o.SaveEvery == 0 && epoch < o.Epochs && res.BadRun == 0 {
			if err := save(); err != nil {
				return res, err
			}
		}
	}
	res.TrainSeconds = elapsed()
	if res.Stopped {
		fmt.Fprintf(out, ">>> Training stopped after epoch %d of %d (%s); TIME = %.2f sec <<<\n", res.Epoch, o.Epochs, o.Device, thisCall())
	} else {
		fmt.Fprintf(out, ">>> Training finished (%s); TIME = %.2f sec <<<\n", o.Device, thisCall())
		if res.Skipped > 0 {
			fmt.Fprintf(out, ">>> %d of %d steps skipped: non-finite loss or gradient <<<\n", res.Skipped, o.Epochs)
		}
	}
	if err := save(); err != nil {
		return res, err
	}
	return res, nil
}

// checkHistory checks that prev is a run state Continue can start from.
func checkHistory(prev Result, epochs int) error {
	if len(prev.History) != prev.Epoch+1 {
		return fmt.Errorf("resume: history has %d records, want %d (epochs 0 to %d)", len(prev.History), prev.Epoch+1, prev.Epoch)
	}
	for i, r := range prev.History {
		if r.Epoch != i {
			return fmt.Errorf("resume: history record %d is for epoch %d", i, r.Epoch)
		}
	}
	if prev.Epoch > epochs {
		return fmt.Errorf("resume: the run is at epoch %d, past its %d epochs", prev.Epoch, epochs)
	}
	if prev.Skipped < prev.BadRun || prev.BadRun < 0 || prev.Skipped > prev.Epoch {
		return fmt.Errorf("resume: %d skipped steps, %d of them at the end, in %d epochs: inconsistent", prev.Skipped, prev.BadRun, prev.Epoch)
	}
	return nil
}

// closed reports whether the stop channel c is closed (nil: never).
func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
