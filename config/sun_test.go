package config

import (
	"math"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/examples"
	"github.com/normflow/normflow-go/flow"
	"github.com/normflow/normflow-go/matrixmodel"
	"github.com/normflow/normflow-go/prior"
	"github.com/normflow/normflow-go/rng"
)

// TestMatrixExamples: the SU(N) matrix examples build the matrix action on
// one matrix (lattice shape []), the SU(N) Haar prior and spectral layers,
// and survive Encode.
func TestMatrixExamples(t *testing.T) {
	for _, c := range []struct {
		file   string
		n      int
		beta   float64
		coeffs []float64
		layers int
	}{
		{"su3_matrix.toml", 3, 6, []float64{1}, 1},
		{"su3_boyda.toml", 3, 9, []float64{0.98, -0.63, -0.21}, 2},
		{"su2_matrix.toml", 2, 2, []float64{1}, 1},
	} {
		data, err := examples.FS.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		m, err := r.BuildModel()
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		a, ok := m.Action.(*matrixmodel.Action)
		if !ok || a.ColorN() != c.n || a.Beta != c.beta || a.Matrices() != 1 || !equal(a.Coeffs, c.coeffs) {
			t.Errorf("%s: action %T %+v", c.file, m.Action, m.Action)
		}
		if h, ok := m.Prior.(*prior.HaarSU); !ok || h.N != c.n || h.Matrices != 1 || m.Size() != 2*c.n*c.n {
			t.Errorf("%s: prior %T %+v, size %d", c.file, m.Prior, m.Prior, m.Size())
		}
		seq := m.Flow.(*flow.Sequence)
		if len(seq.Layers) != c.layers {
			t.Errorf("%s: %d layers, want %d", c.file, len(seq.Layers), c.layers)
		}
		for _, l := range seq.Layers {
			if s, ok := l.(*flow.Spectral); !ok || s.ColorN() != c.n {
				t.Errorf("%s: layer %T, want an SU(%d) spectral layer", c.file, l, c.n)
			}
		}
		text, err := r.Encode()
		if err != nil {
			t.Fatal(err)
		}
		r2, err := Parse([]byte(text))
		if err != nil {
			t.Fatalf("%s: the encoded run description does not parse: %v\n%s", c.file, err, text)
		}
		if text2, _ := r2.Encode(); text2 != text {
			t.Errorf("%s: Encode is not stable:\n%s\n%s", c.file, text, text2)
		}
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestMatrixErrors: matrix and scalar parts do not mix; every bad value is
// a one-line error naming the key and what is allowed.
func TestMatrixErrors(t *testing.T) {
	base := `[lattice]
shape = []
[action]
kind = "matrix"
n = 3
beta = 6.0
coeffs = [1.0, 0.5]
[[flow.layers]]
kind = "spectral"
knots = 8
`
	cases := []struct{ old, new, want string }{
		{"n = 3", "n = 4", "action.n = 4: allowed: 2, 3"},
		{"n = 3", "n = 1", "action.n = 1: allowed: 2, 3"},
		{"n = 3\n", "", "action.n is missing"},
		{"beta = 6.0\n", "", "action.beta is missing"},
		{"beta = 6.0", "beta = inf", "action.beta = +Inf"},
		{"coeffs = [1.0, 0.5]", "coeffs = []", "action.coeffs is empty"},
		{"coeffs = [1.0, 0.5]", "coeffs = [1.0, nan]", "action.coeffs[1] = NaN"},
		{"coeffs = [1.0, 0.5]", "coeffs = [" + strings.Repeat("1.0, ", 16) + "1.0]", "action.coeffs has 17 entries: allowed: 1 to 16"},
		{"beta = 6.0", "beta = 6.0\nkappa = 1.0", "action.kappa is not a parameter of kind \"matrix\""},
		{"kind = \"spectral\"", "kind = \"affine_coupling\"", "flow.layers[0].kind = \"affine_coupling\": action kind \"matrix\" takes spectral layers only"},
		{"kind = \"spectral\"\nknots = 8", "kind = \"cnf\"", "flow.layers[0].kind = \"cnf\": action kind \"matrix\""},
		{"kind = \"spectral\"\nknots = 8", "kind = \"fourier\"", "flow.layers[0].kind = \"fourier\": action kind \"matrix\""},
		{"knots = 8", "knots = 1", "flow.layers[0].knots = 1"},
		{"knots = 8", "knots = 8\nhidden = [4]", "flow.layers[0].hidden is not a setting of kind spectral"},
		{"[[flow.layers]]", "[prior]\nkind = \"normal\"\n[[flow.layers]]", "prior.kind = \"normal\": action kind \"matrix\" needs prior kind \"haar\""},
	}
	for _, c := range cases {
		if strings.Count(base, c.old) != 1 {
			t.Fatalf("base has %d copies of %q", strings.Count(base, c.old), c.old)
		}
		_, err := Parse([]byte(strings.Replace(base, c.old, c.new, 1)))
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q → %q: error %v, want one line naming %q", c.old, c.new, err, c.want)
		}
	}
	// SU(2) spectral layers have no h_2, so no freqs.
	su2 := strings.Replace(base, "n = 3", "n = 2", 1) + "freqs = 2\n"
	if _, err := Parse([]byte(su2)); err == nil || !strings.Contains(err.Error(), "flow.layers[0].freqs = 2: SU(2) spectral layers take freqs = 0") {
		t.Errorf("SU(2) with freqs = 2: error %v", err)
	}
	// A spectral layer on a φ⁴ action, a u1 action; n and coeffs on a φ⁴ action.
	phi4 := "[lattice]\nshape = [4]\n[action]\nkappa = 0.1\nm_sq = 1.0\nlambd = 0.1\n[[flow.layers]]\nkind = \"spectral\"\n"
	if _, err := Parse([]byte(phi4)); err == nil || !strings.Contains(err.Error(), "flow.layers[0].kind = \"spectral\" needs action kind \"matrix\"") {
		t.Errorf("spectral layer on phi4: error %v", err)
	}
	u1 := "[lattice]\nshape = [4, 4]\n[action]\nkind = \"u1\"\nbeta = 1.0\n[[flow.layers]]\nkind = \"spectral\"\n"
	if _, err := Parse([]byte(u1)); err == nil || !strings.Contains(err.Error(), "needs action kind \"matrix\"") {
		t.Errorf("spectral layer on u1: error %v", err)
	}
	for k, want := range map[string]string{"n = 3": "action.n is a setting of the SU(N) kinds", "coeffs = [1.0]": "action.coeffs is a setting of kind \"matrix\""} {
		text := strings.Replace(phi4, "lambd = 0.1", "lambd = 0.1\n"+k, 1)
		if _, err := Parse([]byte(text)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("phi4 with %s: error %v", k, err)
		}
	}
	// Without coeffs: S = −(β/N) Re Tr U; a lattice of matrices.
	r, err := Parse([]byte(strings.Replace(strings.Replace(base, "coeffs = [1.0, 0.5]\n", "", 1), "shape = []", "shape = [2, 3]", 1)))
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.BuildModel()
	if err != nil {
		t.Fatal(err)
	}
	if a := m.Action.(*matrixmodel.Action); !equal(a.Coeffs, []float64{1}) || a.Matrices() != 6 || m.Size() != 6*18 {
		t.Errorf("default coefficients %v, %d matrices, size %d", a.Coeffs, a.Matrices(), m.Size())
	}
}

// TestMatrixStaple: staple_re/staple_im give the staple form S = −(β/N)
// Re Tr(U G), evaluated on Haar matrices against the trace computed here;
// malformed staples are one-line errors.
func TestMatrixStaple(t *testing.T) {
	base := `[lattice]
shape = [2]
[action]
kind = "matrix"
n = 2
beta = 3.0
staple_re = [[0.5, -1.0], [0.25, 2.0]]
staple_im = [[0.0, 0.75], [-0.5, 1.5]]
[[flow.layers]]
kind = "spectral"
`
	r, err := Parse([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.BuildModel()
	if err != nil {
		t.Fatal(err)
	}
	a := m.Action.(*matrixmodel.Action)
	g := []complex128{complex(0.5, 0), complex(-1, 0.75), complex(0.25, -0.5), complex(2, 1.5)}
	if a.Coeffs != nil || len(a.G) != 4 {
		t.Fatalf("action %+v: want the staple form", a)
	}
	for i := range g {
		if a.G[i] != g[i] {
			t.Fatalf("G = %v, want %v", a.G, g)
		}
	}
	const batch = 5
	u := make([]float64, batch*m.Size())
	st := rng.New(3, 0)
	m.Prior.Sample(&st, u)
	s := make([]float64, batch)
	m.Action.Eval(u, s)
	for b := range batch {
		want := 0.0
		for k := range 2 { // two matrices per configuration
			off := b*m.Size() + k*8
			for i := range 2 {
				for j := range 2 { // Re Tr(UG) = Re Σ_ij U_ij G_ji
					uij := complex(u[off+2*(2*i+j)], u[off+2*(2*i+j)+1])
					want -= 3.0 / 2 * real(uij*g[2*j+i])
				}
			}
		}
		if !(math.Abs(s[b]-want) <= 1e-13*(1+math.Abs(want))) {
			t.Errorf("configuration %d: S = %.15g, want −(β/N) Re Tr(U G) = %.15g", b, s[b], want)
		}
	}
	for _, c := range []struct{ old, new, want string }{
		{"staple_re = [[0.5, -1.0], [0.25, 2.0]]\n", "", "action.staple_im is given without staple_re"},
		{"staple_re = [[0.5, -1.0], [0.25, 2.0]]", "staple_re = [[0.5, -1.0]]", "action.staple_re has 1 rows: G is 2×2"},
		{"staple_re = [[0.5, -1.0], [0.25, 2.0]]", "staple_re = [[0.5, -1.0], [0.25]]", "action.staple_re[1] has 1 entries"},
		{"[-0.5, 1.5]", "[-0.5, nan]", "action.staple_im[1][1] = NaN"},
		{"beta = 3.0", "beta = 3.0\ncoeffs = [1.0]", "action.coeffs and action.staple_re are both given"},
		{"kind = \"matrix\"\nn = 2", "kind = \"wilson\"\nn = 2", "action.staple_re and staple_im are settings of kind \"matrix\""},
	} {
		if strings.Count(base, c.old) != 1 {
			t.Fatalf("base has %d copies of %q", strings.Count(base, c.old), c.old)
		}
		_, err := Parse([]byte(strings.Replace(base, c.old, c.new, 1)))
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q → %q: error %v, want one line naming %q", c.old, c.new, err, c.want)
		}
	}
}
