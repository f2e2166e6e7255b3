package matrixmodel

import (
	"math"
	"math/cmplx"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/rng"
	"github.com/normflow/normflow-go/sun"
)

// haarField returns batch configurations of vol Haar SU(n) matrices in the
// interleaved layout.
func haarField(n, vol, batch int, seed uint64) []float64 {
	n2 := n * n
	out := make([]float64, batch*vol*2*n2)
	u := make([]complex128, n2)
	for m := range batch * vol {
		s := rng.New(seed, uint64(m))
		sun.Haar(u, &s)
		sun.ToInterleaved(out[m*2*n2:(m+1)*2*n2], u)
	}
	return out
}

func actions(t *testing.T) map[string]*Action {
	t.Helper()
	lat1, _ := lattice.New()
	lat2, _ := lattice.New(2, 3)
	out := map[string]*Action{}
	mk := func(name string, a *Action, err error) {
		if err != nil {
			t.Fatal(err)
		}
		out[name] = a
	}
	a, err := NewAction(lat1, 2, 2, []float64{1})
	mk("SU(2) c=[1] one matrix", a, err)
	a, err = NewAction(lat2, 3, 9, []float64{0.98, -0.63, -0.21})
	mk("SU(3) Boyda 2×3", a, err)
	a, err = NewAction(lat1, 3, 6, []float64{1})
	mk("SU(3) c=[1]", a, err)
	g := make([]complex128, 9)
	s := rng.New(5)
	for i := range g {
		g[i] = complex(s.Norm(), s.Norm())
	}
	a, err = NewStapleAction(lat2, 3, 1.5, g)
	mk("SU(3) staple G random", a, err)
	return out
}

// TestGradFiniteDifferences: Grad against central differences of Eval in
// every real coordinate of the embedding ℂ^{N×N}, at Haar matrices and at
// general complex matrices (S is a polynomial in the entries).
func TestGradFiniteDifferences(t *testing.T) {
	for name, a := range actions(t) {
		const batch = 2
		phi := haarField(a.n, a.Matrices(), batch, 3)
		s := rng.New(9)
		for i := range phi[len(phi)/2:] { // second sample: not unitary
			phi[len(phi)/2+i] += 0.3 * s.Norm()
		}
		g := make([]float64, len(phi))
		a.Grad(phi, g)
		size := a.FieldSize()
		out := make([]float64, batch)
		const h = 1e-6
		var worst float64
		for i := range phi {
			b := i / size
			old := phi[i]
			phi[i] = old + h
			a.Eval(phi, out)
			sp := out[b]
			phi[i] = old - h
			a.Eval(phi, out)
			sm := out[b]
			phi[i] = old
			fd := (sp - sm) / (2 * h)
			worst = max(worst, math.Abs(fd-g[i])/(1+math.Abs(fd)))
		}
		if worst > 1e-7 {
			t.Errorf("%s: Grad misses the finite differences by %.2g (relative)", name, worst)
		}
		t.Logf("%s: Grad vs central differences %.2g", name, worst)
	}
}

// TestConjugationInvariance: with G = 1 (and for every power form) S is a
// class function, S(W U W†) = S(U) to rounding; a generic G breaks it.
func TestConjugationInvariance(t *testing.T) {
	for name, a := range actions(t) {
		n, n2 := a.n, a.n*a.n
		phi := haarField(n, a.Matrices(), 3, 11)
		conj := make([]float64, len(phi))
		u, w := make([]complex128, n2), make([]complex128, n2)
		for m := range len(phi) / (2 * n2) {
			s := rng.New(77, uint64(m))
			sun.Haar(w, &s)
			sun.FromInterleaved(u, phi[m*2*n2:(m+1)*2*n2])
			sun.Mul(u, w, u)
			sun.MulAdj(u, u, w)
			sun.ToInterleaved(conj[m*2*n2:(m+1)*2*n2], u)
		}
		s0, s1 := make([]float64, 3), make([]float64, 3)
		a.Eval(phi, s0)
		a.Eval(conj, s1)
		var worst float64
		for b := range s0 {
			worst = max(worst, math.Abs(s0[b]-s1[b]))
		}
		if a.G != nil {
			if worst < 1e-3 {
				t.Errorf("%s: a generic G should break conjugation invariance, |ΔS| = %.2g", name, worst)
			}
			continue
		}
		if worst > 1e-12 {
			t.Errorf("%s: S(WUW†) − S(U) = %.2g, want < 1e-12", name, worst)
		}
	}
	// G = 1 in the staple form is the power form c = [1].
	lat, _ := lattice.New(2)
	one := []complex128{1, 0, 0, 0, 1, 0, 0, 0, 1}
	st, _ := NewStapleAction(lat, 3, 6, one)
	pw, _ := NewAction(lat, 3, 6, []float64{1})
	phi := haarField(3, 2, 4, 1)
	a, b := make([]float64, 4), make([]float64, 4)
	st.Eval(phi, a)
	pw.Eval(phi, b)
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-13 {
			t.Errorf("staple G = 1 %g, power c = [1] %g", a[i], b[i])
		}
	}
}

// TestEvalFromAngles: S of V diag(e^{iθ}) V† is −(β/N) Σ_k c_k Σ_i cos kθ_i.
func TestEvalFromAngles(t *testing.T) {
	lat, _ := lattice.New()
	a, _ := NewAction(lat, 3, 9, []float64{0.17, -0.65, 1.22})
	phi := haarField(3, 1, 5, 2)
	out := make([]float64, 5)
	a.Eval(phi, out)
	u, v := make([]complex128, 9), make([]complex128, 9)
	th := make([]float64, 3)
	for b := range out {
		sun.FromInterleaved(u, phi[b*18:(b+1)*18])
		sun.Eigen(v, th, u)
		want := -9.0 / 3 * ReTrPowers(th, a.Coeffs)
		if math.Abs(out[b]-want) > 1e-12 {
			t.Errorf("sample %d: S = %.15g, from the angles %.15g", b, out[b], want)
		}
	}
}

// TestMeanTraceQuadrature: the Weyl quadrature of the power form with
// c = [1] equals the character series sun.MeanTrace to 1e-13 (and ln Z
// equals ln c_0 to 1e-13) (SU(2) β = 2:
// 0.433127426722; SU(3) β = 6: 0.422531739650), and for the Boyda densities
// it has converged (m = 128 against 256 to 1e-13).
func TestMeanTraceQuadrature(t *testing.T) {
	for _, c := range []struct {
		n    int
		beta float64
		want float64
	}{{2, 2, 0.433127426722}, {3, 2, 0.128627785322}, {3, 6, 0.422531739650}} {
		got := MeanTrace(c.n, c.beta, []float64{1}, 128)
		if d := math.Abs(got - sun.MeanTrace(c.n, c.beta)); d > 1e-13 {
			t.Errorf("SU(%d) β = %g: quadrature %.15f, characters %.15f", c.n, c.beta, got, sun.MeanTrace(c.n, c.beta))
		}
		if math.Abs(got-c.want) > 1e-12 {
			t.Errorf("SU(%d) β = %g: %.13f, want %.12f", c.n, c.beta, got, c.want)
		}
	}
	for _, cs := range [][]float64{{0.98, -0.63, -0.21}, {0.17, -0.65, 1.22}, {1, 0, 0}} {
		lo, hi := MeanTrace(3, 9, cs, 128), MeanTrace(3, 9, cs, 256)
		if math.Abs(lo-hi) > 1e-13 || math.IsNaN(hi) {
			t.Errorf("Boyda c = %v: m = 128 gives %.15f, m = 256 %.15f", cs, lo, hi)
		}
		t.Logf("SU(3) β = 9, c = %v: ⟨(1/3) Re Tr U⟩ = %.12f", cs, hi)
	}
	for _, c := range []struct {
		n    int
		beta float64
	}{{2, 2}, {3, 6}, {3, 1}} {
		got, want := LogZ(c.n, c.beta, []float64{1}, 128), math.Log(sun.CharacterCoeff(make([]int, c.n), c.beta))
		if math.Abs(got-want) > 1e-13 {
			t.Errorf("SU(%d) β = %g: ln Z by quadrature %.15f, ln c_0 %.15f", c.n, c.beta, got, want)
		}
	}
	lat, _ := lattice.New()
	st, _ := NewStapleAction(lat, 3, 1, []complex128{1, 0, 0, 0, 1, 0, 0, 0, 1i})
	if _, err := st.MeanTrace(); err == nil {
		t.Errorf("MeanTrace of G ≠ 1: no error")
	}
}

// TestSeriesMeanTrace: the per-configuration (1/N) Re Tr U, site-averaged.
func TestSeriesMeanTrace(t *testing.T) {
	lat, _ := lattice.New(3)
	a, _ := NewAction(lat, 2, 1, []float64{1})
	phi := haarField(2, 3, 2, 4)
	got := a.SeriesMeanTrace(phi)
	u := make([]complex128, 4)
	for b := range 2 {
		var want float64
		for x := range 3 {
			o := (b*3 + x) * 8
			sun.FromInterleaved(u, phi[o:o+8])
			want += real(sun.Trace(u)) / 2 / 3
		}
		if math.Abs(got[b]-want) > 1e-15 {
			t.Errorf("sample %d: %g, want %g", b, got[b], want)
		}
	}
}

// TestErrors: bad parameters give one-line errors naming the value.
func TestErrors(t *testing.T) {
	lat, _ := lattice.New()
	for _, c := range []struct {
		err  error
		want string
	}{
		{second(NewAction(lat, 1, 1, []float64{1})), "n = 1"},
		{second(NewAction(lat, 3, math.NaN(), []float64{1})), "beta = NaN"},
		{second(NewAction(lat, 3, 1, nil)), "coeffs is empty"},
		{second(NewAction(lat, 3, 1, []float64{1, math.Inf(1)})), "coeffs[1] = +Inf"},
		{second(NewStapleAction(lat, 3, 1, make([]complex128, 4))), "G has 4 entries"},
		{second(NewStapleAction(lat, 2, 1, []complex128{1, 0, 0, cmplx.NaN()})), "G[3]"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) || strings.Contains(c.err.Error(), "\n") {
			t.Errorf("error %v, want one line naming %q", c.err, c.want)
		}
	}
}

func second(_ *Action, err error) error { return err }
