package train_test

import (
	"math"
	"testing"

	"github.com/normflow/normflow-go/config"
	"github.com/normflow/normflow-go/examples"
	"github.com/normflow/normflow-go/train"
)

// checkIndependentOfThreads trains the run of examples/name, made small by
// adjust, on each of the given numbers of threads and checks that the
// weights, the optimiser's first moments and the per-epoch losses and ESS
// are bit-identical to those of the first (docs/architecture.md §1.4), and
// that the loss moved.
func checkIndependentOfThreads(t *testing.T, name string, threads []int, adjust func(*config.Run)) {
	t.Helper()
	data, err := examples.FS.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var first []float64
	for _, th := range threads {
		run, err := config.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		adjust(run)
		m, err := run.BuildModel()
		if err != nil {
			t.Fatal(err)
		}
		opts, _ := run.TrainOptions()
		opts.Threads = th
		tr, err := train.NewTrainer(m, opts)
		if err != nil {
			t.Fatal(err)
		}
		res, err := tr.Fit()
		if err != nil {
			t.Fatal(err)
		}
		tr.Close()
		got := make([]float64, m.Params.Size())
		m.Params.Flatten(got)
		got = append(got, tr.Opt.M...)
		for _, h := range res.History {
			got = append(got, h.Loss, h.ESS)
		}
		if first == nil {
			first = got
			if res.History[len(res.History)-1].Loss == res.History[0].Loss {
				t.Fatalf("%s: the loss did not move: %v", name, res.History)
			}
			continue
		}
		for i := range got {
			if math.Float64bits(got[i]) != math.Float64bits(first[i]) {
				t.Fatalf("%s: value %d: %v with %d threads, %v with %d", name, i, got[i], th, first[i], threads[0])
			}
		}
	}
}

// A lattice model with coupling layers (conv conditioners, float32) trains to
// bit-identical weights and optimiser moments on 1 and 2 threads.
func TestCouplingFlowIndependentOfThreads(t *testing.T) {
	checkIndependentOfThreads(t, "phi4_2d_affine.toml", []int{1, 2}, func(run *config.Run) {
		run.Train.Epochs, run.Train.Batch, run.Train.MicroBatch = 3, 48, 16
	})
}

// A CNF model (examples/phi4_cnf_L32.toml, PSD block and CNF, on 8×8 with 8
// RK4 steps, path gradients) trains to bit-identical weights, optimiser
// moments and losses on 1, 2 and 3 threads.
func TestCNFIndependentOfThreads(t *testing.T) {
	checkIndependentOfThreads(t, "phi4_cnf_L32.toml", []int{1, 2, 3}, func(run *config.Run) {
		steps := 8
		run.Lattice.Shape = []int{8, 8}
		run.Flow.Layers[1].Steps = &steps
		run.Train.Epochs, run.Train.Batch, run.Train.MicroBatch = 3, 24, 5
	})
}
