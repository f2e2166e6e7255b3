package sungauge

import (
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/rng"
	"github.com/normflow/normflow-go/sun"
)

// shapes of the tests: d = 2, 3, 4, with extents 2 (links meet themselves
// across the boundary) and unequal extents.
var testShapes = [][]int{{4, 3}, {2, 3, 2}, {2, 2, 3, 2}}

// haarConfigs returns nb Haar-random configurations [nb, d, sites…, N, N, 2].
func haarConfigs(g *Geometry, nb int, seed uint64) []float64 {
	f := make([]float64, nb*g.FieldSize())
	for b := range nb {
		s := rng.New(seed, uint64(b))
		sun.HaarField(g.config(f, b), g.n, &s)
	}
	return f
}

// haarSites returns one Haar-random SU(N) matrix per site [V, N, N].
func haarSites(g *Geometry, seed uint64) []complex128 {
	om := make([]complex128, g.v*g.n*g.n)
	s := rng.New(seed, 77)
	sun.HaarField(om, g.n, &s)
	return om
}

func mustWilson(t testing.TB, shape []int, n int, beta float64) *Wilson {
	t.Helper()
	w, err := NewWilson(lattice.MustNew(shape...), n, beta)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestNewWilsonRefuses: d = 1, d = 5, N outside {2, 3} and a non-finite β
// are one-line errors naming the value.
func TestNewWilsonRefuses(t *testing.T) {
	for _, c := range []struct {
		shape []int
		n     int
		beta  float64
		want  string
	}{
		{[]int{8}, 2, 1, "1 axes"},
		{[]int{2, 2, 2, 2, 2}, 2, 1, "5 axes"},
		{[]int{4, 4}, 4, 1, "n = 4"},
		{[]int{4, 4}, 1, 1, "n = 1"},
		{[]int{4, 4}, 3, math.NaN(), "beta = NaN"},
	} {
		_, err := NewWilson(lattice.MustNew(c.shape...), c.n, c.beta)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("NewWilson(%v, %d, %g): error %v, want one line naming %q", c.shape, c.n, c.beta, err, c.want)
		}
	}
}

// TestColdStart: unit links have every plaquette 1, so S = −β V d(d−1)/2.
func TestColdStart(t *testing.T) {
	for _, sh := range testShapes {
		for _, n := range []int{2, 3} {
			w := mustWilson(t, sh, n, 1.7)
			f := make([]float64, 2*w.FieldSize())
			w.ColdStart(f)
			out := make([]float64, 2)
			w.Eval(f, out)
			want := -1.7 * float64(w.v*w.d*(w.d-1)/2)
			for _, s := range out {
				if math.Abs(s-want) > 1e-12*math.Abs(want) {
					t.Errorf("%v SU(%d): S(cold) = %g, want %g", sh, n, s, want)
				}
			}
		}
	}
}

// TestGaugeInvariance: S is unchanged to 1e-12 (relative) by a random local
// SU(N) transformation Ω(x), for d = 2, 3, 4 and N = 2, 3, while a global
// left multiplication of one link changes it.
func TestGaugeInvariance(t *testing.T) {
	for _, sh := range testShapes {
		for _, n := range []int{2, 3} {
			w := mustWilson(t, sh, n, 2.3)
			f := haarConfigs(w.Geometry, 1, 5)
			s0, s1 := make([]float64, 1), make([]float64, 1)
			w.Eval(f, s0)
			w.Transform(sun.Complex(f), haarSites(w.Geometry, 6))
			w.Eval(f, s1)
			if math.Abs(s1[0]-s0[0]) > 1e-12*math.Abs(s0[0]) {
				t.Errorf("%v SU(%d): S = %.15g before, %.15g after a gauge transformation", sh, n, s0[0], s1[0])
			}
			u := w.U(sun.Complex(f), 0, 0)
			sun.Mul(u, haarSites(w.Geometry, 7)[:n*n], u)
			w.Eval(f, s0)
			if math.Abs(s1[0]-s0[0]) < 1e-3 {
				t.Errorf("%v SU(%d): changing one link left S at %g", sh, n, s0[0])
			}
		}
	}
}

// TestStapleSum: every plaquette has four links, so Σ_{μ,x} Re Tr(U_μ(x)
// Σ_μ(x)) = 4 Σ_P Re Tr U_P = −4N S/β (to 1e-12).
func TestStapleSum(t *testing.T) {
	for _, sh := range testShapes {
		for _, n := range []int{2, 3} {
			w := mustWilson(t, sh, n, 1)
			f := haarConfigs(w.Geometry, 1, 8)
			u := sun.Complex(f)
			st, m := make([]complex128, n*n), make([]complex128, n*n)
			var sum float64
			for mu := range w.d {
				for x := range w.v {
					w.Staple(st, u, mu, x)
					sun.Mul(m, w.U(u, mu, x), st)
					sum += real(sun.Trace(m))
				}
			}
			s := make([]float64, 1)
			w.Eval(f, s)
			if want := -4 * float64(n) * s[0]; math.Abs(sum-want) > 1e-12*math.Abs(want) {
				t.Errorf("%v SU(%d): Σ Re Tr(UΣ) = %.15g, want −4N S/β = %.15g", sh, n, sum, want)
			}
		}
	}
}

// TestForceFiniteDifference: F^a_μ(x) = d/dε S(e^{iεT^a} U_μ(x)) against a
// central difference (ε = 1e-5, error ~ε²|S‴| + 1e-16|S|/ε) for every link
// and generator: agreement to 1e-8 relative to the largest force.
func TestForceFiniteDifference(t *testing.T) {
	for _, sh := range testShapes {
		for _, n := range []int{2, 3} {
			w := mustWilson(t, sh, n, 1.3)
			f := haarConfigs(w.Geometry, 2, 9)
			force := make([]float64, 2*w.Momenta())
			w.Force(f, force)
			na := n*n - 1
			gens := sun.Generators(n)
			var worst, big float64
			sp, sm := make([]float64, 1), make([]float64, 1)
			x, e := make([]complex128, n*n), make([]complex128, n*n)
			one := f[w.FieldSize():] // the second configuration
			for k := range w.Links() {
				for a := range na {
					const h = 1e-5
					eval := func(eps float64, out []float64) {
						c := slices.Clone(one)
						for i, v := range gens[a] {
							x[i] = complex(0, eps) * v
						}
						sun.Exp(e, x)
						l := sun.Mat(sun.Complex(c), k, n)
						sun.Mul(l, e, l)
						w.Eval(c, out)
					}
					eval(h, sp)
					eval(-h, sm)
					fd := (sp[0] - sm[0]) / (2 * h)
					got := force[w.Momenta()+k*na+a]
					worst = math.Max(worst, math.Abs(got-fd))
					big = math.Max(big, math.Abs(fd))
				}
			}
			t.Logf("%v SU(%d): max |F − FD| = %.2g, max |F| = %.3g", sh, n, worst, big)
			if worst > 1e-8*big || big == 0 {
				t.Errorf("%v SU(%d): force differs from finite differences by %.3g (max force %.3g)", sh, n, worst, big)
			}
		}
	}
}

// TestGradFiniteDifference: Grad is dS/d(Re U_ij), dS/d(Im U_ij) of the
// action as a polynomial on ℂ^{N×N} per link (Eval does not assume
// unitarity): central differences (h = 1e-6) agree to 1e-8 relative.
func TestGradFiniteDifference(t *testing.T) {
	for _, sh := range testShapes {
		for _, n := range []int{2, 3} {
			w := mustWilson(t, sh, n, 0.9)
			f := haarConfigs(w.Geometry, 1, 10)
			g := make([]float64, len(f))
			w.Grad(f, g)
			sp, sm := make([]float64, 1), make([]float64, 1)
			var worst, big float64
			for i := range f {
				const h = 1e-6
				c := slices.Clone(f)
				c[i] += h
				w.Eval(c, sp)
				c[i] -= 2 * h
				w.Eval(c, sm)
				fd := (sp[0] - sm[0]) / (2 * h)
				worst = math.Max(worst, math.Abs(g[i]-fd))
				big = math.Max(big, math.Abs(fd))
			}
			if worst > 1e-8*big || big == 0 {
				t.Errorf("%v SU(%d): gradient differs from finite differences by %.3g (max %.3g)", sh, n, worst, big)
			}
		}
	}
}

// TestThreadsBitIdentical: Eval, Grad, Force, Drift and Project give the
// same bits on 1 and 4 threads (batch of 3 on a 4⁴ lattice, so both the
// sample and the site split are exercised).
func TestThreadsBitIdentical(t *testing.T) {
	w := mustWilson(t, []int{4, 4, 4, 4}, 3, 5.5)
	f := haarConfigs(w.Geometry, 3, 11)
	p := make([]float64, 3*w.Momenta())
	s := rng.New(12)
	for i := range p {
		p[i] = s.Norm()
	}
	run := func(procs int) [][]float64 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		out, g, force := make([]float64, 3), make([]float64, len(f)), make([]float64, len(p))
		w.Eval(f, out)
		w.Grad(f, g)
		w.Force(f, force)
		c := slices.Clone(f)
		w.Drift(c, p, 0.3)
		w.Project(c)
		return [][]float64{out, g, force, c}
	}
	a, b := run(1), run(4)
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			t.Errorf("result %d differs between 1 and 4 threads", i)
		}
	}
}
