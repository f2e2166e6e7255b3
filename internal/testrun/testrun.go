// Package testrun trains the embedded examples for physics tests in other
// packages, exactly as `normflow train` would (quietly), and gives the short
// run description the run and ensemble tests train.
package testrun

import (
	"testing"

	"github.com/normflow/normflow-go/config"
	"github.com/normflow/normflow-go/examples"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/train"
)

// Example trains the embedded example name (examples/NAME) and returns its
// run description, the trained model and the training result. Any error
// fails the test.
func Example(t testing.TB, name string) (*config.Run, *model.Model, train.Result) {
	t.Helper()
	data, err := examples.FS.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	run, err := config.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	m, err := run.BuildModel()
	if err != nil {
		t.Fatal(err)
	}
	opts, err := run.TrainOptions()
	if err != nil {
		t.Fatal(err)
	}
	opts.Progress = nil // quiet
	res, err := train.Fit(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	return run, m, res
}

// ShortSeed is the embedded seed example cut to 30 epochs of batch 256: a
// run description that trains in a moment (tests of run directories and
// ensembles).
func ShortSeed(t testing.TB) *config.Run {
	t.Helper()
	data, err := examples.FS.ReadFile(examples.Default)
	if err != nil {
		t.Fatal(err)
	}
	run, err := config.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	run.Train.Epochs, run.Train.Batch = 30, 256
	return run
}
