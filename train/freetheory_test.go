package train_test

import (
	"fmt"
	"testing"

	"github.com/normflow/normflow-go/config"
	"github.com/normflow/normflow-go/internal/within"
	"github.com/normflow/normflow-go/prior"
	"github.com/normflow/normflow-go/stats"
	"github.com/normflow/normflow-go/train"
)

// Free theory (λ = 0, m² > 0): a Fourier block alone can represent the exact
// map from white noise to the free field. Trained on 8×8 and 16×16 it reaches
// ESS ≥ 0.99, and its log Z estimate agrees with the exact free-field
// log Z = (V/2) log 2π − ½ Σ_k log(κk̂² + m²) (docs/conventions.md §9.2) within 4σ.
func TestFourierLearnsFreeField(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two Fourier flows (~25 s); run without -short")
	}
	const kappa, mSq = 1.0, 0.5
	for _, L := range []int{8, 16} {
		text := fmt.Sprintf(`seed = 3
[lattice]
shape = [%d, %d]
[action]
kind = "phi4"
convention = "seed"
kappa = %g
m_sq = %g
lambd = 0.0
[prior]
kind = "normal"
[[flow.layers]]
kind = "fourier"
[train]
epochs = 2000
batch = 256
lr = 0.2
lr_schedule = "cosine"
weight_decay = 0.0
`, L, L, kappa, mSq)
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
		if _, err := tr.Fit(); err != nil {
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
		t.Logf("%d×%d: ESS %.5f, log Z %s, exact %.8f", L, L, ess, stats.FormatValueError(lz, lzErr, 2), exact)
		if ess < 0.99 {
			t.Errorf("%d×%d: ESS %.4f < 0.99", L, L, ess)
		}
		// 2.5e-13 keeps the tolerance above round-off when the ESS is 1.
		within.Sigmas(t, fmt.Sprintf("%d×%d: log Z", L, L), lz, exact, lzErr+2.5e-13, 4)
	}
}
