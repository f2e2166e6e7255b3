package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/normflow/normflow-go/examples"
	"github.com/normflow/normflow-go/internal/within"
	"github.com/normflow/normflow-go/run"
	"github.com/normflow/normflow-go/store"
	"github.com/normflow/normflow-go/sungauge"
)

// sunFlowConfig is a small SU(n) gauge flow on shape: a cycle of
// gauge_coupling layers (repeat), a few epochs.
func sunFlowConfig(shape string, n int, beta float64, repeat int) string {
	return fmt.Sprintf(`seed = 5
[lattice]
shape = %s
[action]
kind = "wilson"
n = %d
beta = %g
[[flow.layers]]
kind = "gauge_coupling"
repeat = %d
knots = 4
hidden = [4]
[train]
epochs = 12
batch = 16
lr = 3e-3
print_stride = 6
`, shape, n, beta, repeat)
}

// TestSUNFlowCLI: train, sample (chain, .npz) and measure work for SU(N)
// gauge flows (2-d SU(2) 4×4, 2-d SU(3) 2×4 with period 2, 4-d SU(2) 2⁴):
// the ensemble holds U [N, d, lattice…, n, n] of special unitary matrices,
// the sample report prints the link observables (and no scalar ones) with
// the same plaquette as measure; --threads 1 and 2 train bit-identical
// models; --stop-at then --resume gives the run done in one go.
func TestSUNFlowCLI(t *testing.T) {
	wd := t.TempDir()
	for _, c := range []struct {
		name    string
		shape   []int
		n       int
		beta    float64
		repeat  int
		threads bool
	}{
		{"su2_4x4", []int{4, 4}, 2, 2, 8, true},
		{"su3_2x4", []int{2, 4}, 3, 6, 4, false},
		{"su2_2x2x2x2", []int{2, 2, 2, 2}, 2, 2, 8, false},
	} {
		shape := strings.ReplaceAll(fmt.Sprint(c.shape), " ", ", ")
		cfg := writeConfig(t, sunFlowConfig(shape, c.n, c.beta, c.repeat))
		mustRun(t, wd, "train", "--config", cfg, "--threads", "1", "--out", c.name)
		if c.threads {
			mustRun(t, wd, "train", "--config", cfg, "--threads", "2", "--out", c.name+"_t2")
			for _, f := range []string{run.ModelFile, run.HistoryFile} {
				a, _ := os.ReadFile(filepath.Join(wd, c.name, f))
				b, _ := os.ReadFile(filepath.Join(wd, c.name+"_t2", f))
				if len(a) == 0 || !bytes.Equal(a, b) {
					t.Errorf("%s: %s differs between --threads 1 and --threads 2", c.name, f)
				}
			}
			mustRun(t, wd, "train", "--config", cfg, "--out", c.name+"_split", "--stop-at", "5", "--save-every", "2")
			mustRun(t, wd, "train", "--resume", c.name+"_split", "--threads", "2")
			sameRun(t, filepath.Join(wd, c.name), filepath.Join(wd, c.name+"_split"))
		}
		const n = 300
		r := mustRun(t, wd, "sample", "--run", c.name, "--n", fmt.Sprint(n), "--mcmc", "--quiet", "--out", c.name+".npz")
		for _, w := range []string{"accept rate:", "<Re tr U_P>/N:", "W(1,1):", "<|P|>:", "chi_P:"} {
			if strings.Count(r.stdout, w) != 1 {
				t.Errorf("%s: sample report has %q %d times:\n%s", c.name, w, strings.Count(r.stdout, w), r.stdout)
			}
		}
		if strings.Contains(r.stdout, "phi^2") || strings.Contains(r.stdout, "cos theta_P") {
			t.Errorf("%s: sample report on SU(N) links shows other fields' observables:\n%s", c.name, r.stdout)
		}
		arrays, err := store.ReadNPZ(filepath.Join(wd, c.name+".npz"))
		if err != nil {
			t.Fatal(err)
		}
		u, ok := arrays["U"]
		want := append(append([]int{n, len(c.shape)}, c.shape...), c.n, c.n)
		if !ok || !reflect.DeepEqual(u.Shape, want) {
			t.Fatalf("%s: arrays %v, U of shape %v, want %v", c.name, keys(arrays), u.Shape, want)
		}
		rep := measureJSON(t, wd, c.name+".npz")
		if rep.N != n || rep.ColorN != c.n || !rep.Links || rep.Dim != len(c.shape) {
			t.Errorf("%s: measure: n %d, color_n %d, links %v, dim %d", c.name, rep.N, rep.ColorN, rep.Links, rep.Dim)
		}
		p := rep.Observables["plaquette"]
		if !(p.Mean > 0 && p.Mean < 1) {
			t.Errorf("%s: plaquette %v", c.name, p.Mean)
		}
	}
}

// TestSUNFlowPlaquetteCLI: examples/su2_2d.toml's flow (two cycles of 8 gauge
// couplings on SU(2) links at β = 2) on the 4×4 torus, trained through the
// CLI for the example's 500 epochs; an independence-Metropolis chain of 20000
// steps reproduces the exact torus plaquette (sungauge.PlaquetteTorus)
// within 4σ (Γ-method errors of measure).
func TestSUNFlowPlaquetteCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("trains an SU(2) gauge flow and runs a chain of 20000 through the CLI; run without -short")
	}
	data, err := examples.FS.ReadFile("su2_2d.toml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if strings.Count(text, "shape = [8, 8]") != 1 {
		t.Fatalf("su2_2d.toml: no line shape = [8, 8]")
	}
	wd := t.TempDir()
	cfg := writeConfig(t, strings.Replace(text, "shape = [8, 8]", "shape = [4, 4]", 1))
	start := time.Now()
	// In pieces of at most 125 epochs, each well under the 60 s a command
	// may take here (resumed runs are the run done in one go: TestSUNFlowCLI).
	mustRun(t, wd, "train", "--config", cfg, "--out", "r", "--stop-at", "125")
	for _, at := range []string{"250", "375"} {
		mustRun(t, wd, "train", "--resume", "r", "--stop-at", at)
	}
	mustRun(t, wd, "train", "--resume", "r")
	trained := time.Since(start)
	sum := readSummary(t, filepath.Join(wd, "r"))
	if sum["completed_epochs"] != 500.0 {
		t.Fatalf("completed_epochs %v, want 500", sum["completed_epochs"])
	}
	r := mustRun(t, wd, "sample", "--run", "r", "--n", "20000", "--mcmc", "--quiet", "--out", "e.npz")
	rep := measureJSON(t, wd, "e.npz")
	p := rep.Observables["plaquette"]
	exact := sungauge.PlaquetteTorus(2, 2, 16)
	within.Sigmas(t, "flow-MCMC plaquette", p.Mean, exact, p.Err, 4)
	var acc string
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(l, "accept rate:") || strings.HasPrefix(l, "ess:") {
			acc += strings.Join(strings.Fields(l), " ") + "; "
		}
	}
	t.Logf("SU(2) β = 2 4×4: trained in %.0f s (final ESS %v); chain of 20000: %splaquette %.5f ± %.5f (τ_int %.2f), exact %.10f (%.1fσ); %.0f s in all",
		trained.Seconds(), sum["ess"], acc, p.Mean, p.Err, rep.TauInt["plaquette"].Tau, exact, (p.Mean-exact)/p.Err, time.Since(start).Seconds())
	if !strings.Contains(r.stdout, "accept rate:") {
		t.Errorf("sample report lacks the acceptance:\n%s", r.stdout)
	}
}

// TestSUNFlowBadInput: mistakes in the flow of an SU(N) gauge run
// description (a spectral layer on links, a period that does not divide an
// extent, freqs on SU(2), a normal prior) are one-line errors naming the
// key, exit status 2, nothing written.
func TestSUNFlowBadInput(t *testing.T) {
	dir := t.TempDir()
	base := sunFlowConfig("[4, 6]", 2, 2, 8)
	for name, text := range map[string]string{
		"spectral.toml": strings.Replace(base, "kind = \"gauge_coupling\"\nrepeat = 8\nknots = 4\nhidden = [4]", "kind = \"spectral\"", 1),
		"period.toml":   strings.Replace(base, "knots = 4", "knots = 4\nperiod = 4", 1),
		"freqs.toml":    strings.Replace(base, "knots = 4", "knots = 4\nfreqs = 2", 1),
		"prior.toml":    strings.Replace(base, "[[flow.layers]]", "[prior]\nkind = \"normal\"\n[[flow.layers]]", 1),
	} {
		if text == base {
			t.Fatalf("%s: the replacement did not apply", name)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		args, want []string
	}{
		{[]string{"train", "--config", "spectral.toml", "--out", "run"}, []string{"spectral.toml", "flow.layers[0].kind = \"spectral\"", "matrix"}},
		{[]string{"train", "--config", "period.toml", "--out", "run"}, []string{"period.toml", "flow.layers[0].period = 4", "extent 6"}},
		{[]string{"train", "--config", "freqs.toml", "--out", "run"}, []string{"freqs.toml", "flow.layers[0].freqs = 2", "SU(2)"}},
		{[]string{"train", "--config", "prior.toml", "--out", "run"}, []string{"prior.toml", "prior.kind = \"normal\"", "haar"}},
	} {
		checkBadInput(t, dir, c.args, c.want)
	}
}
