package sungauge

import (
	"math"
	"math/cmplx"
	"slices"
	"testing"

	"github.com/normflow/normflow-go/rng"
	"github.com/normflow/normflow-go/stats"
	"github.com/normflow/normflow-go/sun"
)

// TestObservablesGaugeInvariant: the plaquette, every Wilson loop, the
// Polyakov loop and (4-d) the clover charge are unchanged to 1e-12 by a
// random local SU(N) transformation, for d = 2, 3, 4 and N = 2, 3.
func TestObservablesGaugeInvariant(t *testing.T) {
	for _, sh := range [][]int{{4, 3}, {3, 3, 4}, {3, 3, 3, 4}} {
		for _, n := range []int{2, 3} {
			w := mustWilson(t, sh, n, 1)
			f := haarConfigs(w.Geometry, 1, 21)
			p0, l0, c0 := w.MeanPlaquette(f), w.Polyakov(f), 0.0
			wl0, err := w.WilsonLoops(f, 2)
			if err != nil {
				t.Fatal(err)
			}
			if w.d == 4 {
				c0, _ = w.TopologicalCharge(f)
			}
			w.Transform(sun.Complex(f), haarSites(w.Geometry, 22))
			p1, l1, c1 := w.MeanPlaquette(f), w.Polyakov(f), 0.0
			wl1, _ := w.WilsonLoops(f, 2)
			if w.d == 4 {
				c1, _ = w.TopologicalCharge(f)
			}
			if math.Abs(p1-p0) > 1e-12 || cmplx.Abs(l1-l0) > 1e-12 || math.Abs(c1-c0) > 1e-12 {
				t.Errorf("%v SU(%d): plaquette %g → %g, Polyakov %v → %v, Q %g → %g", sh, n, p0, p1, l0, l1, c0, c1)
			}
			for r := range wl0 {
				for s := range wl0[r] {
					if math.Abs(wl1[r][s]-wl0[r][s]) > 1e-12 {
						t.Errorf("%v SU(%d): W(%d, %d) %g → %g", sh, n, r+1, s+1, wl0[r][s], wl1[r][s])
					}
				}
			}
			if math.Abs(wl0[0][0]-p0) > 1e-14 || math.Abs(wl0[0][1]-wl0[1][0]) > 1e-14 {
				t.Errorf("%v SU(%d): W(1,1) = %g, plaquette %g; W(1,2) = %g, W(2,1) = %g", sh, n, wl0[0][0], p0, wl0[0][1], wl0[1][0])
			}
		}
	}
}

// abelianFlux is a 4-d configuration with constant U(1) field strength
// embedded as diag(e^{iθ}, e^{−iθ}, 1…): flux n01 through the (0, 1) planes
// and n23 through the (2, 3) planes, every plaquette of the (0, 1) plane
// having angle f01 = 2π n01/(L0 L1) (mod 2π) and likewise for (2, 3), the
// mixed planes angle 0. In the plane (a, b): θ_b(x) = f x_a, and θ_a(x) =
// −2π n x_b/L_b on the last slice x_a = L_a − 1 (the twist that closes the
// torus).
func abelianFlux(g *Geometry, n01, n23 int) []float64 {
	ext := g.lat.Shape()
	theta := make([][]float64, 4)
	for mu := range theta {
		theta[mu] = make([]float64, g.v)
	}
	for x := range g.v {
		c := g.lat.Coords(x)
		for _, pl := range [][3]int{{0, 1, n01}, {2, 3, n23}} {
			a, b, nf := pl[0], pl[1], float64(pl[2])
			la, lb := float64(ext[a]), float64(ext[b])
			theta[b][x] = 2 * math.Pi * nf * float64(c[a]) / (la * lb)
			if c[a] == ext[a]-1 {
				theta[a][x] = -2 * math.Pi * nf * float64(c[b]) / lb
			}
		}
	}
	f := make([]float64, g.FieldSize())
	u := sun.Complex(f)
	for mu := range 4 {
		for x := range g.v {
			l := g.U(u, mu, x)
			sun.Identity(l)
			l[0] = cmplx.Exp(complex(0, theta[mu][x]))
			l[g.n+1] = cmplx.Exp(complex(0, -theta[mu][x]))
		}
	}
	return f
}

// TestTopologicalChargeAbelianFlux: on the constant-flux configuration
// every clover leaf of the (0, 1) plane is diag(e^{if}, e^{−if}, 1), so
// F_01 = diag(sin f, −sin f, 0) exactly and
//
//	Q = V sin f01 sin f23/(2π²) = 2 n01 n23 · sinc(f01) sinc(f23),
//
// the continuum charge 2 n01 n23 of a U(1) flux in SU(N) (c₂ = −c₁² of
// L ⊕ L⁻¹) times the lattice factors sinc f = sin f/f; checked to 1e-12,
// with the sign of n01 n23, for N = 2, 3 and unequal extents, and under a
// random gauge transformation. The Wilson loops of the same configuration
// are cosines of the enclosed flux, averaged over the 12 ordered planes.
func TestTopologicalChargeAbelianFlux(t *testing.T) {
	for _, n := range []int{2, 3} {
		for _, fl := range [][2]int{{1, 1}, {1, -2}, {2, 3}} {
			w := mustWilson(t, []int{4, 6, 5, 4}, n, 1)
			f := abelianFlux(w.Geometry, fl[0], fl[1])
			f01 := 2 * math.Pi * float64(fl[0]) / 24
			f23 := 2 * math.Pi * float64(fl[1]) / 20
			want := float64(w.v) * math.Sin(f01) * math.Sin(f23) / (2 * math.Pi * math.Pi)
			got, err := w.TopologicalCharge(f)
			if err != nil {
				t.Fatal(err)
			}
			w.Transform(sun.Complex(f), haarSites(w.Geometry, 23))
			gotT, _ := w.TopologicalCharge(f)
			t.Logf("SU(%d) flux (%d, %d): Q = %.12f, want %.12f (continuum %d)", n, fl[0], fl[1], got, want, 2*fl[0]*fl[1])
			if math.Abs(got-want) > 1e-12 || math.Abs(gotT-want) > 1e-12 {
				t.Errorf("SU(%d) flux (%d, %d): Q = %.15f (gauge transformed %.15f), want %.15f", n, fl[0], fl[1], got, gotT, want)
			}
			loops, _ := w.WilsonLoops(f, 3)
			nf := float64(n)
			tr := func(phi float64) float64 { return (2*math.Cos(phi) + nf - 2) / nf }
			for r := 1; r <= 3; r++ {
				for s := 1; s <= 3; s++ {
					a := float64(r * s)
					want := (2*tr(f01*a) + 2*tr(f23*a) + 8) / 12
					if math.Abs(loops[r-1][s-1]-want) > 1e-12 {
						t.Errorf("SU(%d) flux (%d, %d): W(%d, %d) = %.15f, want %.15f", n, fl[0], fl[1], r, s, loops[r-1][s-1], want)
					}
				}
			}
		}
	}
}

// TestObservablesCold: unit links give plaquette 1, W = 1, P = 1, Q = 0;
// time links all equal to one SU(N) matrix M give P = (1/N) Tr M^{L_t}.
func TestObservablesCold(t *testing.T) {
	w := mustWilson(t, []int{3, 4, 3, 5}, 3, 1)
	f := make([]float64, w.FieldSize())
	w.ColdStart(f)
	loops, _ := w.WilsonLoops(f, 2)
	q, _ := w.TopologicalCharge(f)
	if p := w.MeanPlaquette(f); math.Abs(p-1) > 1e-15 || math.Abs(loops[1][1]-1) > 1e-15 || cmplx.Abs(w.Polyakov(f)-1) > 1e-15 || q != 0 {
		t.Errorf("cold start: plaquette %g, W(2,2) %g, P %v, Q %g", p, loops[1][1], w.Polyakov(f), q)
	}
	m := make([]complex128, 9)
	s := rng.New(31)
	sun.Haar(m, &s)
	u := sun.Complex(f)
	for x := range w.v {
		copy(w.U(u, 3, x), m)
	}
	pow := slices.Clone(m)
	for range 4 {
		sun.Mul(pow, pow, m)
	}
	if got, want := w.Polyakov(f), sun.Trace(pow)/3; cmplx.Abs(got-want) > 1e-14 {
		t.Errorf("constant time links: P = %v, want Tr M⁵/3 = %v", got, want)
	}
}

// TestObservableErrors: loops as long as an extent, and Q off d = 4, are
// one-line errors naming the value.
func TestObservableErrors(t *testing.T) {
	w := mustWilson(t, []int{4, 3}, 2, 1)
	f := make([]float64, w.FieldSize())
	w.ColdStart(f)
	if _, err := w.WilsonLoops(f, 3); err == nil {
		t.Error("Wilson loops of size 3 on a 4×3 lattice: no error")
	} else {
		t.Log(err)
	}
	if _, err := w.WilsonLoops(f, 0); err == nil {
		t.Error("Wilson loops of size 0: no error")
	}
	if _, err := w.TopologicalCharge(f); err == nil {
		t.Error("clover charge in 2-d: no error")
	} else {
		t.Log(err)
	}
}

// TestPolyakovSusceptibility: χ_P = V_s(⟨|P|²⟩ − ⟨|P|⟩²) of a series, with
// a positive error; for independent draws the error is close to the
// jackknife error of the same quantity.
func TestPolyakovSusceptibility(t *testing.T) {
	s := rng.New(51)
	a := make([]float64, 4000)
	var m1, m2 float64
	for i := range a {
		a[i] = math.Abs(s.Norm())
		m1 += a[i]
		m2 += a[i] * a[i]
	}
	m1, m2 = m1/4000, m2/4000
	r := PolyakovSusceptibility(a, 27)
	if want := 27 * (m2 - m1*m1); math.Abs(r.Mean-want) > 1e-12*want {
		t.Errorf("χ_P = %.15g, want %.15g", r.Mean, want)
	}
	jk := stats.Jackknife(len(a), func(skip int) float64 {
		var s1, s2 float64
		for i, v := range a {
			if i != skip {
				s1 += v
				s2 += v * v
			}
		}
		n := float64(len(a) - 1)
		return 27 * (s2/n - s1*s1/n/n)
	})
	t.Logf("χ_P = %.4f ± %.4f (jackknife %.4f)", r.Mean, r.Err, jk)
	if !(r.Err > 0.7*jk && r.Err < 1.3*jk) {
		t.Errorf("χ_P error %.4g, jackknife %.4g", r.Err, jk)
	}
}
