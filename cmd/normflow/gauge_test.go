package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/store"
)

// u1Config is a small 2-d U(1) run description: 4×4, β = 1.5, a full cycle
// of 8 gauge couplings, a few epochs.
const u1Config = `seed = 3
[lattice]
shape = [4, 4]
[action]
kind = "u1"
beta = 1.5
[[flow.layers]]
kind = "gauge_coupling"
repeat = 8
knots = 4
hidden = [4]
[train]
epochs = 10
batch = 16
print_stride = 5
`

// TestGaugeCLI: train, sample (chain, .npz), measure and hmc work for the
// U(1) gauge model: the ensembles hold theta [N, 2, Lx, Ly] wrapped into
// (−π, π], and the reports give the plaquette, ⟨Q²⟩, χ_t and τ_int.
func TestGaugeCLI(t *testing.T) {
	wd := t.TempDir()
	cfg := writeConfig(t, u1Config)
	mustRun(t, wd, "train", "--config", cfg, "--out", "r")

	r := mustRun(t, wd, "sample", "--run", "r", "--n", "400", "--mcmc", "--quiet", "--out", "e.npz")
	if strings.Contains(r.stdout, "<Re tr U_P>/N") || strings.Count(r.stdout, "<Q^2>:") != 1 {
		t.Errorf("sample on U(1) links prints SU(N) labels or repeats a line:\n%s", r.stdout)
	}
	for _, w := range []string{"accept rate:", "<cos theta_P>:", "<Q^2>:", "chi_t = <Q^2>/V:"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("sample report lacks %q:\n%s", w, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "phi^2") {
		t.Errorf("sample report of a gauge model shows scalar observables:\n%s", r.stdout)
	}
	arrays, err := store.ReadNPZ(filepath.Join(wd, "e.npz"))
	if err != nil {
		t.Fatal(err)
	}
	checkTheta(t, arrays, 400)
	if _, ok := arrays["phi"]; ok {
		t.Errorf("e.npz has an array phi besides theta")
	}

	r = mustRun(t, wd, "measure", "e.npz")
	for _, w := range []string{"U(1) link configurations on [4 4]", "<cos theta_P>:", "<Q^2>:", "chi_t = <Q^2>/V:", "tau_int(Q):", "tau_int(plaquette):"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("measure report lacks %q:\n%s", w, r.stdout)
		}
	}
	r = mustRun(t, wd, "measure", "e.npz", "--json")
	var rep struct {
		N           int
		Observables map[string]struct{ Mean, Err float64 }
		TauInt      map[string]json.RawMessage `json:"tau_int"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("measure --json: %v\n%s", err, r.stdout)
	}
	p := rep.Observables["plaquette"].Mean
	if rep.N != 400 || !(p > 0 && p < 1) || rep.TauInt["Q"] == nil {
		t.Errorf("measure --json: n = %d, plaquette %g, tau_int %v", rep.N, p, rep.TauInt)
	}
	if q2, chi := rep.Observables["Q2"].Mean, rep.Observables["chi_t"].Mean; !(math.Abs(chi-q2/16) <= 1e-12) {
		t.Errorf("chi_t = %g, want <Q²>/V = %g", chi, q2/16)
	}

	r = mustRun(t, wd, "hmc", "--config", cfg, "--n", "300", "--therm", "50", "--quiet", "--out", "h.npz")
	for _, w := range []string{"acceptance", "<cos theta_P>:", "<Q^2>:", "tau_int(Q):"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("hmc report lacks %q:\n%s", w, r.stdout)
		}
	}
	arrays, err = store.ReadNPZ(filepath.Join(wd, "h.npz"))
	if err != nil {
		t.Fatal(err)
	}
	checkTheta(t, arrays, 300)
}

// checkTheta: theta [n, 2, 4, 4] with every angle in (−π, π].
func checkTheta(t *testing.T, arrays map[string]store.Array, n int) {
	t.Helper()
	a, ok := arrays["theta"]
	if !ok {
		t.Fatalf("no array theta (has %v)", keys(arrays))
	}
	if want := []int{n, 2, 4, 4}; !reflect.DeepEqual(a.Shape, want) {
		t.Fatalf("theta has shape %v, want %v", a.Shape, want)
	}
	th, err := a.Float64s()
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range th {
		if !(v > -math.Pi && v <= math.Pi) {
			t.Fatalf("theta[%d] = %g outside (−π, π]", i, v)
		}
	}
}

// TestGaugeBadInput: mistakes in a u1 run description are one-line errors
// naming the key, exit status 2, nothing written; for hmc, which reads only
// the theory (lattice and action), the mistakes in the theory.
func TestGaugeBadInput(t *testing.T) {
	cases := []struct {
		old, new, want string
		theory         bool
	}{
		{"beta = 1.5\n", "", "action.beta is missing", true},
		{"beta = 1.5\n", "beta = 1.5\nconvention = \"seed\"\n", "action.convention", true},
		{"beta = 1.5\n", "beta = 1.5\nlambd = 1.0\n", "action.lambd", true},
		{"shape = [4, 4]", "shape = [4]", "lattice.shape", true},
		{"shape = [4, 4]", "shape = [2, 2, 2, 2, 2]", "lattice.shape", true},
		{"kind = \"gauge_coupling\"", "kind = \"affine_coupling\"", "flow.layers[0].kind", false},
		{"knots = 4", "knots = 4\nz2 = true", "flow.layers[0].z2", false},
		{"knots = 4", "knots = 1", "flow.layers[0].knots", false},
		{"[[flow.layers]]", "[prior]\nkind = \"normal\"\n[[flow.layers]]", "prior.kind", false},
		{"shape = [4, 4]", "shape = [4, 5]", "updated links", false},
	}
	for _, c := range cases {
		if strings.Count(u1Config, c.old) != 1 {
			t.Fatalf("u1Config has %d copies of %q", strings.Count(u1Config, c.old), c.old)
		}
		wd := t.TempDir()
		cfg := writeConfig(t, strings.Replace(u1Config, c.old, c.new, 1))
		commands := [][]string{{"train", "--config", cfg, "--out", "r"}}
		if c.theory {
			commands = append(commands, []string{"hmc", "--config", cfg, "--n", "10", "--out", "h.npz"})
		}
		for _, args := range commands {
			r := normflow(t, wd, args...)
			if r.code != 2 || !strings.Contains(r.stderr, c.want) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("%s with %q: exit %d, stderr %q; want exit 2 and one line naming %q", args[0], c.new, r.code, r.stderr, c.want)
			}
			if ents, _ := os.ReadDir(wd); len(ents) != 0 {
				t.Errorf("%s with %q wrote %d entries", args[0], c.new, len(ents))
			}
		}
	}
	// A theta array of the wrong shape.
	wd := t.TempDir()
	if err := store.WriteNPZ(filepath.Join(wd, "bad.npz"), []store.Array{{Name: "theta", Shape: []int{3, 3, 4, 4}, Data: make([]float64, 144)}}); err != nil {
		t.Fatal(err)
	}
	if r := normflow(t, wd, "measure", "bad.npz"); r.code != 2 || !strings.Contains(r.stderr, "theta has shape [3 3 4 4]") {
		t.Errorf("measure bad.npz: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestGaugeCLI4d: hmc on a 2⁴ U(1) theory writes theta [N, 4, 2, 2, 2, 2]
// (the file carries d and the shape) and reports ⟨cos θ_P⟩ and ⟨|P|⟩ but no
// topological charge (2-d only, docs/conventions.md §3.4); measure reads the
// file back with the same figures; a 4-d flow trains and samples.
func TestGaugeCLI4d(t *testing.T) {
	wd := t.TempDir()
	cfg := writeConfig(t, "[lattice]\nshape = [2, 2, 2, 2]\n[action]\nkind = \"u1\"\nbeta = 0.5\n")
	r := mustRun(t, wd, "hmc", "--config", cfg, "--n", "200", "--therm", "20", "--step", "0.1", "--threads", "1", "--out", "h.npz")
	arrays, err := store.ReadNPZ(filepath.Join(wd, "h.npz"))
	if err != nil {
		t.Fatal(err)
	}
	if th, ok := arrays["theta"]; !ok || !slices.Equal(th.Shape, []int{200, 4, 2, 2, 2, 2}) {
		t.Fatalf("h.npz: theta %v, want shape [200 4 2 2 2 2]", th.Shape)
	}
	m := mustRun(t, wd, "measure", "h.npz")
	for _, out := range []string{r.stdout, m.stdout} {
		for _, w := range []string{"on [2 2 2 2]", "<cos theta_P>:", "<|P|>:", "W_1x1:", "tau_int(plaquette):"} {
			if !strings.Contains(out, w) {
				t.Errorf("report lacks %q:\n%s", w, out)
			}
		}
		if strings.Contains(out, "<Q^2>") || strings.Contains(out, "chi_t") {
			t.Errorf("4-d report shows the 2-d topological charge:\n%s", out)
		}
	}
	// A 4-d flow (4 gauge couplings, μ = 0 … 3 at offset 0): sample prints
	// the U(1) labels, not the SU(N) ones that share the name absP.
	fcfg := writeConfig(t, "[lattice]\nshape = [2, 2, 2, 2]\n[action]\nkind = \"u1\"\nbeta = 0.5\n[[flow.layers]]\nkind = \"gauge_coupling\"\nrepeat = 4\nknots = 4\nhidden = [2]\n[train]\nepochs = 2\nbatch = 8\n")
	mustRun(t, wd, "train", "--config", fcfg, "--threads", "1", "--out", "r")
	s := mustRun(t, wd, "sample", "--run", "r", "--n", "50", "--mcmc", "--quiet", "--threads", "1", "--out", "f.npz")
	if !strings.Contains(s.stdout, "<cos theta_P>:") || !strings.Contains(s.stdout, "<|P|>:") || strings.Contains(s.stdout, "Re tr U_P") {
		t.Errorf("sample of a 4-d U(1) flow: want the U(1) labels:\n%s", s.stdout)
	}
	line := func(s string) string {
		for _, l := range strings.Split(s, "\n") {
			if strings.HasPrefix(l, "<cos theta_P>:") {
				return l
			}
		}
		return ""
	}
	if line(r.stdout) == "" || line(r.stdout) != line(m.stdout) {
		t.Errorf("hmc and measure disagree: %q vs %q", line(r.stdout), line(m.stdout))
	}
}
