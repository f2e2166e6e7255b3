package sungauge_test

import (
	"fmt"
	"testing"

	"github.com/normflow/normflow-go/flow"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/nn"
	"github.com/normflow/normflow-go/sun"
	"github.com/normflow/normflow-go/sungauge"
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
	checkFlowPlaquette(t, w, layers, nc, beta)
}
