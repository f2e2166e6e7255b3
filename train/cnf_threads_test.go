package train_test

import (
	"math"
	"testing"

	"github.com/normflow/normflow-go/config"
	"github.com/normflow/normflow-go/examples"
	"github.com/normflow/normflow-go/train"
)

// A CNF model (examples/phi4_cnf_L32.toml, PSD block and CNF, on 8×8 with 8 RK4 steps, path
// gradients) trains to bit-identical weights, optimiser moments and losses on
// 1, 2 and 3 threads (docs/architecture.md §1.4).
func TestCNFIndependentOfThreads(t *testing.T) {
	data, err := examples.FS.ReadFile("phi4_cnf_L32.toml")
	if err != nil {
		t.Fatal(err)
	}
	var first []float64
	for _, threads := range []int{1, 2, 3} {
		run, err := config.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		steps := 8
		run.Lattice.Shape = []int{8, 8}
		run.Flow.Layers[1].Steps = &steps
		run.Train.Epochs, run.Train.Batch, run.Train.MicroBatch = 3, 24, 5
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
				t.Fatalf("the loss did not move: %v", res.History)
			}
			continue
		}
		for i := range got {
			if math.Float64bits(got[i]) != math.Float64bits(first[i]) {
				t.Fatalf("value %d: %v with %d threads, %v with 1", i, got[i], threads, first[i])
			}
		}
	}
}
