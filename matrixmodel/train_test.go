package matrixmodel_test

import (
	"testing"

	"github.com/normflow/normflow-go/config"
	"github.com/normflow/normflow-go/examples"
	"github.com/normflow/normflow-go/train"
)

// TestTrainingIndependentOfThreads: 30 steps of examples/su3_matrix.toml
// (batch 256) give bit-identical weights and losses with 1 and 2 worker
// goroutines and with the plain and path gradients both lower the loss
// (docs/architecture.md §1.4).
func TestTrainingIndependentOfThreads(t *testing.T) {
	data, err := examples.FS.ReadFile("su3_matrix.toml")
	if err != nil {
		t.Fatal(err)
	}
	fit := func(threads int, gradient string) ([]float64, train.Result) {
		run, err := config.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		run.Train.Epochs, run.Train.Batch, run.Train.Gradient = 30, 256, gradient
		m, err := run.BuildModel()
		if err != nil {
			t.Fatal(err)
		}
		opts, err := run.TrainOptions()
		if err != nil {
			t.Fatal(err)
		}
		opts.Progress, opts.Threads = nil, threads
		res, err := train.Fit(m, opts)
		if err != nil {
			t.Fatal(err)
		}
		w := make([]float64, m.Params.Size())
		m.Params.Flatten(w)
		return w, res
	}
	for _, g := range []string{"path", "plain"} {
		w1, r1 := fit(1, g)
		w2, r2 := fit(2, g)
		for i := range w1 {
			if w1[i] != w2[i] {
				t.Fatalf("%s gradient: weight %d differs between 1 and 2 threads: %v, %v", g, i, w1[i], w2[i])
			}
		}
		first, last := r1.History[0].Loss, r1.History[r1.Epoch].Loss
		if r2.History[r2.Epoch].Loss != last || !(last < first-0.5) {
			t.Errorf("%s gradient: loss %.4f → %.4f (2 threads: %.4f)", g, first, last, r2.History[r2.Epoch].Loss)
		}
		t.Logf("%s gradient: loss %.4f → %.4f in 30 steps, ESS %.3f", g, first, last, r1.History[r1.Epoch].ESS)
	}
}
