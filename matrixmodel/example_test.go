package matrixmodel_test

import (
	"fmt"
	"log"

	"github.com/normflow/normflow-go/flow"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/matrixmodel"
	"github.com/normflow/normflow-go/mcmc"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/prior"
	"github.com/normflow/normflow-go/stats"
	"github.com/normflow/normflow-go/train"
)

// One SU(2) matrix with p(U) ∝ exp((β/2) Re Tr U) at β = 2, built by hand
// (examples/su2_matrix.toml is the same run description): the matrix
// action, the Haar prior and one conjugation-equivariant spectral layer,
// trained for 200 steps; an independence-Metropolis chain then measures
// ⟨(1/2) Re Tr U⟩ (exact: I₂(2)/I₁(2) = 0.4331) with its Γ-method error.
func ExampleNewAction() {
	lat, err := lattice.New() // no axes: one matrix
	if err != nil {
		log.Fatal(err)
	}
	act, err := matrixmodel.NewAction(lat, 2, 2, []float64{1}) // SU(2), β = 2, S = −(β/2) Re Tr U
	if err != nil {
		log.Fatal(err)
	}
	pr, err := prior.NewHaarSU(2, act.Matrices())
	if err != nil {
		log.Fatal(err)
	}
	sp, err := flow.NewSpectral("flow.0", 2, 8, 0) // SU(2), 8 knots
	if err != nil {
		log.Fatal(err)
	}
	m, err := model.New(pr, flow.NewSequence(sp), act)
	if err != nil {
		log.Fatal(err)
	}
	opts := train.DefaultOptions()
	opts.Epochs, opts.Batch, opts.LR, opts.Seed = 200, 512, 1e-2, 1
	res, err := train.Fit(m, opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("ess above 0.99 after %d steps: %v\n", res.Epoch, res.History[res.Epoch].ESS > 0.99)

	phi, _, _, _, _ := mcmc.NewChain(m, 2).Sample(20000)
	g := stats.GammaMethod(act.SeriesMeanTrace(phi), 0)
	exact, _ := act.MeanTrace()
	fmt.Printf("<Re Tr U>/2 within 4σ of %.4f: %v\n", exact, g.Mean-exact < 4*g.Err && exact-g.Mean < 4*g.Err)
	// Output:
	// ess above 0.99 after 200 steps: true
	// <Re Tr U>/2 within 4σ of 0.4331: true
}
