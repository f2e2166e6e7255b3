package train_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/normflow/normflow-go/config"
	"github.com/normflow/normflow-go/internal/within"
	"github.com/normflow/normflow-go/prior"
	"github.com/normflow/normflow-go/stats"
	"github.com/normflow/normflow-go/train"
)

// Free theory (λ = 0, seed convention κ = 1, m² = 0.5) on 16×16: a CNF layer
// alone reaches ESS ≥ 0.99 and the exact log Z within 4σ. The exact map from
// white noise is linear and diagonal in momentum space, φ̂(k) =
// (κk̂² + m²)^{−1/2} ẑ(k); the CNF's φ feature with a whole-lattice kernel
// gives φ(1) = exp(∫₀¹ K̂_φ(k, t) dt) φ(0) mode by mode, and the orbit-shared
// weights span every function of k with the lattice's symmetries, so the
// layer can represent it exactly (docs/conventions.md §5.19, §9.2). The sin
// features start at zero weight and must stay near it.
func TestCNFLearnsFreeField(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a 16×16 CNF; run without -short")
	}
	const kappa, mSq = 1.0, 0.5
	text := fmt.Sprintf(`seed = 3
[lattice]
shape = [16, 16]
[action]
kind = "phi4"
convention = "seed"
kappa = %g
m_sq = %g
lambd = 0.0
[prior]
kind = "normal"
[[flow.layers]]
kind = "cnf"
steps = 20
freqs = 1
time_freqs = 0
[train]
epochs = 400
batch = 64
lr = 0.03
lr_schedule = "cosine"
weight_decay = 0.0
`, kappa, mSq)
	run, err := config.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	m, err := run.BuildModel()
	if err != nil {
		t.Fatal(err)
	}
	opts, _ := run.TrainOptions()
	tr, err := train.NewTrainer(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err := tr.Fit()
	if err != nil {
		t.Fatal(err)
	}
	tr.Close()
	const n = 20000
	phi := make([]float64, n*m.Size())
	logq, logp := make([]float64, n), make([]float64, n)
	m.Posterior(11, 0, phi, logq, logp)
	logw := make([]float64, n)
	for i := range logw {
		logw[i] = logp[i] - logq[i]
	}
	ess := stats.ESS(logw)
	lz, lzErr := stats.LogZ(logw)
	ff, err := prior.NewFreeField(m.Action.Lattice(), kappa, mSq)
	if err != nil {
		t.Fatal(err)
	}
	exact := ff.LogZ()
	t.Logf("16×16: trained %d epochs in %.1f s (%.1f s with sampling); ESS %.5f, log Z %s, exact %.8f",
		run.Train.Epochs, res.TrainSeconds, time.Since(start).Seconds(), ess, stats.FormatValueError(lz, lzErr, 2), exact)
	if ess < 0.99 {
		t.Errorf("ESS %.4f < 0.99", ess)
	}
	within.Sigmas(t, "16×16: log Z", lz, exact, lzErr+2.5e-13, 4)
}
