package main

import (
	"strings"
	"testing"
)

// seedProgress are the first progress lines of `normflow train` with no
// --config: the embedded seed example (examples/seed_1site.toml) with its own
// seed (seed = 1). They are deterministic for a given seed: the batch of epoch
// t is drawn from the random streams (seed, t, i) and gradients are summed
// over fixed micro-batches in a fixed order, so they are the same on every
// run and for any --threads. A change of any number here means that the
// training changed (the model, the random streams, the gradient, the
// optimiser or the metrics), not that the test is flaky: if the change is
// intended, run `normflow train --out /tmp/x` and copy the new lines (and
// refresh the README's "The seed example").
var seedProgress = []string{
	">>> Checking the current status of the model <<<",
	"Epoch: 0 | loss: -1.8376 | ess: 0.4642 | log(p): 0.41(70)",
	">>> Training started for 1000 epochs <<<",
	"Epoch: 100 | loss: -1.9538 | ess: 0.5946 | log(p): 0.44(96)",
}

// TestSeedExampleProgress runs the seed example as a user does (the full
// 1000 epochs, half a second) with one and with two threads: the first
// progress lines are exactly seedProgress, and the two runs print the same
// epoch lines throughout.
func TestSeedExampleProgress(t *testing.T) {
	wd := t.TempDir()
	var epochs [2][]string
	for i, threads := range []string{"1", "2"} {
		r := mustRun(t, wd, "train", "--threads", threads, "--out", "run"+threads)
		lines := strings.Split(r.stdout, "\n")
		if len(lines) < len(seedProgress) {
			t.Fatalf("--threads %s: %d lines of output:\n%s", threads, len(lines), r.stdout)
		}
		for j, want := range seedProgress {
			if lines[j] != want {
				t.Errorf("--threads %s: line %d is\n\t%q\nwant\n\t%q", threads, j+1, lines[j], want)
			}
		}
		for _, l := range lines {
			if strings.HasPrefix(l, "Epoch: ") {
				epochs[i] = append(epochs[i], l)
			}
		}
	}
	if len(epochs[0]) != 11 {
		t.Errorf("%d epoch lines, want 11 (epochs 0, 100, …, 1000)", len(epochs[0]))
	}
	if strings.Join(epochs[0], "\n") != strings.Join(epochs[1], "\n") {
		t.Errorf("the progress differs between --threads 1 and 2:\n%s\nvs\n%s",
			strings.Join(epochs[0], "\n"), strings.Join(epochs[1], "\n"))
	}
}
