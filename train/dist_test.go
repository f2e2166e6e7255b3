package train_test

import (
	"math"
	"sync"
	"testing"

	"github.com/normflow/normflow-go/config"
	"github.com/normflow/normflow-go/dist"
	"github.com/normflow/normflow-go/examples"
	"github.com/normflow/normflow-go/train"
)

// trainRanks trains the lattice example for epochs steps of batch 48 in
// micro-batches of 12, on ranks in-process ranks (dist.NewLocal; 0: no Comm),
// and returns every rank's final weights, Adam first moments and history.
func trainRanks(t *testing.T, ranks, epochs int) (weights, moments [][]float64, hist [][]train.Record) {
	t.Helper()
	data, err := examples.FS.ReadFile("phi4_2d_affine.toml")
	if err != nil {
		t.Fatal(err)
	}
	n := max(ranks, 1)
	weights, moments, hist = make([][]float64, n), make([][]float64, n), make([][]train.Record, n)
	var comms []dist.Comm
	if ranks > 0 {
		comms = dist.NewLocal(ranks)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for r := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run, err := config.Parse(data)
			if err != nil {
				errs[r] = err
				return
			}
			run.Train.Epochs, run.Train.Batch, run.Train.MicroBatch = epochs, 48, 12
			m, err := run.BuildModel()
			if err != nil {
				errs[r] = err
				return
			}
			if r > 0 {
				// Other ranks start from other weights: NewTrainer must
				// broadcast rank 0's.
				p := make([]float64, m.Params.Size())
				m.Params.Flatten(p)
				for i := range p {
					p[i] += 0.1 * float64(r)
				}
				m.Params.Unflatten(p)
			}
			opts, err := run.TrainOptions()
			if err != nil {
				errs[r] = err
				return
			}
			opts.Threads = 1 + r%2 // ranks use their own goroutines
			if comms != nil {
				opts.Comm = comms[r]
			}
			tr, err := train.NewTrainer(m, opts)
			if err != nil {
				errs[r] = err
				return
			}
			defer tr.Close()
			res, err := tr.Fit()
			if err != nil {
				errs[r] = err
				return
			}
			if comms != nil && tr.CommSeconds() <= 0 {
				t.Errorf("rank %d: no time recorded in the allreduce", r)
			}
			w := make([]float64, m.Params.Size())
			m.Params.Flatten(w)
			weights[r], moments[r], hist[r] = w, tr.Opt.M, res.History
		}()
	}
	wg.Wait()
	for r, err := range errs {
		if err != nil {
			t.Fatalf("rank %d: %v", r, err)
		}
	}
	return weights, moments, hist
}

// Training on 2 and 3 in-process ranks (the batch's 4 micro-batches split
// 2+2 and 1+1+2) gives every rank the same weights and Adam moments, bit for
// bit, and the single process's weights within 1e-12 relative, value by
// value (only the order of the final sum over ranks differs; the moments,
// some near zero, within 1e-12 of their largest). The metrics of the first
// two steps, taken at identical weights, equal the single process's exactly.
func TestDataParallelMatchesSingleProcess(t *testing.T) {
	epochs := 30
	if testing.Short() {
		epochs = 6
	}
	want, wantM, wantHist := trainRanks(t, 0, epochs)
	for _, ranks := range []int{2, 3} {
		got, gotM, hist := trainRanks(t, ranks, epochs)
		for r := 1; r < ranks; r++ {
			for i := range got[r] {
				if math.Float64bits(got[r][i]) != math.Float64bits(got[0][i]) ||
					math.Float64bits(gotM[r][i]) != math.Float64bits(gotM[0][i]) {
					t.Fatalf("%d ranks: parameter %d differs between rank 0 and rank %d", ranks, i, r)
				}
			}
		}
		worst, worstM, scaleM := 0.0, 0.0, 0.0
		for i, w := range want[0] {
			d := 0.0
			if got[0][i] != w {
				d = math.Abs(got[0][i]-w) / max(math.Abs(w), math.Abs(got[0][i]))
			}
			worst = max(worst, d)
			if !(d <= 1e-12) {
				t.Errorf("%d ranks: weight %d = %v, single process %v (relative difference %.2g > 1e-12)", ranks, i, got[0][i], w, d)
			}
			worstM, scaleM = max(worstM, math.Abs(gotM[0][i]-wantM[0][i])), max(scaleM, math.Abs(wantM[0][i]))
		}
		if !(worstM <= 1e-12*scaleM) {
			t.Errorf("%d ranks: Adam moments differ from the single process's by %.2g, %.2g of the largest", ranks, worstM, worstM/scaleM)
		}
		t.Logf("%d ranks, %d steps: weights within %.2g relative of one process's, moments within %.2g of the largest", ranks, epochs, worst, worstM/scaleM)
		for e := range 2 {
			if hist[0][e] != wantHist[0][e] {
				t.Errorf("%d ranks: epoch %d metrics %+v, single process %+v", ranks, e, hist[0][e], wantHist[0][e])
			}
		}
	}
}

// A stop request that reaches one rank only (rank 1, during its checkpoint
// after epoch 3; rank 0 has no Stop channel at all) stops both ranks after
// the same epoch, the next one, so that no rank waits in an allreduce for
// one that has left.
func TestDataParallelStopIsAgreed(t *testing.T) {
	data, err := examples.FS.ReadFile("phi4_2d_affine.toml")
	if err != nil {
		t.Fatal(err)
	}
	comms := dist.NewLocal(2)
	res := make([]train.Result, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for r := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run, err := config.Parse(data)
			if err != nil {
				errs[r] = err
				return
			}
			run.Train.Epochs, run.Train.Batch, run.Train.MicroBatch = 50, 16, 8
			m, err := run.BuildModel()
			if err != nil {
				errs[r] = err
				return
			}
			opts, _ := run.TrainOptions()
			opts.Threads, opts.Comm = 1, comms[r]
			if r == 1 {
				stop := make(chan struct{})
				opts.Stop, opts.SaveEvery = stop, 3
				opts.Checkpoint = func(res train.Result) error {
					if res.Epoch == 3 {
						close(stop)
					}
					return nil
				}
			}
			tr, err := train.NewTrainer(m, opts)
			if err != nil {
				errs[r] = err
				return
			}
			defer tr.Close()
			res[r], errs[r] = tr.Fit()
		}()
	}
	wg.Wait()
	for r, err := range errs {
		if err != nil {
			t.Fatalf("rank %d: %v", r, err)
		}
	}
	if !res[0].Stopped || !res[1].Stopped || res[0].Epoch != 4 || res[1].Epoch != 4 {
		t.Fatalf("rank 0 stopped %v after epoch %d, rank 1 stopped %v after epoch %d: want both stopped after epoch 4",
			res[0].Stopped, res[0].Epoch, res[1].Stopped, res[1].Epoch)
	}
}
