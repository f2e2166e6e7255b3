package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/normflow/normflow-go/stats"
)

// Merged micro-batch sums give the same metrics as a direct pass over the
// whole batch.
func TestMergedMetricsMatchDirect(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	const n = 1000
	logq, logp := make([]float64, n), make([]float64, n)
	for i := range logq {
		logq[i] = r.NormFloat64() - 3
		logp[i] = 1.5*r.NormFloat64() + 40
	}
	var all batchStats
	for lo := 0; lo < n; lo += 128 {
		hi := min(lo+128, n)
		all = all.merge(statsOf(logq[lo:hi], logp[lo:hi]))
	}
	got := all.record(7)
	logw := make([]float64, n)
	var loss, mp, vp float64
	for i := range logw {
		logw[i] = logp[i] - logq[i]
		loss -= logw[i]
		mp += logp[i]
	}
	loss, mp = loss/n, mp/n
	for _, v := range logp {
		vp += (v - mp) * (v - mp)
	}
	want := Record{Epoch: 7, Loss: loss, ESS: stats.ESS(logw), LogPMean: mp, LogPStd: math.Sqrt(vp / n)}
	for _, c := range [][3]float64{{got.Loss, want.Loss}, {got.ESS, want.ESS}, {got.LogPMean, want.LogPMean}, {got.LogPStd, want.LogPStd}} {
		if !(math.Abs(c[0]-c[1]) <= 1e-12*(1+math.Abs(c[1]))) {
			t.Errorf("merged %+v, direct %+v", got, want)
			break
		}
	}
	logq[3] = math.NaN()
	nan := statsOf(logq, logp).record(0)
	if !math.IsNaN(nan.Loss) || !math.IsNaN(nan.ESS) {
		t.Errorf("a NaN log q gave loss %g, ESS %g", nan.Loss, nan.ESS)
	}
}
