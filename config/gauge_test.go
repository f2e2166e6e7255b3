package config

import (
	"strings"
	"testing"

	"github.com/normflow/normflow-go/examples"
	"github.com/normflow/normflow-go/flow"
	"github.com/normflow/normflow-go/gauge"
)

// TestU1Example: examples/u1_2d.toml builds the Wilson action at β = 2 on
// 8×8, the Haar prior on 2V = 128 angles and 16 gauge couplings cycling
// μ = k mod 2, offset ⌊k/2⌋ mod 4; the run description survives Encode.
func TestU1Example(t *testing.T) {
	data, err := examples.FS.ReadFile("u1_2d.toml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.BuildModel()
	if err != nil {
		t.Fatal(err)
	}
	if w, ok := m.Action.(*gauge.Wilson); !ok || w.Beta != 2 || w.Volume() != 64 {
		t.Fatalf("action %T %+v, want the Wilson action at β = 2 on 8×8", m.Action, m.Action)
	}
	if h, ok := m.Prior.(*gauge.Haar); !ok || h.Size() != 128 {
		t.Fatalf("prior %T of size %d, want Haar on 128 angles", m.Prior, m.Prior.Size())
	}
	seq := m.Flow.(*flow.Sequence)
	if len(seq.Layers) != 16 {
		t.Fatalf("%d layers, want 16", len(seq.Layers))
	}
	for k, l := range seq.Layers {
		g, ok := l.(*flow.GaugeCoupling)
		if !ok || g.Mu != k%2 || g.Offset != (k/2)%4 || g.Knots != 8 {
			t.Errorf("layer %d: %T %+v, want a gauge coupling μ=%d offset=%d knots=8", k, l, l, k%2, (k/2)%4)
		}
	}
	text, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse([]byte(text)); err != nil {
		t.Errorf("the encoded run description does not parse: %v\n%s", err, text)
	}
}

// TestU1Errors: gauge and scalar settings do not mix; errors name the key.
func TestU1Errors(t *testing.T) {
	base := `[lattice]
shape = [4, 4]
[action]
kind = "u1"
beta = 1.0
[[flow.layers]]
kind = "gauge_coupling"
`
	cases := []struct{ old, new, want string }{
		{`kind = "u1"`, `kind = "u2"`, `action.kind = "u2"`},
		{"beta = 1.0", "beta = nan", "action.beta"},
		{"beta = 1.0", "beta = 1.0\nkappa = 1.0", "action.kappa"},
		{`kind = "gauge_coupling"`, `kind = "gauge_coupling"` + "\nscale = \"tanh\"", "flow.layers[0].scale"},
		{`kind = "gauge_coupling"`, `kind = "pade"`, "flow.layers[0].kind"},
		{`[[flow.layers]]`, "[prior]\nkind = \"uniform\"\nlow = -3.0\nhigh = 3.0\n[[flow.layers]]", "prior.kind"},
		{`kind = "u1"` + "\nbeta = 1.0", `kind = "phi4"` + "\nkappa = 0.1\nm_sq = 1.0\nlambd = 0.1", "needs action kind \"u1\""},
		{"shape = [4, 4]", "shape = [4]", "needs a lattice of 2 to 4 axes"},
		{"shape = [4, 4]", "shape = [2, 2, 2, 2, 2]", "needs a lattice of 2 to 4 axes"},
	}
	for _, c := range cases {
		if strings.Count(base, c.old) != 1 {
			t.Fatalf("base has %d copies of %q", strings.Count(base, c.old), c.old)
		}
		_, err := Parse([]byte(strings.Replace(base, c.old, c.new, 1)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q → %q: error %v, want one naming %q", c.old, c.new, err, c.want)
		}
	}
	// A phi4 run may not use the Haar prior.
	phi4 := "[lattice]\nshape = [4]\n[action]\nkappa = 0.1\nm_sq = 1.0\nlambd = 0.1\n[prior]\nkind = \"haar\"\n[[flow.layers]]\nkind = \"pade\"\n"
	if _, err := Parse([]byte(phi4)); err == nil || !strings.Contains(err.Error(), "prior.kind = \"haar\"") {
		t.Errorf("phi4 with the Haar prior: error %v", err)
	}
}

// TestU1Example4d: examples/u1_4d.toml is theory only (the U(1) gauge
// couplings are 2-d) and builds the Wilson action at β = 0.8 on 4⁴ with
// 4V = 1024 link angles and 6V = 1536 plaquettes.
func TestU1Example4d(t *testing.T) {
	data, err := examples.FS.ReadFile("u1_4d.toml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseTheory(data)
	if err != nil {
		t.Fatal(err)
	}
	a, err := r.BuildAction()
	if err != nil {
		t.Fatal(err)
	}
	w, ok := a.(*gauge.Wilson)
	if !ok || w.Beta != 0.8 || w.Dim() != 4 || w.FieldSize() != 1024 || w.NumPlaquettes() != 1536 {
		t.Fatalf("action %T, want the 4-d Wilson action at β = 0.8 on 4⁴", a)
	}
}

// TestU1Flow4d: a u1 run on 4⁴ with gauge_coupling layers builds 16
// couplings cycling μ = k mod 4, offset ⌊k/4⌋ mod 4 (config buildGauge),
// on the Haar prior of 4V = 1024 angles.
func TestU1Flow4d(t *testing.T) {
	r, err := Parse([]byte("[lattice]\nshape = [4, 4, 4, 4]\n[action]\nkind = \"u1\"\nbeta = 0.8\n[[flow.layers]]\nkind = \"gauge_coupling\"\nrepeat = 16\nknots = 4\nhidden = [4]\n"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.BuildModel()
	if err != nil {
		t.Fatal(err)
	}
	if m.Prior.Size() != 1024 {
		t.Fatalf("prior of size %d, want 4V = 1024", m.Prior.Size())
	}
	seq := m.Flow.(*flow.Sequence)
	if len(seq.Layers) != 16 {
		t.Fatalf("%d layers, want 16", len(seq.Layers))
	}
	for k, l := range seq.Layers {
		g, ok := l.(*flow.GaugeCoupling)
		if !ok || g.Mu != k%4 || g.Offset != (k/4)%4 {
			t.Errorf("layer %d: %T, want a gauge coupling μ=%d offset=%d", k, l, k%4, (k/4)%4)
		}
	}
}
