package observable

import (
	"fmt"
	"math"
	"math/cmplx"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/internal/within"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/rng"
	"github.com/normflow/normflow-go/sun"
)

// haarConfigurations draws k configurations of m Haar SU(n) matrices each
// (per-sample streams of seed), as interleaved pairs [k, m, n, n, 2].
func haarConfigurations(k, m, n int, seed uint64) []float64 {
	out := make([]float64, 0, k*m*n*n*2)
	field := make([]complex128, m*n*n)
	for c := range k {
		s := rng.New(seed, 0, uint64(c))
		sun.HaarField(field, n, &s)
		out = append(out, pairsOf(field)...)
	}
	return out
}

func pairsOf(c []complex128) []float64 {
	p := make([]float64, 2*len(c))
	for i, z := range c {
		p[2*i], p[2*i+1] = real(z), imag(z)
	}
	return p
}

// Haar matrices: the three observables agree within 4σ with their exact
// values, the class-function averages by Weyl quadrature (docs/sun.md §7):
// ⟨Tr U⟩ = 0, ⟨|Tr U|²⟩ = 1, ⟨(1/N) Re Tr U²⟩ = −1/2 (SU(2)) and 0 (SU(3)).
func TestSUNSeriesHaar(t *testing.T) {
	for _, n := range []int{2, 3} {
		lat := lattice.MustNew(2, 2)
		s, err := NewSUNSeries(lat, n, false)
		if err != nil {
			t.Fatal(err)
		}
		const k = 5000
		u := haarConfigurations(k, lat.Volume(), n, 11)
		// Added in two pieces, as measure reads a file.
		if err := s.Add(u[:s.Values()*1700]); err != nil {
			t.Fatal(err)
		}
		if err := s.Add(u[s.Values()*1700:]); err != nil {
			t.Fatal(err)
		}
		r := s.Measure(nil, 0)
		if r.N != k || r.ColorN != n || r.Links {
			t.Fatalf("report N %d, color %d, links %v", r.N, r.ColorN, r.Links)
		}
		exact := map[string]func(th []float64) float64{
			"trU":  func(th []float64) float64 { return sumCos(th, 1) / float64(n) },
			"trU2": func(th []float64) float64 { return sumCos(th, 2) / float64(n) },
			"absTrU2": func(th []float64) float64 {
				var z complex128
				for _, a := range th {
					z += cmplx.Exp(complex(0, a))
				}
				return real(z)*real(z) + imag(z)*imag(z)
			},
		}
		for _, name := range MatrixNames {
			want := sun.WeylIntegral(n, 64, exact[name])
			e := r.Observables[name]
			within.Sigmas(t, fmt.Sprintf("SU(%d) %s", n, name), e.Mean, want, e.Err, 4)
			t.Logf("SU(%d) %s = %v (exact %.6f), τ_int %.3f", n, name, e, want, r.TauInt[name].Tau)
			if ti := r.TauInt[name]; !(math.Abs(ti.Tau-0.5) < 4*ti.Err+0.05) {
				t.Errorf("SU(%d) τ_int(%s) = %v ± %v of independent samples, want 0.5", n, name, ti.Tau, ti.Err)
			}
		}
		if n == 2 && math.Abs(sun.WeylIntegral(2, 64, exact["trU2"])+0.5) > 1e-14 {
			t.Errorf("Weyl ⟨½ Re Tr U²⟩ of SU(2) = %v, want −1/2", sun.WeylIntegral(2, 64, exact["trU2"]))
		}
	}
}

func sumCos(th []float64, k float64) float64 {
	var c float64
	for _, a := range th {
		c += math.Cos(k * a)
	}
	return c
}

// conjugate sets every matrix of the pairs u (n×n) to W U W† with its own
// Haar W.
func conjugate(u []float64, n int, seed uint64) []float64 {
	c := make([]complex128, len(u)/2)
	for i := range c {
		c[i] = complex(u[2*i], u[2*i+1])
	}
	w, tmp := make([]complex128, n*n), make([]complex128, n*n)
	for k := range len(c) / (n * n) {
		s := rng.New(seed, 1, uint64(k))
		sun.Haar(w, &s)
		m := c[k*n*n : (k+1)*n*n]
		sun.Mul(tmp, w, m)
		sun.MulAdj(m, tmp, w)
	}
	return pairsOf(c)
}

// The observables are class functions: conjugating every matrix by its
// own W leaves every series unchanged (to rounding), so the measurement
// too.
func TestSUNSeriesConjugationInvariant(t *testing.T) {
	for _, n := range []int{2, 3} {
		lat := lattice.MustNew(3)
		u := haarConfigurations(50, 3, n, 5)
		a, _ := NewSUNSeries(lat, n, false)
		b, _ := NewSUNSeries(lat, n, false)
		if err := a.Add(u); err != nil {
			t.Fatal(err)
		}
		if err := b.Add(conjugate(u, n, 6)); err != nil {
			t.Fatal(err)
		}
		for name, x := range a.series() {
			y := b.series()[name]
			for i := range x {
				if math.Abs(x[i]-y[i]) > 1e-13 {
					t.Fatalf("SU(%d) %s[%d]: %v, conjugated %v", n, name, i, x[i], y[i])
				}
			}
		}
		ra, rb := a.Measure(nil, 0), b.Measure(nil, 0)
		for _, name := range MatrixNames {
			if d := math.Abs(ra.Observables[name].Mean - rb.Observables[name].Mean); d > 1e-13 {
				t.Errorf("SU(%d) %s moved by %v under conjugation", n, name, d)
			}
		}
	}
}

// One matrix (a lattice without axes): the series are those of the matrix.
func TestSUNSeriesOneMatrix(t *testing.T) {
	lat := lattice.MustNew()
	s, err := NewSUNSeries(lat, 2, false)
	if err != nil {
		t.Fatal(err)
	}
	// U = diag(e^{iθ}, e^{−iθ}): Tr U = 2 cos θ, Tr U² = 2 cos 2θ.
	th := 0.7
	u := pairsOf([]complex128{cmplx.Exp(complex(0, th)), 0, 0, cmplx.Exp(complex(0, -th))})
	if err := s.Add(u); err != nil {
		t.Fatal(err)
	}
	if math.Abs(s.TrU[0]-math.Cos(th)) > 1e-15 || math.Abs(s.TrU2[0]-math.Cos(2*th)) > 1e-15 || math.Abs(s.AbsTrU2[0]-4*math.Cos(th)*math.Cos(th)) > 1e-15 {
		t.Errorf("series %v %v %v", s.TrU, s.TrU2, s.AbsTrU2)
	}
}

// Diagonal SU(2) links diag(e^{iθ}, e^{−iθ}) are U(1) links: the plaquette
// is cos θ_P with θ_P = θ_μ(x) + θ_ν(x+μ̂) − θ_μ(x+ν̂) − θ_ν(x).
func TestSUNSeriesPlaquetteAbelian(t *testing.T) {
	lat := lattice.MustNew(3, 4)
	vol := lat.Volume()
	s := rng.New(3)
	theta := make([]float64, 2*vol)
	links := make([]complex128, 0, 2*vol*4)
	for i := range theta {
		theta[i] = 2 * math.Pi * s.Float64()
		e := cmplx.Exp(complex(0, theta[i]))
		links = append(links, e, 0, 0, cmplx.Conj(e))
	}
	var want float64
	for x := range vol {
		want += math.Cos(theta[x] + theta[vol+lat.Fwd(0, x)] - theta[lat.Fwd(1, x)] - theta[vol+x])
	}
	want /= float64(vol)
	ser, err := NewSUNSeries(lat, 2, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := ser.Add(pairsOf(links)); err != nil {
		t.Fatal(err)
	}
	if math.Abs(ser.Plaq[0]-want) > 1e-14 {
		t.Errorf("plaquette %v, want %v", ser.Plaq[0], want)
	}
}

// gaugeTransform applies U_μ(x) → g(x) U_μ(x) g(x+μ̂)† with Haar g(x) to
// link configurations [k, d, V, n, n] (pairs).
func gaugeTransform(u []float64, lat *lattice.Lattice, n int, seed uint64) []float64 {
	c := make([]complex128, len(u)/2)
	for i := range c {
		c[i] = complex(u[2*i], u[2*i+1])
	}
	vol, d, nn := lat.Volume(), lat.Dim(), n*n
	per := d * vol * nn
	g := make([]complex128, vol*nn)
	tmp := make([]complex128, nn)
	for k := range len(c) / per {
		s := rng.New(seed, 2, uint64(k))
		sun.HaarField(g, n, &s)
		for mu := range d {
			for x := range vol {
				m := c[k*per+(mu*vol+x)*nn : k*per+(mu*vol+x+1)*nn]
				sun.Mul(tmp, g[x*nn:(x+1)*nn], m)
				y := lat.Fwd(mu, x)
				sun.MulAdj(m, tmp, g[y*nn:(y+1)*nn])
			}
		}
	}
	return pairsOf(c)
}

// Haar links: the plaquette averages to 0 within 4σ, and a gauge
// transformation leaves it unchanged configuration by configuration.
func TestSUNSeriesPlaquetteHaarAndGaugeInvariance(t *testing.T) {
	for _, n := range []int{2, 3} {
		lat := lattice.MustNew(3, 2, 2)
		u := haarConfigurations(400, lat.Dim()*lat.Volume(), n, 21)
		a, err := NewSUNSeries(lat, n, true)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := NewSUNSeries(lat, n, true)
		if err := a.Add(u); err != nil {
			t.Fatal(err)
		}
		if err := b.Add(gaugeTransform(u, lat, n, 4)); err != nil {
			t.Fatal(err)
		}
		for i := range a.Plaq {
			if math.Abs(a.Plaq[i]-b.Plaq[i]) > 1e-13 {
				t.Fatalf("SU(%d) plaquette %d: %v, gauge transformed %v", n, i, a.Plaq[i], b.Plaq[i])
			}
		}
		r := a.Measure(nil, 0)
		e := r.Observables["plaquette"]
		within.Sigmas(t, "Haar plaquette", e.Mean, 0, e.Err, 4)
		t.Logf("SU(%d) Haar links on %v: plaquette %v", n, lat.Shape(), e)
		// Reweighting with equal weights is the plain mean.
		rw := a.Measure(make([]float64, a.Len()), 0)
		if !rw.Reweighted || math.Abs(rw.Observables["plaquette"].Mean-e.Mean) > 1e-14 {
			t.Errorf("reweighted with w = 1: %v, plain %v", rw.Observables["plaquette"], e)
		}
	}
}

// Bad input: non-finite entries, matrices outside SU(N), a partial
// configuration, N < 2, links without plaquettes; nothing is added.
func TestSUNSeriesRejects(t *testing.T) {
	lat := lattice.MustNew(2)
	s, _ := NewSUNSeries(lat, 2, false)
	good := haarConfigurations(3, 2, 2, 1)
	nan := append([]float64(nil), good...)
	nan[s.Values()+8+3] = math.NaN() // configuration 1, matrix 1, entry (0, 1) imaginary part
	notSU := append([]float64(nil), good...)
	notSU[2*s.Values()] *= 1.01 // configuration 2, matrix 0
	for _, c := range []struct {
		u    []float64
		want string
	}{
		{nan, "configuration 1, matrix 1: entry (0, 1) = "},
		{notSU, "configuration 2, matrix 0 is not in SU(2)"},
		{good[:len(good)-2], "not a whole number of configurations"},
	} {
		err := s.Add(c.u)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Add: %v, want an error with %q", err, c.want)
		}
		if s.Len() != 0 {
			t.Fatalf("a rejected Add added %d configurations", s.Len())
		}
	}
	if _, err := NewSUNSeries(lat, 1, false); err == nil {
		t.Error("N = 1 accepted")
	}
	if _, err := NewSUNSeries(lat, 2, true); err == nil || !strings.Contains(err.Error(), "at least 2 axes") {
		t.Errorf("1-d links: %v", err)
	}
}
