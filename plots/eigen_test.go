package plots

import (
	"math"
	"math/cmplx"
	"path/filepath"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/rng"
	"github.com/normflow/normflow-go/sun"
)

// trapezoid integrates the 2π-periodic f over (−π, π] on m points.
func trapezoid(f func(float64) float64, m int) float64 {
	var s float64
	for i := range m {
		s += f(-math.Pi + 2*math.Pi*float64(i)/float64(m))
	}
	return s * 2 * math.Pi / float64(m)
}

// oneMatrixLogWeight is (β/N) Re Tr U as a function of the eigen-angles.
func oneMatrixLogWeight(n int, beta float64) func([]float64) float64 {
	return func(th []float64) float64 {
		var c float64
		for _, t := range th {
			c += math.Cos(t)
		}
		return beta / float64(n) * c
	}
}

// The exact density integrates to 1 (quadrature), for Haar and with the
// Boltzmann weight of p ∝ exp((β/N) Re Tr U); its mean of cos φ is
// ⟨(1/N) Re Tr U⟩ from the character expansion (docs/sun.md §8); the Haar
// density of SU(2) is sin²φ/π.
func TestEigenAngleDensity(t *testing.T) {
	for _, c := range []struct {
		n    int
		beta float64
	}{{2, 0}, {3, 0}, {2, 2}, {3, 2}, {3, 6}} {
		var lw func([]float64) float64
		if c.beta != 0 {
			lw = oneMatrixLogWeight(c.n, c.beta)
		}
		rho, err := EigenAngleDensity(c.n, 96, lw)
		if err != nil {
			t.Fatal(err)
		}
		total := trapezoid(rho, 400)
		mean := trapezoid(func(x float64) float64 { return rho(x) * math.Cos(x) }, 400)
		want := 0.0
		if c.beta != 0 {
			want = sun.MeanTrace(c.n, c.beta)
		}
		if math.Abs(total-1) > 1e-12 || math.Abs(mean-want) > 1e-12 {
			t.Errorf("SU(%d) β = %g: ∫ρ = %.15f, ∫ρ cos = %.15f (want %.15f)", c.n, c.beta, total, mean, want)
		}
		if c.n == 2 && c.beta == 0 {
			for _, x := range []float64{-3, -1, 0.3, 2} {
				if d := rho(x) - math.Sin(x)*math.Sin(x)/math.Pi; math.Abs(d) > 1e-15 {
					t.Errorf("SU(2) Haar ρ(%g) off by %g", x, d)
				}
			}
		}
		t.Logf("SU(%d) β = %g: ∫ρ = %.15f, ∫ρ cos φ = %.12f (character series %.12f)", c.n, c.beta, total, mean, want)
	}
	if _, err := EigenAngleDensity(1, 10, nil); err == nil {
		t.Error("N = 1 accepted")
	}
}

// chi2Z is the Wilson–Hilferty normal deviate of χ² with k degrees of
// freedom (> 4 is a one-sided 4σ excess).
func chi2Z(chi2 float64, k int) float64 {
	a := 2 / (9 * float64(k))
	return (math.Cbrt(chi2/float64(k)) - (1 - a)) / math.Sqrt(a)
}

// The histogram of one randomly chosen eigen-angle per matrix (independent
// draws from ρ) passes a χ² test against the bin probabilities of the
// exact density: Haar SU(2) and SU(3) matrices, and SU(3) matrices of
// p ∝ exp((β/3) Re Tr U), β = 2, by rejection from Haar. A density without
// the Weyl factor fails it.
func TestEigenAnglesAgainstDensity(t *testing.T) {
	for _, c := range []struct {
		n    int
		beta float64
	}{{2, 0}, {3, 0}, {3, 2}} {
		lw := oneMatrixLogWeight(c.n, c.beta)
		rho, err := EigenAngleDensity(c.n, 64, lw)
		if err != nil {
			t.Fatal(err)
		}
		const draws, bins = 20000, 24
		u := make([]complex128, c.n*c.n)
		var angles []float64
		for i := 0; len(angles) < draws; i++ {
			s := rng.New(77, uint64(c.n), uint64(i))
			sun.Haar(u, &s)
			if s.Float64() >= math.Exp(c.beta/float64(c.n)*(real(sun.Trace(u))-float64(c.n))) {
				continue // rejected: accept with w/w_max, w_max at U = 1
			}
			all, err := EigenAngles(nil, pairs(u), c.n)
			if err != nil {
				t.Fatal(err)
			}
			angles = append(angles, all[s.Intn(c.n)])
		}
		z := histogramZ(angles, rho, bins)
		flat := histogramZ(angles, func(float64) float64 { return 1 / (2 * math.Pi) }, bins)
		t.Logf("SU(%d) β = %g: χ² z = %.2f against ρ, %.0f against the flat density", c.n, c.beta, z, flat)
		if !(z < 4) || !(flat > 10) {
			t.Errorf("SU(%d) β = %g: χ² z = %.2f (want < 4), flat %.1f (want > 10)", c.n, c.beta, z, flat)
		}
	}
}

// histogramZ is chi2Z of the angles in bins of (−π, π] against rho, the
// bin probabilities by Simpson's rule on 16 panels.
func histogramZ(angles []float64, rho func(float64) float64, bins int) float64 {
	w := 2 * math.Pi / float64(bins)
	counts := make([]float64, bins)
	for _, a := range angles {
		counts[min(int((a+math.Pi)/w), bins-1)]++
	}
	var chi2 float64
	for b := range bins {
		lo := -math.Pi + float64(b)*w
		const panels = 16
		h := w / panels
		p := rho(lo) + rho(lo+w)
		for k := 1; k < panels; k++ {
			p += float64(2+2*(k%2)) * rho(lo+float64(k)*h)
		}
		e := p * h / 3 * float64(len(angles))
		chi2 += (counts[b] - e) * (counts[b] - e) / e
	}
	return chi2Z(chi2, bins-1)
}

func pairs(c []complex128) []float64 {
	p := make([]float64, 2*len(c))
	for i, z := range c {
		p[2*i], p[2*i+1] = real(z), imag(z)
	}
	return p
}

// EigenAngles returns every angle of diagonal matrices, wrapped, and
// refuses non-finite entries and other N.
func TestEigenAngles(t *testing.T) {
	th := []float64{2.9, 1.2, -4.1} // sums to 0; −4.1 wraps to 2π − 4.1
	d := make([]complex128, 9)
	for i, a := range th {
		d[4*i] = cmplx.Exp(complex(0, a))
	}
	got, err := EigenAngles(nil, pairs(d), 3)
	if err != nil {
		t.Fatal(err)
	}
	want := map[float64]bool{2.9: true, 1.2: true, 2*math.Pi - 4.1: true}
	for _, a := range got {
		ok := false
		for w := range want {
			ok = ok || math.Abs(a-w) < 1e-14
		}
		if !ok || a <= -math.Pi || a > math.Pi {
			t.Errorf("angle %v not among %v", a, want)
		}
	}
	bad := pairs(d)
	bad[5] = math.NaN()
	if _, err := EigenAngles(nil, bad, 3); err == nil || !strings.Contains(err.Error(), "matrix 0: entry (0, 2)") {
		t.Errorf("NaN: %v", err)
	}
	if _, err := EigenAngles(nil, make([]float64, 32), 4); err == nil {
		t.Error("SU(4) accepted")
	}
}

// testMatrixAction is S = −(β/N) Σ_x Re Tr(U_x G) on a lattice of
// independent matrices (links = 0), or on links.
type testMatrixAction struct {
	lat      *lattice.Lattice
	n, links int
	beta     float64
	g        []complex128 // nil: G = 1
}

func (a *testMatrixAction) Lattice() *lattice.Lattice { return a.lat }
func (a *testMatrixAction) ColorN() int               { return a.n }
func (a *testMatrixAction) LinksPerSite() int         { return a.links }
func (a *testMatrixAction) Grad(phi, dphi []float64)  { panic("not used") }
func (a *testMatrixAction) Eval(phi, out []float64) {
	nn := a.n * a.n
	per := 2 * nn * a.lat.Volume() * max(a.links, 1)
	for b := range out {
		var tr float64
		for k := range per / (2 * nn) {
			for i := range a.n {
				for j := range a.n {
					gji := complex(1, 0)
					if a.g != nil {
						gji = a.g[j*a.n+i]
					} else if i != j {
						gji = 0
					}
					x := phi[b*per+2*(k*nn+i*a.n+j):]
					tr += real(complex(x[0], x[1]) * gji)
				}
			}
		}
		out[b] = -a.beta / float64(a.n) * tr
	}
}

// MatrixLogWeight gives −s(θ) of a class-function action and refuses one
// that is not (G ≠ 1), and links.
func TestMatrixLogWeight(t *testing.T) {
	lat := lattice.MustNew(2, 3)
	a := &testMatrixAction{lat: lat, n: 3, beta: 6}
	lw, err := MatrixLogWeight(a)
	if err != nil {
		t.Fatal(err)
	}
	th := []float64{0.4, 1.1, -1.5}
	if d := lw(th) - oneMatrixLogWeight(3, 6)(th); math.Abs(d) > 1e-14 {
		t.Errorf("log weight off by %g", d)
	}
	g := make([]complex128, 9)
	g[0], g[4], g[8] = 1, 0.5, 1
	if _, err := MatrixLogWeight(&testMatrixAction{lat: lat, n: 3, beta: 6, g: g}); err == nil || !strings.Contains(err.Error(), "not a sum of one class function") {
		t.Errorf("G ≠ 1: %v", err)
	}
	if _, err := MatrixLogWeight(&testMatrixAction{lat: lat, n: 2, links: 2, beta: 1}); err == nil || !strings.Contains(err.Error(), "links") {
		t.Errorf("links: %v", err)
	}
}

// The figure is written, and refuses angles outside (−π, π].
func TestEigenAngleHistogramPNG(t *testing.T) {
	rho, _ := EigenAngleDensity(2, 32, nil)
	out := filepath.Join(t.TempDir(), "eig.png")
	if err := EigenAngleHistogram([]float64{-1, 1, 0.5, -0.5, 2, -2}, 2, rho, "Haar (Weyl)", out); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, out)
	if err := EigenAngleHistogram([]float64{4}, 2, rho, "x", out+"2"); err == nil {
		t.Error("angle 4 accepted")
	}
}
