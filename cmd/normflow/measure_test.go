package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hmc writes an ensemble that measure reads back; bad input exits 2 with one
// line and writes nothing.
func TestHMCThenMeasure(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.toml")
	text := `seed = 1
[lattice]
shape = [4, 4]
[action]
kind = "phi4"
convention = "albergo2019"
m_sq = -4.0
lambd = 8.0
[prior]
kind = "normal"
[[flow.layers]]
kind = "dist_convertor"
`
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	r := mustRun(t, dir, "hmc", "--config", "c.toml", "--n", "3000", "--therm", "200", "--out", "h.npz")
	if !strings.Contains(r.stdout, "acceptance") || !strings.Contains(r.stdout, "tau_int(M2)") {
		t.Errorf("hmc output lacks acceptance or tau_int:\n%s", r.stdout)
	}
	r = mustRun(t, dir, "measure", "h.npz", "--json")
	var rep struct {
		N           int                        `json:"n"`
		Shape       []int                      `json:"shape"`
		Reweighted  bool                       `json:"reweighted"`
		Observables map[string]json.RawMessage `json:"observables"`
		TauInt      map[string]json.RawMessage `json:"tau_int"`
		G           []json.RawMessage          `json:"G"`
		Errors      string                     `json:"errors"`
		BinSize     int                        `json:"bin_size"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("measure --json: %v\n%s", err, r.stdout)
	}
	if rep.N != 3000 || len(rep.Shape) != 2 || rep.Reweighted || len(rep.TauInt) != 4 || len(rep.G) != 4 ||
		!strings.Contains(rep.Errors, "Γ-method") || rep.BinSize < 30 {
		t.Errorf("report: %+v", rep)
	}
	for _, k := range []string{"phi2", "phi4", "absM", "chi2", "chi", "binder"} {
		if _, ok := rep.Observables[k]; !ok {
			t.Errorf("observable %s missing", k)
		}
	}
	for _, bad := range [][]string{
		{"measure", "missing.npz"},
		{"measure", "c.toml"},
		{"measure", "h.npz", "--bin", "-1"},
		{"hmc", "--config", "c.toml", "--n", "1"},
		{"hmc", "--config", "c.toml", "--step", "0"},
		{"hmc", "--n", "10"},
		{"hmc", "--config", "c.toml", "--out", "x.txt"},
		{"hmc", "--config", "c.toml", "--out", "nodir/x.npz"},
	} {
		before, _ := os.ReadDir(dir)
		res := normflow(t, dir, bad...)
		after, _ := os.ReadDir(dir)
		if res.code != 2 || strings.Count(strings.TrimSpace(res.stderr), "\n") != 0 || len(after) != len(before) {
			t.Errorf("normflow %s: exit %d, stderr %q, %d → %d files", strings.Join(bad, " "), res.code, res.stderr, len(before), len(after))
		}
	}
}

// hmc needs only the theory: a description with [lattice] and [action] and
// nothing else runs; a bad action in such a description is still an error
// (exit 2, one line), and so is an unknown key.
func TestHMCTheoryOnly(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("theory.toml", "[lattice]\nshape = [4, 4]\n[action]\nconvention = \"albergo2019\"\nm_sq = -4.0\nlambd = 8.0\n")
	write("bad.toml", "[lattice]\nshape = [4, 4]\n[action]\nconvention = \"albergo2019\"\nm_sq = -4.0\n")
	write("typo.toml", "[lattice]\nshape = [4, 4]\n[action]\nconvention = \"albergo2019\"\nm_sq = -4.0\nlambda = 8.0\n")
	r := mustRun(t, dir, "hmc", "--config", "theory.toml", "--n", "200", "--therm", "20")
	if !strings.Contains(r.stdout, "acceptance") {
		t.Errorf("hmc on a theory-only description:\n%s", r.stdout)
	}
	for _, bad := range []string{"bad.toml", "typo.toml"} {
		res := normflow(t, dir, "hmc", "--config", bad, "--n", "200")
		if res.code != 2 || strings.Count(strings.TrimSpace(res.stderr), "\n") != 0 {
			t.Errorf("hmc --config %s: exit %d, stderr %q", bad, res.code, res.stderr)
		}
	}
}

// Without --step, hmc tunes its step during thermalisation to
// --target-accept at the trajectory length --steps × 0.1 and says so; with
// --step it keeps it. Bad targets and --step with --target-accept are
// refused.
func TestHMCTunesItsStep(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.toml"), []byte("[lattice]\nshape = [6, 6]\n[action]\nconvention = \"albergo2019\"\nm_sq = -4.0\nlambd = 8.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := mustRun(t, dir, "hmc", "--config", "t.toml", "--n", "2000", "--therm", "800", "--target-accept", "0.8")
	line := strings.SplitN(r.stdout, "\n", 2)[0]
	var steps int
	var eps, rate, rateErr float64
	if _, err := fmt.Sscanf(line[strings.Index(line, ") of ")+len(") of "):], "%d × %g, acceptance %g(%g)", &steps, &eps, &rate, &rateErr); err != nil || !strings.Contains(line, "step tuned to acceptance 0.8") {
		t.Fatalf("first line %q (%v)", line, err)
	}
	if got := float64(steps) * eps; !(math.Abs(got-1) <= 1e-3) {
		t.Errorf("trajectory length %d × %g = %g, want 1", steps, eps, got)
	}
	if !(rate > 0.74 && rate < 0.9) {
		t.Errorf("acceptance %g after tuning to 0.8: %q", rate, line)
	}
	if r := mustRun(t, dir, "hmc", "--config", "t.toml", "--n", "100", "--therm", "100", "--step", "0.1"); !strings.Contains(r.stdout, "(100 thermalisation) of 10 × 0.1,") {
		t.Errorf("with --step: %q", strings.SplitN(r.stdout, "\n", 2)[0])
	}
	for _, bad := range [][]string{{"--target-accept", "1"}, {"--target-accept", "0"}, {"--target-accept", "0.7", "--step", "0.1"}} {
		res := normflow(t, dir, append([]string{"hmc", "--config", "t.toml", "--n", "100"}, bad...)...)
		if res.code != 2 || strings.Count(strings.TrimSpace(res.stderr), "\n") != 0 {
			t.Errorf("hmc %v: exit %d, stderr %q", bad, res.code, res.stderr)
		}
	}
}
