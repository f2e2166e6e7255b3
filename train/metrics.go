package train

import "math"

// batchStats are the sums behind a Record over part of a batch. Each worker
// fills those of its micro-batches, and merge combines them in micro-batch
// order, so the metrics cost no serial pass over the batch and do not depend
// on the number of threads.
type batchStats struct {
	n        float64
	loss     float64 // Σ (log q − log p)
	mean, m2 float64 // mean of log p and Σ (log p − mean)² (Welford / Chan et al.)
	maxLogW  float64 // max log w, the shift of s1 and s2
	s1, s2   float64 // Σ w/w_max and Σ (w/w_max)²
	nan      bool    // some log w is NaN
}

// statsOf computes the sums of one micro-batch.
func statsOf(logq, logp []float64) batchStats {
	b := batchStats{n: float64(len(logq)), maxLogW: math.Inf(-1)}
	for i, lp := range logp {
		lw := lp - logq[i]
		b.loss -= lw
		if math.IsNaN(lw) {
			b.nan = true
		}
		b.maxLogW = max(b.maxLogW, lw)
		d := lp - b.mean
		b.mean += d / float64(i+1)
		b.m2 += d * (lp - b.mean)
	}
	if !math.IsInf(b.maxLogW, 0) && !math.IsNaN(b.maxLogW) {
		for i, lp := range logp {
			w := math.Exp(lp - logq[i] - b.maxLogW)
			b.s1 += w
			b.s2 += w * w
		}
	}
	return b
}

// merge combines the sums of two disjoint parts of a batch.
func (a batchStats) merge(b batchStats) batchStats {
	if a.n == 0 {
		return b
	}
	n := a.n + b.n
	d := b.mean - a.mean
	out := batchStats{
		n: n, loss: a.loss + b.loss,
		mean: a.mean + d*b.n/n, m2: a.m2 + b.m2 + d*d*a.n*b.n/n,
		maxLogW: max(a.maxLogW, b.maxLogW), nan: a.nan || b.nan,
	}
	if !math.IsInf(out.maxLogW, 0) && !math.IsNaN(out.maxLogW) {
		for _, p := range []batchStats{a, b} {
			if p.s1 > 0 {
				f := math.Exp(p.maxLogW - out.maxLogW)
				out.s1 += p.s1 * f
				out.s2 += p.s2 * f * f
			}
		}
	}
	return out
}

// record turns the sums of a whole batch into the epoch's metrics: loss =
// mean[log q − log p], ESS = (Σw)²/(N Σw²), and the mean and standard
// deviation of log p. A NaN log weight or one of +Inf makes loss and ESS NaN.
func (a batchStats) record(epoch int) Record {
	r := Record{Epoch: epoch, Loss: a.loss / a.n, LogPMean: a.mean, LogPStd: math.Sqrt(a.m2 / a.n)}
	switch {
	case a.nan || math.IsInf(a.maxLogW, 0) || a.s2 == 0:
		r.ESS = math.NaN()
		r.Loss = math.NaN()
	default:
		r.ESS = a.s1 * a.s1 / (a.n * a.s2)
	}
	return r
}
