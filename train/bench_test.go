package train_test

import (
	"testing"

	"github.com/normflow/normflow-go/config"
	"github.com/normflow/normflow-go/examples"
	"github.com/normflow/normflow-go/train"
)

// BenchmarkSeedExampleEpoch times one training epoch (one optimiser step,
// batch 1024, path gradient) of the seed example. Multiply by 1000 for the
// full run that bench/seed_1site.py times in PyTorch.
func BenchmarkSeedExampleEpoch(b *testing.B) {
	data, _ := examples.FS.ReadFile(examples.Default)
	run, err := config.Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	m, _ := run.BuildModel()
	opts, _ := run.TrainOptions()
	tr, err := train.NewTrainer(m, opts)
	if err != nil {
		b.Fatal(err)
	}
	epoch := 0
	for b.Loop() {
		epoch++
		tr.Step(epoch)
	}
}
