package config

import (
	"math"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/flow"
	"github.com/normflow/normflow-go/nn"
)

// TestStapleBuild: staple_coupling on a wilson action builds repeat
// flow.StapleCoupling layers, layer k on (μ, parity) = (k mod d, ⌊k/d⌋ mod
// 2); defaults knots 8, freqs 2 (SU(3)) or 0 (SU(2)), kernel 1; the
// conditioner takes the staple features (1 channel for SU(2), 4 for
// SU(3)); the description survives Encode.
func TestStapleBuild(t *testing.T) {
	for _, c := range []struct {
		shape                string
		n, d, repeat         int
		layer                string
		knots, feats, kernel int
	}{
		{"[4, 4]", 2, 2, 8, "repeat = 8", 8, 0, 1},
		{"[2, 4, 2, 2]", 3, 4, 16, "repeat = 16\nknots = 6\nhidden = [4]\nfreqs = 1", 6, 1, 1},
		{"[4, 4, 4, 4]", 3, 4, 8, "repeat = 8\nkernel = 3\nzero_init = true", 8, 2, 3},
		{"[2, 4, 2]", 2, 3, 6, "repeat = 6\nknots = 4", 4, 0, 1},
	} {
		src := strings.Replace(wilsonRun(c.shape, c.n, c.layer), `kind = "gauge_coupling"`, `kind = "staple_coupling"`, 1)
		r, err := Parse([]byte(src))
		if err != nil {
			t.Fatalf("%s: %v", c.layer, err)
		}
		m, err := r.BuildModel()
		if err != nil {
			t.Fatalf("%s: %v", c.layer, err)
		}
		seq := m.Flow.(*flow.Sequence)
		if len(seq.Layers) != c.repeat {
			t.Fatalf("%s: %d layers, want %d", c.layer, len(seq.Layers), c.repeat)
		}
		for k, l := range seq.Layers {
			s, ok := l.(*flow.StapleCoupling)
			if !ok {
				t.Fatalf("%s: layer %d is %T", c.layer, k, l)
			}
			if s.Mu != k%c.d || s.Parity != (k/c.d)%2 || s.Knots != c.knots || s.Features != c.feats {
				t.Errorf("%s %s: layer %d: (μ %d, parity %d), knots %d, freqs %d; want (%d, %d), %d, %d",
					c.shape, c.layer, k, s.Mu, s.Parity, s.Knots, s.Features, k%c.d, (k/c.d)%2, c.knots, c.feats)
			}
			spec := s.Net.(*nn.Net).Spec()
			if spec.In != flow.StapleFeatureChannels(c.n) || spec.Kernel != c.kernel {
				t.Errorf("%s: layer %d: conditioner %d channels in, kernel %d; want %d, %d", c.layer, k, spec.In, spec.Kernel, flow.StapleFeatureChannels(c.n), c.kernel)
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

// TestStapleErrors: one-line errors naming the key: odd extents, freqs on
// SU(2) or U(1), period (a gauge_coupling setting), a φ⁴ action, a non-Haar
// prior, another layer kind on u1; staple and plaquette couplings may be
// mixed, and a u1 action takes staple couplings.
func TestStapleErrors(t *testing.T) {
	base := strings.Replace(wilsonRun("[4, 4]", 2, "repeat = 8"), `kind = "gauge_coupling"`, `kind = "staple_coupling"`, 1)
	phi4 := "[lattice]\nshape = [4, 4]\n[action]\nkind = \"phi4\"\nkappa = 0.1\nm_sq = 1.0\nlambd = 0.1\n[[flow.layers]]\nkind = \"staple_coupling\"\n"
	u1 := "[lattice]\nshape = [4, 4]\n[action]\nkind = \"u1\"\nbeta = 1.0\n[[flow.layers]]\nkind = \"staple_coupling\"\n"
	for _, c := range []struct{ src, want string }{
		{strings.Replace(base, "shape = [4, 4]", "shape = [4, 3]", 1), "lattice.shape = [4 3]: extent 3 along axis 1 is odd: staple_coupling (flow.layers[0]) needs even extents"},
		{strings.Replace(base, "shape = [4, 4]", "shape = [2, 6]", 1), ""},
		{strings.Replace(base, "repeat = 8", "freqs = 2", 1), "flow.layers[0].freqs = 2: SU(2) staple couplings take freqs = 0"},
		{strings.Replace(base, "repeat = 8", "period = 2", 1), "flow.layers[0].period is not a setting of kind staple_coupling"},
		{strings.Replace(base, "repeat = 8", "parity = 1", 1), "flow.layers[0].parity is not a setting of kind staple_coupling"},
		{strings.Replace(base, "[[flow.layers]]", "[prior]\nkind = \"normal\"\n[[flow.layers]]", 1), `prior.kind = "normal": action kind "wilson" needs prior kind "haar"`},
		{base + "[[flow.layers]]\nkind = \"gauge_coupling\"\nrepeat = 8\n", ""},
		{phi4, `flow.layers[0].kind = "staple_coupling" needs action kind "u1" or "wilson"`},
		{u1, ""},
		{strings.Replace(u1, "shape = [4, 4]", "shape = [4, 4, 3]", 1), "lattice.shape = [4 4 3]: extent 3 along axis 2 is odd: staple_coupling (flow.layers[0]) needs even extents"},
		{u1 + "freqs = 1\n", `flow.layers[0].freqs is a setting of staple_coupling on SU(3) links`},
		{strings.Replace(u1, "staple_coupling", "spline_coupling", 1), `action kind "u1" takes gauge_coupling or staple_coupling layers only`},
	} {
		_, err := Parse([]byte(c.src))
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.src, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line containing %q", c.src, err, c.want)
		}
	}
}

// TestU1StapleBuild: staple_coupling on a u1 action builds repeat
// flow.U1StapleCoupling layers, layer k on (μ, parity) = (k mod d, ⌊k/d⌋
// mod 2); defaults knots 8, kernel 1; the conditioner takes one channel
// (|A|/(2(d−1))) and gives 3(knots−1); zero_init gives the identity; the
// description survives Encode.
func TestU1StapleBuild(t *testing.T) {
	for _, c := range []struct {
		shape         string
		d, repeat     int
		layer         string
		knots, kernel int
	}{
		{"[4, 4]", 2, 4, "repeat = 4", 8, 1},
		{"[2, 4, 2]", 3, 6, "repeat = 6\nknots = 4\nhidden = [4]", 4, 1},
		{"[4, 4, 4, 4]", 4, 16, "repeat = 16\nhidden = [16]\nzero_init = true", 8, 1},
		{"[2, 2, 2, 2]", 4, 8, "repeat = 8\nkernel = 3\nactivation = \"tanh\"\nprecision = \"float64\"", 8, 3},
	} {
		src := "[lattice]\nshape = " + c.shape + "\n[action]\nkind = \"u1\"\nbeta = 0.8\n[[flow.layers]]\nkind = \"staple_coupling\"\n" + c.layer + "\n"
		r, err := Parse([]byte(src))
		if err != nil {
			t.Fatalf("%s: %v", c.layer, err)
		}
		m, err := r.BuildModel()
		if err != nil {
			t.Fatalf("%s: %v", c.layer, err)
		}
		seq := m.Flow.(*flow.Sequence)
		if len(seq.Layers) != c.repeat {
			t.Fatalf("%s: %d layers, want %d", c.layer, len(seq.Layers), c.repeat)
		}
		for k, l := range seq.Layers {
			s, ok := l.(*flow.U1StapleCoupling)
			if !ok {
				t.Fatalf("%s: layer %d is %T", c.layer, k, l)
			}
			if s.Mu != k%c.d || s.Parity != (k/c.d)%2 || s.Knots != c.knots {
				t.Errorf("%s %s: layer %d: (μ %d, parity %d), knots %d; want (%d, %d), %d", c.shape, c.layer, k, s.Mu, s.Parity, s.Knots, k%c.d, (k/c.d)%2, c.knots)
			}
			spec := s.Net.(*nn.Net).Spec()
			if spec.In != 1 || spec.Out != 3*(c.knots-1) || spec.Kernel != c.kernel {
				t.Errorf("%s: layer %d: conditioner %d → %d channels, kernel %d; want 1 → %d, %d", c.layer, k, spec.In, spec.Out, spec.Kernel, 3*(c.knots-1), c.kernel)
			}
		}
		if strings.Contains(c.layer, "zero_init") {
			f := m.Flow
			n := len(seq.Layers[0].(*flow.U1StapleCoupling).Active()) * 2 * c.d
			x := make([]float64, n)
			for i := range x {
				x[i] = float64(i%7) - 3
			}
			y, lj := make([]float64, n), make([]float64, 1)
			f.Forward(nil, x, y, lj)
			for i := range x {
				if math.Abs(y[i]-x[i]) > 1e-12 {
					t.Fatalf("%s: zero_init moves link %d by %g", c.layer, i, y[i]-x[i])
				}
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

// The size limit counts the conditioners of SU(N) gauge couplings with their
// own channels: on SU(3) 4⁴ a plaquette coupling takes 12 feature channels
// and gives 3·22 spectral parameters, so 16 layers of hidden [1250] with
// kernel 3 have about 1.3e8 weights, over MaxParams (the generic estimate of
// 4 channels in and 3·knots+2 out said 4.9e7 and let it through). A staple
// coupling's 4 features with kernel 1 stay far below the limit.
func TestSUNGaugeSizeLimit(t *testing.T) {
	big := wilsonRun("[4, 4, 4, 4]", 3, "repeat = 16\nhidden = [1250]")
	if _, err := Parse([]byte(big)); err == nil || !strings.Contains(err.Error(), "MaxParams") {
		t.Errorf("16 SU(3) plaquette couplings of hidden [1250], kernel 3, on 4⁴: error %v, want the MaxParams limit", err)
	}
	small := strings.Replace(wilsonRun("[4, 4, 4, 4]", 3, "repeat = 16\nhidden = [1250]"), `kind = "gauge_coupling"`, `kind = "staple_coupling"`, 1)
	if _, err := Parse([]byte(small)); err != nil {
		t.Errorf("16 SU(3) staple couplings of hidden [1250], kernel 1: %v", err)
	}
}
