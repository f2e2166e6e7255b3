package train

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
)

// tinyModel is a two-layer flow on a 3-site lattice with random parameters.
func tinyModel(t *testing.T, r *rand.Rand) *model.Model {
	t.Helper()
	lat := lattice.MustNew(3)
	act, _ := action.NewPhi4(lat, 0.4, -1.2, 0.3, 1)
	pr, _ := prior.NewNormal(0, 1, 3)
	a, _ := flow.NewDistConvertor("a", 5, true, true)
	b, _ := flow.NewDistConvertor("b", 4, false, false)
	m, err := model.New(pr, flow.NewSequence(a, b), act)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Params.Params {
		for i := range p.Value {
			p.Value[i] = 0.5 * r.NormFloat64()
		}
	}
	return m
}

// lossAt is mean_i [log r(z_i) − logJ(z_i) + α S(f(z_i))] at the current parameters.
func lossAt(m *model.Model, alpha float64, z []float64, k int) float64 {
	phi := make([]float64, len(z))
	logq := make([]float64, k)
	logp := make([]float64, k)
	m.ForwardBatch(z, phi, logq, logp)
	var s float64
	for i := range logq {
		s += logq[i] - alpha*logp[i]
	}
	return s / float64(k)
}

// pathLossAt is the score-free surrogate of docs/conventions.md §6.3:
// mean_i [log q_{θ0}(f_θ(z_i)) + α S(f_θ(z_i))], log q at the frozen θ0
// (through the inverse flow), the samples at θ. Its θ-derivative at θ = θ0 is
// the path gradient.
func pathLossAt(m *model.Model, alpha float64, frozen []float64, z []float64, k int) float64 {
	phi := make([]float64, len(z))
	logq := make([]float64, k)
	logp := make([]float64, k)
	m.ForwardBatch(z, phi, logq, logp)
	theta := make([]float64, m.Params.Size())
	m.Params.Flatten(theta)
	m.Params.Unflatten(frozen)
	m.LogProb(phi, logq)
	m.Params.Unflatten(theta)
	var s float64
	for i := range logq {
		s += logq[i] - alpha*logp[i]
	}
	return s / float64(k)
}

func TestGradientsAgainstFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	m := tinyModel(t, r)
	const k = 4
	z := make([]float64, k*3)
	for i := range z {
		z[i] = r.NormFloat64()
	}
	theta0 := make([]float64, m.Params.Size())
	m.Params.Flatten(theta0)
	for _, alpha := range []float64{1, 0.3} {
		for _, method := range []Gradient{Plain, Path} {
			g := nn.NewGrads(m.Params)
			// two micro-batches, normalised by the full batch, must add up
			lq, lp := make([]float64, k), make([]float64, k)
			BatchGradient(m, method, alpha, z[:6], lq[:2], lp[:2], k, g)
			BatchGradient(m, method, alpha, z[6:], lq[2:], lp[2:], k, g)
			loss := func() float64 {
				if method == Plain {
					return lossAt(m, alpha, z, k)
				}
				return pathLossAt(m, alpha, theta0, z, k)
			}
			const h = 1e-6
			for i := range theta0 {
				th := append([]float64(nil), theta0...)
				th[i] += h
				m.Params.Unflatten(th)
				lplus := loss()
				th[i] -= 2 * h
				m.Params.Unflatten(th)
				lminus := loss()
				m.Params.Unflatten(theta0)
				fd := (lplus - lminus) / (2 * h)
				if !(math.Abs(fd-g.Data[i]) <= 1e-6*(1+math.Abs(fd))) {
					t.Errorf("%v gradient, α = %g [%d]: %.10g, finite difference %.10g", method, alpha, i, g.Data[i], fd)
				}
			}
		}
	}
}

// The path and plain gradients differ on a batch (the score term is not zero
// sample by sample) but agree in expectation: over a large batch their
// difference is small compared with their size.
func TestPathAndPlainAgreeInExpectation(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	m := tinyModel(t, r)
	const k = 40000
	z := make([]float64, k*3)
	for i := range z {
		z[i] = r.NormFloat64()
	}
	lq, lp := make([]float64, k), make([]float64, k)
	gs := map[Gradient]*nn.Grads{}
	for _, method := range []Gradient{Plain, Path} {
		gs[method] = nn.NewGrads(m.Params)
		BatchGradient(m, method, 1, z, lq, lp, k, gs[method])
	}
	var diff, norm float64
	for i := range gs[Plain].Data {
		d := gs[Plain].Data[i] - gs[Path].Data[i]
		diff += d * d
		norm += gs[Plain].Data[i] * gs[Plain].Data[i]
	}
	if rel := math.Sqrt(diff / norm); rel > 0.05 {
		t.Errorf("|plain − path| / |plain| = %.3g over %d samples", rel, k)
	}
}
