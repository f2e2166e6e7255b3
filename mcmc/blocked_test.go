package mcmc_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/config"
	"github.com/normflow/normflow-go/fft"
	"github.com/normflow/normflow-go/internal/within"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/mcmc"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/stats"
	"github.com/normflow/normflow-go/train"
)

func TestHypercubeBlocks(t *testing.T) {
	shape, block := []int{4, 6}, []int{2, 3}
	blocks, err := mcmc.HypercubeBlocks(shape, block)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 4 {
		t.Fatalf("%d blocks, want 4", len(blocks))
	}
	seen := make([]int, 24)
	for b, sites := range blocks {
		if len(sites) != 6 {
			t.Errorf("block %d has %d sites, want 6", b, len(sites))
		}
		// All sites of block b = (bx, by) lie in rows 2bx, 2bx+1 and columns 3by … 3by+2.
		bx, by := b/2, b%2
		for _, s := range sites {
			seen[s]++
			x, y := s/6, s%6
			if x/2 != bx || y/3 != by {
				t.Errorf("site (%d,%d) in block %d (%d,%d)", x, y, b, bx, by)
			}
		}
	}
	for s, n := range seen {
		if n != 1 {
			t.Errorf("site %d is in %d blocks, want 1", s, n)
		}
	}
	for _, bad := range [][]int{{3, 3}, {0, 6}, {2}, {4, 6, 1}, {-2, 3}} {
		if _, err := mcmc.HypercubeBlocks(shape, bad); err == nil {
			t.Errorf("block %v on %v: no error", bad, shape)
		}
	}
}

// freeFieldModel is a 4×4 free field (seed convention, λ = 0) with a normal
// prior and two affine couplings, briefly trained: a flow that is neither the
// identity nor the target, so the chain's answer relies on the accept/reject
// step and on the log-Jacobian entering w = p/q.
func freeFieldModel(t *testing.T, priorKind string) *model.Model {
	t.Helper()
	priorSettings := "scale = 0.55"
	if priorKind == "free_field" {
		priorSettings = "kappa = 1.0\nm_sq = 0.7"
	}
	run, err := config.Parse([]byte(`seed = 5
[lattice]
shape = [4, 4]
[action]
kind = "phi4"
kappa = 1.0
m_sq = 0.7
lambd = 0.0
[prior]
kind = "` + priorKind + `"
` + priorSettings + `
[[flow.layers]]
kind = "affine_coupling"
repeat = 2
hidden = [4]
zero_init = false
precision = "float64"
`))
	if err != nil {
		t.Fatal(err)
	}
	m, err := run.BuildModel()
	if err != nil {
		t.Fatal(err)
	}
	o := train.DefaultOptions()
	o.Epochs, o.Batch, o.LR, o.Seed, o.Threads = 150, 256, 0.01, 5, 1
	tr, err := train.NewTrainer(m, o)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, err := tr.Fit(); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestBlockedChainFreeField checks a blocked chain (2×2 blocks) against the
// exact free field: ⟨M²⟩·V = 1/m² and ⟨φ(x)²⟩ = (1/V) Σ_k 1/(κk̂² + m²),
// within 4σ of Γ-method errors.
func TestBlockedChainFreeField(t *testing.T) {
	const kappa, mSq = 1.0, 0.7
	m := freeFieldModel(t, "normal")
	shape := []int{4, 4}
	c, err := mcmc.NewBlockedChain(m, shape, []int{2, 2}, 11)
	if err != nil {
		t.Fatal(err)
	}
	if c.NumBlocks() != 4 {
		t.Fatalf("NumBlocks = %d, want 4", c.NumBlocks())
	}
	const n = 100000
	phi, logq, logp, acc, _ := c.Sample(n)
	v := 16
	var exactPhi2 float64
	for _, k2 := range fft.MomentumSquared(lattice.MustNew(shape...)) {
		exactPhi2 += 1 / (kappa*k2 + mSq)
	}
	exactPhi2 /= float64(v)
	m2v, phi2 := make([]float64, n), make([]float64, n)
	for i := 0; i < n; i++ {
		var s, q float64
		for _, x := range phi[i*v : (i+1)*v] {
			s += x
			q += x * x
		}
		m2v[i] = s * s / float64(v)
		phi2[i] = q / float64(v)
	}
	rate, _ := stats.AcceptanceRate(acc)
	t.Logf("blocked acceptance %.3f", rate)
	if rate < 0.05 || rate > 0.98 {
		t.Errorf("acceptance %g: the test flow should make the chain reject sometimes", rate)
	}
	// The recorded log q, log p belong to the configurations.
	for _, i := range []int{0, n / 2, n - 1} {
		got := make([]float64, 1)
		m.Action.Eval(phi[i*v:(i+1)*v], got)
		if !(math.Abs(-got[0]-logp[i]) <= 1e-9) {
			t.Errorf("step %d: log p = %g, −S = %g", i, logp[i], -got[0])
		}
		lq := make([]float64, 1)
		m.LogProb(phi[i*v:(i+1)*v], lq)
		if !(math.Abs(lq[0]-logq[i]) <= 1e-8) {
			t.Errorf("step %d: log q = %g, via the inverse %g", i, logq[i], lq[0])
		}
	}
	for _, c := range []struct {
		name  string
		x     []float64
		exact float64
	}{{"⟨M²⟩V", m2v, 1 / mSq}, {"⟨φ²⟩", phi2, exactPhi2}} {
		r := stats.GammaMethod(c.x, 0)
		t.Logf("%s = %.4f ± %.4f (exact %.4f, τ_int %.1f)", c.name, r.Mean, r.Err, c.exact, r.TauInt)
		within.Sigmas(t, c.name, r.Mean, c.exact, r.Err, 4)
	}
}

// TestChainStateRestores checks that a chain restored from State continues
// bit for bit like the original, for both chain kinds.
func TestChainStateRestores(t *testing.T) {
	m := freeFieldModel(t, "normal")
	type sampler interface {
		Sample(n int) ([]float64, []float64, []float64, []bool, []float64)
		State() mcmc.ChainState
		Restore(mcmc.ChainState) error
	}
	kinds := map[string]func() sampler{
		"independence": func() sampler { return mcmc.NewChain(m, 9) },
		"blocked": func() sampler {
			c, err := mcmc.NewBlockedChain(m, []int{4, 4}, []int{4, 2}, 9)
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
	}
	for name, mk := range kinds {
		whole := mk()
		phiAll, _, _, accAll, _ := whole.Sample(600)
		first := mk()
		first.Sample(250)
		st := first.State()
		second := mk()
		if err := second.Restore(st); err != nil {
			t.Fatal(err)
		}
		phi, _, _, acc, _ := second.Sample(350)
		if !slices.Equal(phi, phiAll[250*16:]) || !slices.Equal(acc, accAll[250:]) {
			t.Errorf("%s: restored chain differs from the uninterrupted one", name)
		}
		if got, want := second.State(), whole.State(); got.Steps != want.Steps || got.Accepted != want.Accepted {
			t.Errorf("%s: counters %d/%d, want %d/%d", name, got.Accepted, got.Steps, want.Accepted, want.Steps)
		}
		// A state of the other kind or size is refused.
		bad := st
		bad.Current = bad.Current[:3]
		if err := mk().Restore(bad); err == nil {
			t.Errorf("%s: state with 3 values restored", name)
		}
	}
	ind := mcmc.NewChain(m, 9)
	bc, _ := mcmc.NewBlockedChain(m, []int{4, 4}, []int{2, 2}, 9)
	if err := ind.Restore(bc.State()); err == nil {
		t.Error("independence chain accepted a blocked chain's state")
	}
	if err := bc.Restore(ind.State()); err == nil {
		t.Error("blocked chain accepted an independence chain's state")
	}
}

func TestBlockedChainNeedsIndependentPrior(t *testing.T) {
	m := freeFieldModel(t, "free_field")
	_, err := mcmc.NewBlockedChain(m, []int{4, 4}, []int{2, 2}, 1)
	if err == nil || !strings.Contains(err.Error(), "independent") {
		t.Errorf("free-field prior: err = %v, want a refusal naming independent variables", err)
	}
}
