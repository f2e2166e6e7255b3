package config_test

import (
	"fmt"
	"log"

	"github.com/normflow/normflow-go/config"
	"github.com/normflow/normflow-go/mcmc"
	"github.com/normflow/normflow-go/observable"
	"github.com/normflow/normflow-go/train"
)

// The seed library's example from a run description, the way `normflow
// train` runs it: Parse → BuildModel → TrainOptions → train.NewTrainer → Fit,
// then an independence-Metropolis chain and ⟨φ²⟩. Keys left out take their
// documented defaults (examples/seed_1site.toml lists them all); the model
// and the numbers are those of the same example built by hand (package
// model's example).
func Example() {
	run, err := config.Parse([]byte(`
seed = 1

[lattice]
shape = [1]

[action]
kind = "phi4"
kappa = 0.0
m_sq = -2.0
lambd = 0.2

[prior]
kind = "normal"

[[flow.layers]]
kind = "dist_convertor"
knots = 10
symmetric = true

[train]
epochs = 500
`))
	if err != nil {
		log.Fatal(err)
	}
	m, err := run.BuildModel()
	if err != nil {
		log.Fatal(err)
	}
	opts, err := run.TrainOptions()
	if err != nil {
		log.Fatal(err)
	}
	tr, err := train.NewTrainer(m, opts)
	if err != nil {
		log.Fatal(err)
	}
	defer tr.Close()
	res, err := tr.Fit()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("ess: %.2f at epoch 0, %.2f at epoch %d\n", res.History[0].ESS, res.History[res.Epoch].ESS, res.Epoch)

	chain := mcmc.NewChain(m, 2)
	phi, _, _, _, _ := chain.Sample(20000)
	fmt.Printf("acceptance rate: %.2f\n", chain.AcceptanceRate())
	obs := observable.Scalar(phi, m.Size(), nil, 0)
	fmt.Printf("<phi^2> = %.2f ± %.2f\n", obs["phi2"].Mean, obs["phi2"].Err)
	// Output:
	// ess: 0.46 at epoch 0, 0.92 at epoch 500
	// acceptance rate: 0.84
	// <phi^2> = 2.08 ± 0.01
}
