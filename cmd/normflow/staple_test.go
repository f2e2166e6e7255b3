package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// stapleFlowConfig is a small stapled-link SU(n) gauge flow on shape: one
// cycle of staple_coupling layers (repeat), a few epochs.
func stapleFlowConfig(shape string, n, repeat int) string {
	return strings.NewReplacer("kind = \"gauge_coupling\"", "kind = \"staple_coupling\"", "repeat = 8", "repeat = "+strconv.Itoa(repeat)).
		Replace(sunFlowConfig(shape, n, 2, 8))
}

// TestStapleFlowCLI: train and sample --mcmc work for a stapled-link flow
// (4-d SU(2) 2⁴, one cycle of 8 layers): the report has the acceptance
// and the plaquette.
func TestStapleFlowCLI(t *testing.T) {
	wd := t.TempDir()
	cfg := writeConfig(t, stapleFlowConfig("[2, 2, 2, 2]", 2, 8))
	mustRun(t, wd, "train", "--config", cfg, "--threads", "1", "--out", "st")
	r := mustRun(t, wd, "sample", "--run", "st", "--n", "200", "--mcmc", "--quiet", "--out", "st.npz")
	if !strings.Contains(r.stdout, "accept rate:") || !strings.Contains(r.stdout, "<Re tr U_P>/N:") {
		t.Errorf("sample report lacks the acceptance or the plaquette:\n%s", r.stdout)
	}
}

// TestStapleFlowBadInput: a staple_coupling on odd extents, on a φ⁴ action,
// with a period (a gauge_coupling setting) or freqs on SU(2): one-line
// errors naming the key, exit status 2, nothing written.
func TestStapleFlowBadInput(t *testing.T) {
	dir := t.TempDir()
	base := stapleFlowConfig("[4, 4]", 2, 8)
	for name, text := range map[string]string{
		"odd.toml":    strings.Replace(base, "shape = [4, 4]", "shape = [4, 5]", 1),
		"phi4.toml":   strings.Replace(base, "kind = \"wilson\"\nn = 2\nbeta = 2", "kind = \"phi4\"\nkappa = 0.1\nm_sq = 1.0\nlambd = 0.1", 1),
		"period.toml": strings.Replace(base, "knots = 4", "knots = 4\nperiod = 4", 1),
		"freqs.toml":  strings.Replace(base, "knots = 4", "knots = 4\nfreqs = 2", 1),
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
		{[]string{"train", "--config", "odd.toml", "--out", "run"}, []string{"odd.toml", "extent 5 along axis 1 is odd", "staple_coupling"}},
		{[]string{"train", "--config", "phi4.toml", "--out", "run"}, []string{"phi4.toml", "flow.layers[0].kind = \"staple_coupling\" needs action kind \"u1\" or \"wilson\""}},
		{[]string{"train", "--config", "period.toml", "--out", "run"}, []string{"period.toml", "flow.layers[0].period is not a setting of kind staple_coupling"}},
		{[]string{"train", "--config", "freqs.toml", "--out", "run"}, []string{"freqs.toml", "flow.layers[0].freqs = 2", "SU(2)"}},
	} {
		checkBadInput(t, dir, c.args, c.want)
	}
}

// TestU1StapleFlowBadInput: a U(1) staple_coupling (action kind u1) on odd
// extents or with freqs (an SU(3) setting): one-line errors naming the key,
// exit status 2, nothing written.
func TestU1StapleFlowBadInput(t *testing.T) {
	dir := t.TempDir()
	base := strings.Replace(u1Config, `kind = "gauge_coupling"`, `kind = "staple_coupling"`, 1)
	for name, text := range map[string]string{
		"u1odd.toml":   strings.Replace(base, "shape = [4, 4]", "shape = [4, 5]", 1),
		"u1freqs.toml": strings.Replace(base, "knots = 4", "knots = 4\nfreqs = 2", 1),
	} {
		if text == base || base == u1Config {
			t.Fatalf("%s: the replacement did not apply", name)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		args, want []string
	}{
		{[]string{"train", "--config", "u1odd.toml", "--out", "run"}, []string{"u1odd.toml", "extent 5 along axis 1 is odd", "staple_coupling"}},
		{[]string{"train", "--config", "u1freqs.toml", "--out", "run"}, []string{"u1freqs.toml", "flow.layers[0].freqs", "staple_coupling"}},
	} {
		checkBadInput(t, dir, c.args, c.want)
	}
}
