package train_test

import (
	"math"
	"testing"

	"github.com/normflow/normflow-go/config"
	"github.com/normflow/normflow-go/examples"
	"github.com/normflow/normflow-go/train"
)

// A lattice model with coupling layers (conv conditioners, float32) trains to
// bit-identical weights and optimiser moments on 1 and 2 threads.
func TestCouplingFlowIndependentOfThreads(t *testing.T) {
	data, err := examples.FS.ReadFile("phi4_2d_affine.toml")
	if err != nil {
		t.Fatal(err)
	}
	var first []float64
	for _, threads := range []int{1, 2} {
		run, err := config.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		run.Train.Epochs, run.Train.Batch, run.Train.MicroBatch = 3, 48, 16
		m, err := run.BuildModel()
		if err != nil {
			t.Fatal(err)
		}
		opts, _ := run.TrainOptions()
		opts.Threads = threads
		tr, err := train.NewTrainer(m, opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Fit(); err != nil {
			t.Fatal(err)
		}
		tr.Close()
		got := make([]float64, m.Params.Size())
		m.Params.Flatten(got)
		got = append(got, tr.Opt.M...)
		if first == nil {
			first = got
			continue
		}
		for i := range got {
			if math.Float64bits(got[i]) != math.Float64bits(first[i]) {
				t.Fatalf("value %d: %v with 2 threads, %v with 1", i, got[i], first[i])
			}
		}
	}
}
