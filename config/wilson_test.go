package config

import (
	"strings"
	"testing"

	"github.com/normflow/normflow-go/examples"
	"github.com/normflow/normflow-go/flow"
	"github.com/normflow/normflow-go/prior"
	"github.com/normflow/normflow-go/sungauge"
)

// theoryOnly reports whether an example is a theory-only run description
// (no [[flow.layers]]: a lattice and an action for normflow hmc, such as the
// SU(N) examples); if so it checks that ParseTheory and BuildAction accept
// it.
func theoryOnly(t *testing.T, name string, data []byte) bool {
	t.Helper()
	r, err := ParseTheory(data)
	if err != nil || len(r.Flow.Layers) > 0 {
		return false
	}
	if _, err := r.BuildAction(); err != nil {
		t.Errorf("%s: %v", name, err)
	}
	return true
}

// TestWilsonExamples: the SU(N) examples build the Wilson action they
// describe, and their flows (all three have one) the SU(N) Haar prior on
// every link and SU(N) gauge couplings only (plaquette couplings in 2-d,
// stapled-link couplings in su3_4d.toml), at least one cycle of them; the
// run descriptions survive Encode.
func TestWilsonExamples(t *testing.T) {
	for _, c := range []struct {
		file    string
		n, d, v int
		beta    float64
	}{{"su2_2d.toml", 2, 2, 64, 2}, {"su3_2d.toml", 3, 2, 64, 6}, {"su3_4d.toml", 3, 4, 256, 1}} {
		data, err := examples.FS.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		r, err := ParseTheory(data)
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		act, err := r.BuildAction()
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		w, ok := act.(*sungauge.Wilson)
		if !ok || w.ColorN() != c.n || w.Dim() != c.d || w.Volume() != c.v || w.Beta != c.beta || w.LinksPerSite() != c.d {
			t.Errorf("%s: action %T %+v, want SU(%d) Wilson β = %g in %d-d with %d sites", c.file, act, act, c.n, c.beta, c.d, c.v)
		}
		r, err = Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		m, err := r.BuildModel()
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if h, ok := m.Prior.(*prior.HaarSU); !ok || h.N != c.n || h.Matrices != c.d*c.v {
			t.Errorf("%s: prior %T %+v, want Haar SU(%d) on %d links", c.file, m.Prior, m.Prior, c.n, c.d*c.v)
		}
		layers := m.Flow.(*flow.Sequence).Layers
		cycle := 4 * c.d // plaquette couplings: d directions × 4 stripes
		for k, l := range layers {
			switch l.(type) {
			case *flow.SUNGaugeCoupling:
			case *flow.StapleCoupling:
				cycle = 2 * c.d // d directions × 2 parities
			default:
				t.Errorf("%s: layer %d is %T, want an SU(N) gauge coupling", c.file, k, l)
			}
		}
		if len(layers) < cycle {
			t.Errorf("%s: %d layers: fewer than a cycle's %d", c.file, len(layers), cycle)
		}
		text, err := r.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse([]byte(text)); err != nil {
			t.Errorf("%s: the encoded run description does not parse: %v", c.file, err)
		}
	}
}

// TestWilsonErrors: a 1-d lattice, n outside {2, 3}, a missing n or beta,
// φ⁴ parameters, n given to another kind and a φ⁴ layer on links are
// one-line errors naming the key.
func TestWilsonErrors(t *testing.T) {
	base := "[lattice]\nshape = [4, 4]\n[action]\nkind = \"wilson\"\nn = 3\nbeta = 5.5\n"
	cases := []struct{ old, new, want string }{
		{"shape = [4, 4]", "shape = [8]", "lattice.shape = [8]"},
		{"shape = [4, 4]", "shape = [2, 2, 2, 2, 2]", "lattice.shape"},
		{"n = 3", "n = 4", "action.n = 4"},
		{"n = 3", "n = 1", "action.n = 1"},
		{"n = 3\n", "", "action.n is missing"},
		{"beta = 5.5", "beta = inf", "action.beta"},
		{"beta = 5.5\n", "", "action.beta is missing"},
		{"beta = 5.5", "beta = 5.5\nkappa = 0.1", "action.kappa"},
		{"beta = 5.5", "beta = 5.5\nconvention = \"seed\"", "action.convention"},
		{"kind = \"wilson\"\nn = 3\nbeta = 5.5", "kind = \"u1\"\nn = 3\nbeta = 5.5", "action.n"},
		{"kind = \"wilson\"", "kind = \"wilsn\"", "action.kind = \"wilsn\""},
	}
	for _, c := range cases {
		if strings.Count(base, c.old) != 1 {
			t.Fatalf("base has %d copies of %q", strings.Count(base, c.old), c.old)
		}
		_, err := ParseTheory([]byte(strings.Replace(base, c.old, c.new, 1)))
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q → %q: error %v, want one line naming %q", c.old, c.new, err, c.want)
		}
	}
	if _, err := ParseTheory([]byte(base)); err != nil {
		t.Errorf("the base theory: %v", err)
	}
	_, err := Parse([]byte(base + "[[flow.layers]]\nkind = \"affine\"\n"))
	if err == nil || !strings.Contains(err.Error(), "flow.layers[0].kind = \"affine\"") {
		t.Errorf("a φ⁴ layer on SU(N) links: error %v", err)
	}
}
