package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/store"
)

// lattice4x4 is a small 2-d run for chain tests: 4×4 φ⁴, normal prior, two
// affine couplings, trained briefly.
const lattice4x4 = `seed = 2
[lattice]
shape = [4, 4]
[action]
kind = "phi4"
kappa = 0.5
m_sq = 1.0
lambd = 0.2
[[flow.layers]]
kind = "affine_coupling"
repeat = 2
hidden = [4]
[train]
epochs = 30
batch = 64
`

// readChain reads phi, logq and accepted of an ensemble file.
func readChain(t *testing.T, path string) (phi, logq []float64, acc []bool) {
	t.Helper()
	arrays, err := store.ReadNPZ(path)
	if err != nil {
		t.Fatal(err)
	}
	phi, err = arrays["phi"].Float64s()
	if err != nil {
		t.Fatal(err)
	}
	logq, err = arrays["logq"].Float64s()
	if err != nil {
		t.Fatal(err)
	}
	acc, _ = arrays["accepted"].Data.([]bool)
	return phi, logq, acc
}

// TestChainContinues checks that `sample --continue` carries the saved chain
// on bit for bit, for independence and blocked chains, and that mismatched
// continuations are refused with exit status 2 and nothing written.
func TestChainContinues(t *testing.T) {
	wd := t.TempDir()
	mustRun(t, wd, "train", "--config", writeConfig(t, lattice4x4), "--out", "r")
	for _, kind := range []struct {
		name  string
		flags []string
	}{{"independence", []string{"--mcmc"}}, {"blocked", []string{"--block", "2"}}} {
		args := func(extra ...string) []string {
			return append(append([]string{"sample", "--run", "r", "--json"}, kind.flags...), extra...)
		}
		mustRun(t, wd, args("--n", "3000", "--seed", "4", "--out", kind.name+"-whole.npz")...)
		mustRun(t, wd, args("--n", "1000", "--seed", "4", "--out", kind.name+"-1.npz")...)
		r := mustRun(t, wd, "sample", "--run", "r", "--json", "--continue", "--n", "2000", "--out", kind.name+"-2.npz")
		var rep struct {
			Chain      string   `json:"chain"`
			ChainSteps uint64   `json:"chain_steps"`
			ESS        *float64 `json:"ess"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Chain != kind.name || rep.ChainSteps != 3000 {
			t.Errorf("%s: continued report: chain %q, chain_steps %d, want %s, 3000", kind.name, rep.Chain, rep.ChainSteps, kind.name)
		}
		if (rep.ESS == nil) != (kind.name == "blocked") {
			t.Errorf("%s: ess = %v (a blocked chain's proposals give no ESS)", kind.name, rep.ESS)
		}
		phiW, lqW, accW := readChain(t, filepath.Join(wd, kind.name+"-whole.npz"))
		phi1, lq1, acc1 := readChain(t, filepath.Join(wd, kind.name+"-1.npz"))
		phi2, lq2, acc2 := readChain(t, filepath.Join(wd, kind.name+"-2.npz"))
		if !slices.Equal(append(phi1, phi2...), phiW) || !slices.Equal(append(lq1, lq2...), lqW) || !slices.Equal(append(acc1, acc2...), accW) {
			t.Errorf("%s: 1000 steps + --continue 2000 differs from 3000 steps", kind.name)
		}
		k := 0
		for _, a := range accW {
			if a {
				k++
			}
		}
		t.Logf("%s chain: %d of 3000 accepted", kind.name, k)
		if k < 30 || k == 3000 {
			t.Errorf("%s chain: %d of 3000 accepted", kind.name, k)
		}
	}

	// Refusals: exit 2, one line naming the problem, nothing changed.
	other := filepath.Join(t.TempDir(), "other")
	mustRun(t, wd, "train", "--config", writeConfig(t, lattice4x4), "--seed", "7", "--out", other)
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"other seed", []string{"sample", "--run", "r", "--continue", "--seed", "5"}, []string{"--seed 5", "seed 4"}},
		{"other blocks", []string{"sample", "--run", "r", "--continue", "--block", "4,2"}, []string{"--block [4 2]", "[2 2]"}},
		{"no saved chain", []string{"sample", "--run", other, "--continue"}, []string{"no saved chain", "--mcmc"}},
		{"bad block", []string{"sample", "--run", "r", "--block", "3"}, []string{"--block [3 3]", "divisor", "4"}},
		{"block axes", []string{"sample", "--run", "r", "--block", "2,2,2"}, []string{"--block [2 2 2]", "2 axes"}},
	} {
		t.Run(c.name, func(t *testing.T) { checkBadInput(t, wd, c.args, c.want) })
	}
	// A chain saved with another model is refused.
	data, err := os.ReadFile(filepath.Join(wd, "r", "chain.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "chain.safetensors"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	r := normflow(t, wd, "sample", "--run", other, "--continue")
	if r.code != 2 || !strings.Contains(r.stderr, "another model") {
		t.Errorf("chain of another model: exit %d, stderr %q", r.code, r.stderr)
	}
}
