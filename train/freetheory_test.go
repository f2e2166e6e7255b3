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

// The free theory of these tests: λ = 0, seed convention κ = 1, m² = 0.5.
const freeKappa, freeMSq = 1.0, 0.5

// checkLearnsFreeField trains the flow of layers (the [[flow.layers]] tables)
// with the [train] table trainTOML on the L×L free theory, draws 20 000
// posterior samples and checks ESS ≥ 0.99 and the log Z estimate against the
// exact free-field log Z = (V/2) log 2π − ½ Σ_k log(κk̂² + m²)
// (docs/conventions.md §9.2) within 4σ.
func checkLearnsFreeField(t *testing.T, L int, layers, trainTOML string) {
	t.Helper()
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
%s
[train]
%s`, L, L, freeKappa, freeMSq, layers, trainTOML)
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
	ff, err := prior.NewFreeField(m.Action.Lattice(), freeKappa, freeMSq)
	if err != nil {
		t.Fatal(err)
	}
	exact := ff.LogZ()
	t.Logf("%d×%d: trained %d epochs in %.1f s (%.1f s with sampling); ESS %.5f, log Z %s, exact %.8f",
		L, L, run.Train.Epochs, res.TrainSeconds, time.Since(start).Seconds(), ess, stats.FormatValueError(lz, lzErr, 2), exact)
	if ess < 0.99 {
		t.Errorf("%d×%d: ESS %.4f < 0.99", L, L, ess)
	}
	// 2.5e-13 keeps the tolerance above round-off when the ESS is 1.
	within.Sigmas(t, fmt.Sprintf("%d×%d: log Z", L, L), lz, exact, lzErr+2.5e-13, 4)
}

// A Fourier block alone can represent the exact map from white noise to the
// free field. Trained on 8×8 and 16×16 it reaches ESS ≥ 0.99 and the exact
// log Z within 4σ.
func TestFourierLearnsFreeField(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two Fourier flows (~25 s); run without -short")
	}
	for _, L := range []int{8, 16} {
		checkLearnsFreeField(t, L, `[[flow.layers]]
kind = "fourier"`, `epochs = 2000
batch = 256
lr = 0.2
lr_schedule = "cosine"
weight_decay = 0.0`)
	}
}

// A CNF layer alone on 16×16 reaches ESS ≥ 0.99 and the exact log Z within
// 4σ. The exact map from white noise is linear and diagonal in momentum
// space, φ̂(k) = (κk̂² + m²)^{−1/2} ẑ(k); the CNF's φ feature with a
// whole-lattice kernel gives φ(1) = exp(∫₀¹ K̂_φ(k, t) dt) φ(0) mode by mode,
// and the orbit-shared weights span every function of k with the lattice's
// symmetries, so the layer can represent it exactly (docs/conventions.md
// §5.19, §9.2). The sin features start at zero weight and must stay near it.
func TestCNFLearnsFreeField(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a 16×16 CNF; run without -short")
	}
	checkLearnsFreeField(t, 16, `[[flow.layers]]
kind = "cnf"
steps = 20
freqs = 1
time_freqs = 0`, `epochs = 400
batch = 64
lr = 0.03
lr_schedule = "cosine"
weight_decay = 0.0`)
}
