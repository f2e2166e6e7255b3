package model_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/normflow/normflow-go/action"
	"github.com/normflow/normflow-go/flow"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/nn"
	"github.com/normflow/normflow-go/prior"
	"github.com/normflow/normflow-go/rng"
)

// logJModel is a φ⁴ model on lat with the flow f (parameters randomised
// with scale s by the caller) and n prior draws.
func logJModel(t *testing.T, lat *lattice.Lattice, f flow.Layer, n int) (*model.Model, []float64) {
	t.Helper()
	act, _ := action.NewPhi4(lat, 0.3, -1, 0.4, 1)
	pr, _ := prior.NewNormal(0, 1, lat.Volume())
	m, err := model.New(pr, f, act)
	if err != nil {
		t.Fatal(err)
	}
	z := make([]float64, n*m.Size())
	for i := range n {
		s := rng.New(7, model.DomainPosterior, uint64(i))
		pr.Sample(&s, z[i*m.Size():(i+1)*m.Size()])
	}
	return m, z
}

func randomise(ps []*nn.Param, r *rand.Rand, scale float64) {
	for _, p := range ps {
		for i := range p.Value {
			p.Value[i] += scale * r.NormFloat64()
		}
	}
}

// For layers whose logJ is exact (PSD block, affine couplings), the
// finite-difference log|det| of the whole map equals the reported logJ.
func TestCheckLogJExactFlow(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, shape := range [][]int{{4, 4}, {3, 3}} {
		lat := lattice.MustNew(shape...)
		psd, err := flow.NewPSD("psd", lat, 6, true, true, 5)
		if err != nil {
			t.Fatal(err)
		}
		randomise(psd.Params(), r, 0.3)
		layers := []flow.Layer{psd}
		net := nn.NetSpec{Hidden: []int{4}, Kernel: 3, Activation: []string{"tanh"}, Bias: true, Precision: "float64"}
		for k := range 2 {
			a, err := flow.NewAffine("a"+string(rune('0'+k)), lat, flow.Checkerboard(lat, k), net, rng.New(5, uint64(k)), flow.AffineOptions{})
			if err != nil {
				t.Fatal(err)
			}
			randomise(a.Params(), r, 0.3)
			layers = append(layers, a)
		}
		m, z := logJModel(t, lat, flow.NewSequence(layers...), 3)
		for i, c := range m.CheckLogJ(z, 0) {
			if c.LogJ == 0 || math.Abs(c.Delta) > 1e-6 || c.Sign != 1 {
				t.Errorf("%v, sample %d: logJ %.10g, FD log|det| %.10g (sign %g), δ %.3g", shape, i, c.LogJ, c.LogDet, c.Sign, c.Delta)
			}
		}
	}
}

// For a CNF layer with random weights, δ = logJ − log|det| of the RK4 map
// falls like h⁴ with the step count (measured: max |δ| 0.048, 1.2e-3 and
// 1.7e-7 at 4, 8 and 80 steps) and is below 1e-6 at 80 steps.
func TestCheckLogJCNFSteps(t *testing.T) {
	lat := lattice.MustNew(4, 4)
	opts := flow.CNFOptions{Steps: 4, Freqs: 3, TimeFreqs: 2, Local: true}
	c, err := flow.NewCNF("cnf", lat, opts)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	randomise([]*nn.Param{c.Weights}, r, 0.4/4) // 0.4/√(16 offsets)
	randomise([]*nn.Param{c.Freqs, c.LocalFreqs}, r, 0.3)
	randomise([]*nn.Param{c.LocalWeights}, r, 0.4)
	m, z := logJModel(t, lat, c, 4)
	maxDelta := func(steps int) float64 {
		c.Opts.Steps = steps
		d := 0.0
		for _, ch := range m.CheckLogJ(z, 0) {
			d = max(d, math.Abs(ch.Delta))
		}
		return d
	}
	d4, d8, d80 := maxDelta(4), maxDelta(8), maxDelta(80)
	t.Logf("max |δ|: steps 4 %.3g, 8 %.3g, 80 %.3g", d4, d8, d80)
	if !(d4 > 1e-4) {
		t.Errorf("steps 4: max |δ| = %.3g: the layer is too tame to test the step dependence", d4)
	}
	if !(d8 < d4/8) {
		t.Errorf("max |δ| falls only from %.3g (4 steps) to %.3g (8 steps): want at least 8× (h⁴: 16×)", d4, d8)
	}
	if !(d80 < 1e-6) {
		t.Errorf("steps 80: max |δ| = %.3g, want < 1e-6", d80)
	}
}
