package config_test

import (
	"fmt"
	"log"

	"github.com/normflow/normflow-go/config"
	"github.com/normflow/normflow-go/observable"
	"github.com/normflow/normflow-go/stats"
	"github.com/normflow/normflow-go/train"
)

// The seed library's example from a run description, the way `normflow
// train` runs it: Parse → BuildModel → TrainOptions → train.NewTrainer → Fit,
// then ⟨φ²⟩ from reweighted flow samples. Keys left out take their
// documented defaults (examples/seed_1site.toml lists them all); the model
// and its training are those of the same example built by hand (package
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

	// Raw flow samples, reweighted with w = p/q (package model's example
	// uses an independence-Metropolis chain instead).
	const n = 20000
	phi, logq, logp := make([]float64, n*m.Size()), make([]float64, n), make([]float64, n)
	m.Posterior(2, 0, phi, logq, logp)
	logw := make([]float64, n)
	for i := range logw {
		logw[i] = logp[i] - logq[i]
	}
	fmt.Printf("ess of %d samples: %.2f\n", n, stats.ESS(logw))
	phi2 := observable.Scalar(phi, m.Size(), logw, 0)["phi2"]
	fmt.Printf("<phi^2> = %.2f ± %.2f\n", phi2.Mean, phi2.Err)
	// Output:
	// ess: 0.46 at epoch 0, 0.92 at epoch 500
	// ess of 20000 samples: 0.92
	// <phi^2> = 2.08 ± 0.01
}
