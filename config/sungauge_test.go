package config

import (
	"fmt"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/flow"
	"github.com/normflow/normflow-go/prior"
	"github.com/normflow/normflow-go/sungauge"
)

// wilsonRun is a run description of SU(n) Wilson theory on shape with one
// gauge_coupling table of the given extra settings.
func wilsonRun(shape string, n int, layer string) string {
	return fmt.Sprintf("seed = 3\n[lattice]\nshape = %s\n[action]\nkind = \"wilson\"\nn = %d\nbeta = 2.0\n[[flow.layers]]\nkind = \"gauge_coupling\"\n%s\n[train]\nbatch = 4\nepochs = 2\n",
		shape, n, layer)
}

// TestSUNGaugeBuild: gauge_coupling on a wilson action builds the SU(N)
// Haar prior on d·V links (the default prior) and repeat SU(N) gauge
// couplings with layer k on the mask μ = k mod d, ν = μ+1 mod d, offset
// ⌊k/d⌋ mod period; defaults knots 8, freqs 2 (SU(3)) or 0 (SU(2)), period
// 4 where every extent is a multiple of 4, else 2; the conditioner has
// d(d−1) input channels; the description survives Encode.
func TestSUNGaugeBuild(t *testing.T) {
	for _, c := range []struct {
		shape                      string
		n, d, v, repeat            int
		layer                      string
		period, knots, feats, outs int
	}{
		{"[4, 4]", 2, 2, 16, 8, "repeat = 8", 4, 8, 0, 0},
		{"[4, 4]", 3, 2, 16, 10, "repeat = 10\nknots = 6\nhidden = [4]", 4, 6, 2, 0},
		{"[2, 4]", 3, 2, 8, 4, "repeat = 4\nfreqs = 1", 2, 8, 1, 0},
		{"[4, 4]", 2, 2, 16, 4, "repeat = 4\nperiod = 2", 2, 8, 0, 0},
		{"[4, 4, 4, 4]", 3, 4, 256, 16, "repeat = 16\nkernel = 1\nhidden = [2]", 4, 8, 2, 0},
		{"[2, 4, 2]", 2, 3, 16, 6, "repeat = 6\nknots = 4", 2, 4, 0, 0},
	} {
		src := wilsonRun(c.shape, c.n, c.layer)
		r, err := Parse([]byte(src))
		if err != nil {
			t.Fatalf("%s: %v", c.layer, err)
		}
		m, err := r.BuildModel()
		if err != nil {
			t.Fatalf("%s: %v", c.layer, err)
		}
		w, ok := m.Action.(*sungauge.Wilson)
		if !ok || w.ColorN() != c.n || w.Dim() != c.d || w.Volume() != c.v {
			t.Fatalf("%s: action %T", c.layer, m.Action)
		}
		if h, ok := m.Prior.(*prior.HaarSU); !ok || h.N != c.n || h.Matrices != c.d*c.v {
			t.Errorf("%s %s: prior %T %+v, want Haar SU(%d) on %d links", c.shape, c.layer, m.Prior, m.Prior, c.n, c.d*c.v)
		}
		seq := m.Flow.(*flow.Sequence)
		if len(seq.Layers) != c.repeat {
			t.Fatalf("%s: %d layers, want %d", c.layer, len(seq.Layers), c.repeat)
		}
		names := map[string]bool{}
		for k, l := range seq.Layers {
			g, ok := l.(*flow.SUNGaugeCoupling)
			if !ok {
				t.Fatalf("%s: layer %d is %T", c.layer, k, l)
			}
			mu := k % c.d
			mk := g.Mask
			if mk.Mu != mu || mk.Nu != (mu+1)%c.d || mk.Period != c.period || mk.Offset != (k/c.d)%c.period || g.Knots != c.knots || g.Features != c.feats {
				t.Errorf("%s %s: layer %d: mask (μ %d, ν %d, period %d, offset %d), knots %d, freqs %d; want (%d, %d, %d, %d), %d, %d",
					c.shape, c.layer, k, mk.Mu, mk.Nu, mk.Period, mk.Offset, g.Knots, g.Features, mu, (mu+1)%c.d, c.period, (k/c.d)%c.period, c.knots, c.feats)
			}
			if in := g.Net.InChannels(); in != c.d*(c.d-1) {
				t.Errorf("%s: layer %d: %d input channels, want %d", c.layer, k, in, c.d*(c.d-1))
			}
			for _, p := range g.Params() {
				if names[p.Name] {
					t.Errorf("%s: parameter name %q twice", c.layer, p.Name)
				}
				names[p.Name] = true
			}
		}
		text, err := r.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if r2, err := Parse([]byte(text)); err != nil {
			t.Errorf("%s: the encoded run description does not parse: %v", c.layer, err)
		} else if m2, err := r2.BuildModel(); err != nil || len(m2.Flow.(*flow.Sequence).Layers) != c.repeat {
			t.Errorf("%s: the encoded run description builds %v", c.layer, err)
		}
	}
}

// TestSUNGaugeSeeded: the conditioner weights are a function of the seed:
// two builds agree, another seed differs (with zero_init false).
func TestSUNGaugeSeeded(t *testing.T) {
	weights := func(src string) []float64 {
		r, err := Parse([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		m, err := r.BuildModel()
		if err != nil {
			t.Fatal(err)
		}
		var w []float64
		for _, l := range m.Flow.(*flow.Sequence).Layers {
			for _, p := range l.Params() {
				w = append(w, p.Value...)
			}
		}
		return w
	}
	src := wilsonRun("[4, 4]", 3, "repeat = 2")
	a, b := weights(src), weights(src)
	c := weights(strings.Replace(src, "seed = 3", "seed = 4", 1))
	same, differ := len(a) == len(b) && len(a) > 0, false
	for i := range a {
		same = same && a[i] == b[i]
		differ = differ || a[i] != c[i]
	}
	if !same || !differ {
		t.Errorf("weights: the same seed gives the same weights %v, another seed different ones %v", same, differ)
	}
}

// TestSUNGaugeErrors: what a flow on SU(N) links refuses, each a one-line
// error naming the key: a φ⁴ layer, a spectral layer (it would act on every
// link alike by conjugation, which is not gauge equivariant), a period other
// than 2 or 4 or one that does not divide an extent, odd extents, freqs on
// SU(2), a non-Haar prior, n outside {2, 3}; and period or freqs on a U(1)
// gauge_coupling.
func TestSUNGaugeErrors(t *testing.T) {
	base := wilsonRun("[4, 4]", 2, "repeat = 8")
	cases := []struct{ old, new, want string }{
		{`kind = "gauge_coupling"`, `kind = "affine_coupling"`, `flow.layers[0].kind = "affine_coupling": action kind "wilson" takes gauge_coupling or staple_coupling layers only`},
		{`kind = "gauge_coupling"` + "\nrepeat = 8", `kind = "spectral"`, `flow.layers[0].kind = "spectral" needs action kind "matrix"`},
		{"repeat = 8", "period = 3", "flow.layers[0].period = 3: allowed: 2 or 4"},
		{"shape = [4, 4]", "shape = [4, 6]", ""}, // period 2 by default
		{"shape = [4, 4]\n[action]\nkind = \"wilson\"\nn = 2\nbeta = 2.0\n[[flow.layers]]\nkind = \"gauge_coupling\"\nrepeat = 8",
			"shape = [4, 6]\n[action]\nkind = \"wilson\"\nn = 2\nbeta = 2.0\n[[flow.layers]]\nkind = \"gauge_coupling\"\nperiod = 4",
			"flow.layers[0].period = 4: does not divide extent 6 along axis 1"},
		{"shape = [4, 4]", "shape = [4, 3]", "extent 3 along axis 1 is odd"},
		{"repeat = 8", "repeat = 8\nperiod = 4\n", ""},
		{"repeat = 8", "freqs = 2", "flow.layers[0].freqs = 2: SU(2)"},
		{"repeat = 8", "scale = \"tanh\"", "flow.layers[0].scale is not a setting of kind gauge_coupling"},
		{"[[flow.layers]]", "[prior]\nkind = \"normal\"\n[[flow.layers]]", `prior.kind = "normal": action kind "wilson" needs prior kind "haar"`},
		{"n = 2", "n = 4", "action.n = 4: allowed: 2 or 3"},
		{"n = 2", "n = 1", "action.n = 1"},
	}
	for _, c := range cases {
		if strings.Count(base, c.old) != 1 {
			t.Fatalf("base has %d copies of %q", strings.Count(base, c.old), c.old)
		}
		_, err := Parse([]byte(strings.Replace(base, c.old, c.new, 1)))
		if c.want == "" {
			if err != nil {
				t.Errorf("%q → %q: %v", c.old, c.new, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q → %q: error %v, want one line containing %q", c.old, c.new, err, c.want)
		}
	}
	u1 := "[lattice]\nshape = [4, 4]\n[action]\nkind = \"u1\"\nbeta = 1.0\n[[flow.layers]]\nkind = \"gauge_coupling\"\n"
	if _, err := Parse([]byte(u1)); err != nil {
		t.Fatalf("u1 base: %v", err)
	}
	for key, want := range map[string]string{"period = 4": "flow.layers[0].period is a setting of gauge_coupling on SU(N) links", "freqs = 1": "flow.layers[0].freqs is a setting of gauge_coupling on SU(3) links"} {
		_, err := Parse([]byte(u1 + key + "\n"))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("u1 gauge_coupling with %s: error %v, want %q", key, err, want)
		}
	}
}
