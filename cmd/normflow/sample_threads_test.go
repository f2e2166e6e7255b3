package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `normflow sample --threads` changes how many goroutines draw the samples,
// not the samples: raw flow samples and an independence-Metropolis chain of
// the φ⁴ example (more configurations than one worker's chunk) are the same
// file and the same report, byte for byte, on 1, 2 and 3 threads; a negative
// count is bad input.
func TestSampleThreads(t *testing.T) {
	dir := t.TempDir()
	cfg, err := filepath.Abs("../../examples/phi4_2d_affine.toml")
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, dir, "train", "--config", cfg, "--epochs", "5", "--batch", "64", "--out", "r", "--print-stride", "5")
	for _, mode := range [][]string{{"--n", "3000"}, {"--n", "3000", "--mcmc"}} {
		var first []byte
		var report string
		for _, thr := range []string{"1", "2", "3"} {
			args := append([]string{"sample", "--run", "r", "--quiet", "--seed", "3", "--threads", thr, "--out", "s" + thr + ".npz"}, mode...)
			r := mustRun(t, dir, args...)
			b, err := os.ReadFile(filepath.Join(dir, "s"+thr+".npz"))
			if err != nil {
				t.Fatal(err)
			}
			rep := strings.ReplaceAll(r.stdout, "s"+thr+".npz", "OUT")
			if first == nil {
				first, report = b, rep
				continue
			}
			if string(b) != string(first) || rep != report {
				t.Errorf("%v --threads %s: the ensemble or the report differs from --threads 1:\n%s\n%s", mode, thr, rep, report)
			}
		}
	}
	checkBadInput(t, dir, []string{"sample", "--run", "r", "--threads", "-1", "--out", "bad.npz"}, []string{"--threads = -1"})
}
