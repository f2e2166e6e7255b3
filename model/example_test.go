package model_test

import (
	"fmt"
	"log"

	"github.com/normflow/normflow-go/action"
	"github.com/normflow/normflow-go/flow"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/mcmc"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/observable"
	"github.com/normflow/normflow-go/prior"
	"github.com/normflow/normflow-go/train"
)

// The seed library's example (its README), built by hand: φ⁴ on one site
// with κ = 0, m² = −2, λ = 0.2, a double well S = −φ² + 0.2 φ⁴; a standard
// normal prior; a symmetric distribution convertor with 10 spline knots.
// The model is trained for 500 epochs of the seed's AdamW settings, turned
// into an exact sampler by an independence-Metropolis chain, and ⟨φ²⟩ is
// measured with its jackknife error (exact: 2.0772).
func Example() {
	lat, err := lattice.New(1) // one site; lattice.New(8, 8) for an 8×8 lattice
	if err != nil {
		log.Fatal(err)
	}
	act, err := action.NewPhi4(lat, 0, -2, 0.2, 1) // κ, m², λ, lattice spacing a
	if err != nil {
		log.Fatal(err)
	}
	pr, err := prior.NewNormal(0, 1, lat.Volume()) // mean 0, width 1
	if err != nil {
		log.Fatal(err)
	}
	conv, err := flow.NewDistConvertor("flow.0", 10, true, false) // 10 knots, symmetric, no final scale
	if err != nil {
		log.Fatal(err)
	}
	m, err := model.New(pr, flow.NewSequence(conv), act)
	if err != nil {
		log.Fatal(err)
	}

	opts := train.DefaultOptions() // batch 1024, lr 1e-3, weight decay 0.01, path gradient
	opts.Epochs, opts.Seed = 500, 1
	// opts.Progress = os.Stdout would print the seed's progress lines.
	res, err := train.Fit(m, opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("ess: %.2f at epoch 0, %.2f at epoch %d\n", res.History[0].ESS, res.History[res.Epoch].ESS, res.Epoch)

	chain := mcmc.NewChain(m, 2) // seed 2
	phi, _, _, _, _ := chain.Sample(20000)
	fmt.Printf("acceptance rate: %.2f\n", chain.AcceptanceRate())
	obs := observable.Scalar(phi, lat.Volume(), nil, 0) // a chain: no reweighting; automatic bins
	fmt.Printf("<phi^2> = %.2f ± %.2f\n", obs["phi2"].Mean, obs["phi2"].Err)
	// Output:
	// ess: 0.46 at epoch 0, 0.92 at epoch 500
	// acceptance rate: 0.84
	// <phi^2> = 2.08 ± 0.01
}
