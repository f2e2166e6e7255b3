package main

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// matrixConfig is a short SU(3) one-matrix run (docs/sun.md §11, §13).
const matrixConfig = `seed = 3
[lattice]
shape = []
[action]
kind = "matrix"
n = 3
beta = 6.0
coeffs = [1.0]
[prior]
kind = "haar"
[[flow.layers]]
kind = "spectral"
knots = 6
freqs = 1
[train]
epochs = 40
batch = 128
lr = 1e-2
print_stride = 20
`

// TestMatrixBadInput: bad matrix-model run descriptions, and HMC on a
// matrix action, exit 2 with one line naming the value and write nothing.
func TestMatrixBadInput(t *testing.T) {
	cases := []struct{ old, new, want string }{
		{"n = 3", "n = 4", "action.n = 4: allowed: 2, 3"},
		{"coeffs = [1.0]", "coeffs = []", "action.coeffs is empty"},
		{"kind = \"spectral\"\nknots = 6\nfreqs = 1", "kind = \"affine_coupling\"", "takes spectral layers only"},
		{"kind = \"haar\"", "kind = \"normal\"", "needs prior kind \"haar\""},
	}
	for _, c := range cases {
		if strings.Count(matrixConfig, c.old) != 1 {
			t.Fatalf("matrixConfig has %d copies of %q", strings.Count(matrixConfig, c.old), c.old)
		}
		wd := t.TempDir()
		cfg := writeConfig(t, strings.Replace(matrixConfig, c.old, c.new, 1))
		r := normflow(t, wd, "train", "--config", cfg, "--out", "r")
		if r.code != 2 || !strings.Contains(r.stderr, c.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("train with %q: exit %d, stderr %q; want exit 2 and one line naming %q", c.new, r.code, r.stderr, c.want)
		}
		if ents, _ := os.ReadDir(wd); len(ents) != 0 {
			t.Errorf("train with %q wrote %d entries", c.new, len(ents))
		}
	}
	phi4 := "[lattice]\nshape = [4]\n[action]\nkappa = 0.1\nm_sq = 1.0\nlambd = 0.1\n[[flow.layers]]\nkind = \"spectral\"\n"
	wd := t.TempDir()
	if r := normflow(t, wd, "train", "--config", writeConfig(t, phi4), "--out", "r"); r.code != 2 || !strings.Contains(r.stderr, "needs action kind \"matrix\"") {
		t.Errorf("spectral layer on phi4: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := normflow(t, wd, "hmc", "--config", writeConfig(t, matrixConfig), "--n", "10", "--out", "h.npz"); r.code != 2 || !strings.Contains(r.stderr, "SU(3) matrix fields are not supported") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("hmc on a matrix action: exit %d, stderr %q", r.code, r.stderr)
	}
	if ents, _ := os.ReadDir(wd); len(ents) != 0 {
		t.Errorf("the refused commands wrote %d entries", len(ents))
	}
}

// TestMatrixTrainAndChain: a matrix run trains end to end (the ESS rises
// from its epoch-0 value) and `sample --mcmc` runs a chain on it.
func TestMatrixTrainAndChain(t *testing.T) {
	wd := t.TempDir()
	cfg := writeConfig(t, matrixConfig)
	r := normflow(t, wd, "train", "--config", cfg, "--out", "run")
	if r.code != 0 || !strings.Contains(r.stdout, "Epoch: 40 |") {
		t.Fatalf("train: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	m := regexp.MustCompile(`(?m)^Epoch: (0|40) \| loss: \S+ \| ess: (\S+)`).FindAllStringSubmatch(r.stdout, -1)
	if len(m) != 2 {
		t.Fatalf("train: no progress lines for epochs 0 and 40 in\n%s", r.stdout)
	}
	ess0, _ := strconv.ParseFloat(m[0][2], 64)
	ess40, _ := strconv.ParseFloat(m[1][2], 64)
	if !(ess40 > ess0+0.2) {
		t.Errorf("ESS %g at epoch 0, %g at epoch 40: training did not improve the flow", ess0, ess40)
	}
	r = normflow(t, wd, "sample", "--run", "run", "--mcmc", "--n", "2000")
	if r.code != 0 || !strings.Contains(r.stdout, "accept rate:") {
		t.Fatalf("sample --mcmc: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
}
