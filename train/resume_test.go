package train

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// resumeOptions exercise every piece of state a resumed run must restore:
// AdamW moments and step count, the cosine schedule (a function of the total
// number of epochs) and the annealing of the target.
func resumeOptions() Options {
	o := DefaultOptions()
	o.Epochs, o.Batch, o.MicroBatch, o.Seed, o.LR, o.Threads = 200, 64, 16, 11, 0.02, 2
	o.Schedule, o.LRMinFactor, o.AnnealEpochs = Cosine, 0.1, 30
	return o
}

func sameBits(t *testing.T, what string, a, b []float64) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d values vs %d", what, len(a), len(b))
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			t.Fatalf("%s[%d] = %v, the uninterrupted run has %v", what, i, a[i], b[i])
		}
	}
}

// 200 epochs in one go and 100 + 100 epochs (stopped, then continued by a
// new trainer from the saved state) give bit-identical parameters, optimiser
// state and history.
func TestContinueIsBitIdentical(t *testing.T) {
	straight := tinyModel(t, rand.New(rand.NewPCG(41, 42)))
	ta, err := NewTrainer(straight, resumeOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer ta.Close()
	want, err := ta.Fit()
	if err != nil {
		t.Fatal(err)
	}

	// First job: stops after epoch 100 and hands its state to Checkpoint.
	first := tinyModel(t, rand.New(rand.NewPCG(41, 42)))
	o := resumeOptions()
	o.StopAt = 100
	var saved []Result
	o.Checkpoint = func(r Result) error { saved = append(saved, r); return nil }
	tb, err := NewTrainer(first, o)
	if err != nil {
		t.Fatal(err)
	}
	defer tb.Close()
	half, err := tb.Fit()
	if err != nil {
		t.Fatal(err)
	}
	if !half.Stopped || half.Epoch != 100 || len(half.History) != 101 || len(saved) != 1 || saved[0].Epoch != 100 {
		t.Fatalf("StopAt 100: stopped %v at epoch %d with %d records, %d checkpoints", half.Stopped, half.Epoch, len(half.History), len(saved))
	}
	theta := make([]float64, first.Params.Size())
	first.Params.Flatten(theta)

	// Second job: a fresh model and trainer restored from that state.
	second := tinyModel(t, rand.New(rand.NewPCG(99, 98))) // different initial values, overwritten
	second.Params.Unflatten(theta)
	tc, err := NewTrainer(second, resumeOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if err := tc.Opt.SetState(tb.Opt.M, tb.Opt.V, tb.Opt.T); err != nil {
		t.Fatal(err)
	}
	got, err := tc.Continue(half)
	if err != nil {
		t.Fatal(err)
	}

	thetaA := make([]float64, straight.Params.Size())
	straight.Params.Flatten(thetaA)
	thetaC := make([]float64, second.Params.Size())
	second.Params.Flatten(thetaC)
	sameBits(t, "parameters", thetaC, thetaA)
	sameBits(t, "adam m", tc.Opt.M, ta.Opt.M)
	sameBits(t, "adam v", tc.Opt.V, ta.Opt.V)
	if tc.Opt.T != ta.Opt.T || got.Epoch != 200 || got.Stopped || got.Skipped != want.Skipped {
		t.Errorf("continued: adam step %d, epoch %d, stopped %v, skipped %d; straight: %d, 200, false, %d",
			tc.Opt.T, got.Epoch, got.Stopped, got.Skipped, ta.Opt.T, want.Skipped)
	}
	if !reflect.DeepEqual(got.History, want.History) {
		for i := range want.History {
			if i >= len(got.History) || got.History[i] != want.History[i] {
				t.Fatalf("history record %d differs", i)
			}
		}
		t.Fatalf("history: %d records, want %d", len(got.History), len(want.History))
	}
	// The schedule and the annealing really varied over the run.
	if h := want.History; h[1].LRFactor != 1 || h[200].LRFactor != 0.1 || h[1].Alpha != 1.0/30 || h[150].Alpha != 1 {
		t.Errorf("schedule/annealing not exercised: f(1) %v, f(200) %v, α(1) %v, α(150) %v", h[1].LRFactor, h[200].LRFactor, h[1].Alpha, h[150].Alpha)
	}
}

// Closing Stop ends the run after the step in progress, with a checkpoint.
func TestStopChannelWritesCheckpoint(t *testing.T) {
	m := tinyModel(t, rand.New(rand.NewPCG(43, 44)))
	stop := make(chan struct{})
	var epochs []int
	o := DefaultOptions()
	o.Epochs, o.Batch, o.SaveEvery, o.Stop = 100, 32, 10, stop
	o.Checkpoint = func(r Result) error {
		epochs = append(epochs, r.Epoch)
		if r.Epoch == 20 && !r.Stopped {
			close(stop) // as the signal handler does, between two steps
		}
		return nil
	}
	tr, err := NewTrainer(m, o)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	res, err := tr.Fit()
	if err != nil {
		t.Fatal(err)
	}
	if !res.Stopped || res.Epoch != 20 || !reflect.DeepEqual(epochs, []int{10, 20, 20}) {
		t.Errorf("stopped %v at epoch %d, checkpoints at %v; want true, 20, [10 20 20] (the last one marked stopped)", res.Stopped, res.Epoch, epochs)
	}
}

// MaxBadSteps consecutive skipped steps stop the run with ErrBadSteps, and no
// checkpoint is taken after a skipped step; a checkpoint error stops the run.
func TestMaxBadStepsStopsTheRun(t *testing.T) {
	m := tinyModel(t, rand.New(rand.NewPCG(45, 46)))
	m.Params.Params[0].Value[0] = math.NaN() // every step's loss is NaN
	var epochs []int
	o := DefaultOptions()
	o.Epochs, o.Batch, o.MaxBadSteps, o.SaveEvery = 50, 16, 5, 2
	o.Checkpoint = func(r Result) error { epochs = append(epochs, r.Epoch); return nil }
	tr, err := NewTrainer(m, o)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	res, err := tr.Fit()
	if !errors.Is(err, ErrBadSteps) {
		t.Fatalf("error %v, want ErrBadSteps", err)
	}
	if res.Epoch != 5 || res.Skipped != 5 || res.BadRun != 5 || len(epochs) != 0 || tr.Opt.T != 0 {
		t.Errorf("stopped at epoch %d with %d skipped (%d in a row), checkpoints %v, %d steps applied; want 5, 5, 5, none, 0",
			res.Epoch, res.Skipped, res.BadRun, epochs, tr.Opt.T)
	}

	failing := errors.New("disk full")
	m2 := tinyModel(t, rand.New(rand.NewPCG(45, 46)))
	o2 := DefaultOptions()
	o2.Epochs, o2.Batch, o2.SaveEvery = 10, 16, 3
	o2.Checkpoint = func(Result) error { return failing }
	tr2, _ := NewTrainer(m2, o2)
	defer tr2.Close()
	if res, err := tr2.Fit(); !errors.Is(err, failing) || res.Epoch != 3 {
		t.Errorf("checkpoint failure: error %v at epoch %d, want %v at 3", err, res.Epoch, failing)
	}
}

func TestContinueRejectsBadState(t *testing.T) {
	m := tinyModel(t, rand.New(rand.NewPCG(47, 48)))
	o := DefaultOptions()
	o.Epochs, o.Batch = 10, 16
	tr, _ := NewTrainer(m, o)
	defer tr.Close()
	rec := func(e int) Record { return Record{Epoch: e} }
	for _, prev := range []Result{
		{History: []Record{rec(0), rec(1)}, Epoch: 2},             // too short
		{History: []Record{rec(0), rec(2)}, Epoch: 1},             // gap
		{History: make([]Record, 12), Epoch: 11},                  // past the end
		{History: []Record{rec(0), rec(1)}, Epoch: 1, BadRun: 1},  // bad run not counted as skipped
		{History: []Record{rec(0), rec(1)}, Epoch: 1, Skipped: 2}, // more skipped than steps
	} {
		if _, err := tr.Continue(prev); err == nil {
			t.Errorf("Continue accepted %+v", prev)
		}
	}
	if err := tr.Opt.SetState(make([]float64, 3), tr.Opt.V, 0); err == nil {
		t.Error("SetState accepted moments of the wrong length")
	}
	if err := tr.Opt.SetState(tr.Opt.M, tr.Opt.V, -1); err == nil {
		t.Error("SetState accepted a negative step count")
	}
}
