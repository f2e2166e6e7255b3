package sungauge_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/normflow/normflow-go/flow"
	"github.com/normflow/normflow-go/internal/within"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/mcmc"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/nn"
	"github.com/normflow/normflow-go/prior"
	"github.com/normflow/normflow-go/stats"
	"github.com/normflow/normflow-go/sun"
	"github.com/normflow/normflow-go/sungauge"
	"github.com/normflow/normflow-go/train"
)

// TestStapleFlowMCMCPlaquette2D: two cycles of stapled-link couplings
// (flow.StapleCoupling, (μ, parity) = (k mod 2, ⌊k/2⌋ mod 2), 8 layers;
// per-site conditioners hidden [16], zero-initialised last layer; splines of
// 6 knots, SU(3) with 2 features), trained by reverse KL with path
// gradients for 400 steps of batch 64 on 2-d SU(2) at β = 2 and SU(3) at
// β = 6, L = 4 (the points of TestFlowMCMCPlaquette2D): the ESS rises, and an
// independence-Metropolis chain of 24000 proposals reproduces the exact
// torus plaquette within 4σ (Γ-method, τ_int included). docs/sun.md §10.7
// gives the acceptances against the plaquette couplings'.
func TestStapleFlowMCMCPlaquette2D(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 8 stapled-link couplings per point; run without -short")
	}
	for _, c := range []struct {
		n     int
		beta  float64
		feats int
	}{{2, 2, 0}, {3, 6, 2}} {
		t.Run(fmt.Sprintf("SU%d", c.n), func(t *testing.T) { stapleFlowPlaquette(t, c.n, c.beta, c.feats) })
	}
}

func stapleFlowPlaquette(t *testing.T, nc int, beta float64, feats int) {
	lat := lattice.MustNew(4, 4)
	w, err := sungauge.NewWilson(lat, nc, beta)
	if err != nil {
		t.Fatal(err)
	}
	const knots = 6
	var layers []flow.Layer
	for k := range 8 {
		np := sun.NewSpectral(nc, knots, feats).NumParams()
		net, err := nn.NewNet(fmt.Sprintf("s%d", k), lat, nn.NetSpec{In: flow.StapleFeatureChannels(nc), Out: np, Hidden: []int{16}, Kernel: 1,
			Activation: []string{"tanh"}, Bias: true, ZeroLast: true}, uint64(k+1))
		if err != nil {
			t.Fatal(err)
		}
		l, err := flow.NewStapleCoupling(fmt.Sprintf("s%d", k), w.Geometry, k%2, (k/2)%2, net, knots, feats)
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, l)
	}
	haar, err := prior.NewHaarSU(nc, w.FieldSize()/(2*nc*nc))
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(haar, flow.NewSequence(layers...), w)
	if err != nil {
		t.Fatal(err)
	}
	opts := train.DefaultOptions()
	opts.Epochs, opts.Batch, opts.LR, opts.PrintStride = 400, 64, 3e-3, 0
	res, err := train.Fit(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	first, last := res.History[0], res.History[res.Epoch]
	t.Logf("SU(%d) β = %g L = 4: trained %d steps of batch %d in %.0f s: ESS %.3f → %.3f, loss %.4f → %.4f, %d skipped",
		nc, beta, res.Epoch, opts.Batch, res.TrainSeconds, first.ESS, last.ESS, first.Loss, last.Loss, res.Skipped)
	if !(last.ESS > first.ESS+0.05) || res.Skipped > 0 {
		t.Errorf("training did not help: ESS %.3f → %.3f (%d steps skipped)", first.ESS, last.ESS, res.Skipped)
	}
	const n = 24000
	chain := mcmc.NewChain(m, 7)
	cfgs, _, _, acc, logw := chain.Sample(n)
	plaq := make([]float64, n)
	for i := range n {
		plaq[i] = w.MeanPlaquette(cfgs[i*w.FieldSize() : (i+1)*w.FieldSize()])
	}
	g := stats.GammaMethod(plaq, 0)
	rate, rateErr := stats.AcceptanceRate(acc)
	exact := sungauge.PlaquetteTorus(nc, beta, 16)
	t.Logf("chain of %d: acceptance %s, proposal ESS %.3f, <P> = %s (τ_int %.2f), exact %.10f: %.1fσ",
		n, stats.FormatValueError(rate, rateErr, 2), stats.ESS(logw), stats.FormatValueError(g.Mean, g.Err, 2), g.TauInt, exact, (g.Mean-exact)/g.Err)
	within.Sigmas(t, "flow-MCMC <P>", g.Mean, exact, g.Err, 4)
	if math.IsNaN(rate) || rate < 0.2 {
		t.Errorf("acceptance %.3f", rate)
	}
}
