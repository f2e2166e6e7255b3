package train

import (
	"time"

	"github.com/normflow/normflow-go/dist"
)

// Data-parallel training over the ranks of a dist.Comm (Options.Comm).
//
// The micro-batches are those of a single process (fixed size, fixed
// samples: sample i of step t comes from stream (seed, train, t, i) on
// whichever rank draws it). Rank r of R takes the contiguous range
// dist.Split(nMicro, r, R) and runs it on its own goroutines; it sums its
// micro-batch gradients in order, then one AllreduceSum adds the ranks'
// sums. Only that last sum is ordered differently from a single process
// (R partial sums instead of one running sum), so the weights agree with a
// single-process run up to rounding. The per-micro-batch metrics travel in
// the same allreduce as a [nMicro × statsWidth] block in which every rank
// fills its own rows and leaves zeros elsewhere: adding zeros is exact, so
// every rank merges exactly the single-process sums. AllreduceSum gives
// every rank the same bits, so every rank takes the same AdamW step and the
// weights stay identical across ranks. A stop request (Options.Stop, closed
// on SIGTERM) reaches the ranks at different times: it travels in the same
// allreduce as one more value, and every rank sees it after the same step.

// distState is the trainer's share of the communicator.
type distState struct {
	// buf is the allreduce buffer:
	// [gradient (params) | stats (nMicro × statsWidth) | stop flag].
	buf []float64
	// stop is the caller's Options.Stop; Options.Stop becomes agreed, closed
	// on every rank after the step in whose allreduce some rank was stopped.
	stop   <-chan struct{}
	agreed chan struct{}
	// seconds is the wall time spent in AllreduceSum (including the wait for
	// the slowest rank).
	seconds float64
}

// statsWidth is the number of float64 values of one packed batchStats.
const statsWidth = 8

// distributed reports whether the trainer shares its steps with other ranks.
func (o *Options) distributed() bool { return o.Comm != nil && o.Comm.Size() > 1 }

// microRange is the range [lo, hi) of the nMicro micro-batches this rank
// computes: all of them in a single process.
func (o *Options) microRange(nMicro int) (lo, hi int) {
	if !o.distributed() {
		return 0, nMicro
	}
	return dist.Split(nMicro, o.Comm.Rank(), o.Comm.Size())
}

// startDist makes every rank start from rank 0's parameters and routes the
// stop requests through the allreduce (called by NewTrainer).
func (t *Trainer) startDist() {
	if !t.opts.distributed() {
		return
	}
	// Every rank takes the agreed channel, also one without a Stop of its own.
	t.dist.stop, t.dist.agreed = t.opts.Stop, make(chan struct{})
	t.opts.Stop = t.dist.agreed
	p := make([]float64, t.Model.Params.Size())
	t.Model.Params.Flatten(p)
	t.opts.Comm.Bcast(p, 0)
	t.Model.Params.Unflatten(p)
}

// reduce sums over the ranks, in one AllreduceSum, the gradient of this
// rank's micro-batches (grad, nil for a step without gradient) and the
// statistics of the micro-batches [lo, hi) it computed; afterwards grad and
// t.partStats hold the whole batch's values on every rank.
func (t *Trainer) reduce(grad []float64, lo, hi int) {
	if !t.opts.distributed() {
		return
	}
	n := len(grad) + statsWidth*len(t.partStats) + 1
	if cap(t.dist.buf) < n {
		t.dist.buf = make([]float64, n)
	}
	buf := t.dist.buf[:n]
	clear(buf)
	copy(buf, grad)
	packed := buf[len(grad) : n-1]
	for j := lo; j < hi; j++ {
		t.partStats[j].pack(packed[j*statsWidth : (j+1)*statsWidth])
	}
	if closed(t.dist.stop) {
		buf[n-1] = 1
	}
	start := time.Now()
	t.opts.Comm.AllreduceSum(buf)
	t.dist.seconds += time.Since(start).Seconds()
	copy(grad, buf)
	for j := range t.partStats {
		t.partStats[j] = unpackStats(packed[j*statsWidth : (j+1)*statsWidth])
	}
	if buf[n-1] != 0 && !closed(t.dist.agreed) {
		close(t.dist.agreed)
	}
}

// CommSeconds is the wall time this rank has spent in the gradient
// allreduce so far (zero in a single process); it includes waiting for the
// slowest rank.
func (t *Trainer) CommSeconds() float64 { return t.dist.seconds }

// pack writes the sums into out [statsWidth].
func (b batchStats) pack(out []float64) {
	nan := 0.0
	if b.nan {
		nan = 1
	}
	out[0], out[1], out[2], out[3] = b.n, b.loss, b.mean, b.m2
	out[4], out[5], out[6], out[7] = b.maxLogW, b.s1, b.s2, nan
}

// unpackStats is the inverse of pack.
func unpackStats(in []float64) batchStats {
	return batchStats{n: in[0], loss: in[1], mean: in[2], m2: in[3],
		maxLogW: in[4], s1: in[5], s2: in[6], nan: in[7] != 0}
}
