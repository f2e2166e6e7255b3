package prior

import (
	"fmt"
	"math"
	"testing"

	"github.com/normflow/normflow-go/fft"
	"github.com/normflow/normflow-go/internal/within"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/rng"
	"gonum.org/v1/gonum/mat"
)

// Prior interface check.
var _ Prior = (*FreeField)(nil)

// explicitK builds the V×V matrix K = κ(−Δ) + m² from the neighbour tables,
// entry by entry, independently of FreeField.applyK.
func explicitK(lat *lattice.Lattice, kappa, mSq float64) *mat.SymDense {
	v := lat.Volume()
	k := mat.NewSymDense(v, nil)
	for i := 0; i < v; i++ {
		k.SetSym(i, i, k.At(i, i)+mSq)
		for mu := 0; mu < lat.Dim(); mu++ {
			// κ Σ_μ [2φ(x) − φ(x+μ̂) − φ(x−μ̂)] as a row of K (symmetric by construction).
			k.SetSym(i, i, k.At(i, i)+2*kappa)
			f, b := lat.Fwd(mu, i), lat.Bwd(mu, i)
			if f >= i {
				k.SetSym(i, f, k.At(i, f)-kappa)
			}
			if b >= i {
				k.SetSym(i, b, k.At(i, b)-kappa)
			}
		}
	}
	return k
}

func TestFreeFieldStencilMatchesMatrix(t *testing.T) {
	// Column j of K via the position-space stencil must equal the explicit matrix.
	lat := lattice.MustNew(3, 4)
	p, _ := NewFreeField(lat, 0.7, 0.3)
	k := explicitK(lat, 0.7, 0.3)
	v := lat.Volume()
	e := make([]float64, v)
	col := make([]float64, v)
	for j := 0; j < v; j++ {
		clear(e)
		e[j] = 1
		p.applyK(e, col)
		for i := 0; i < v; i++ {
			if !(math.Abs(col[i]-k.At(i, j)) <= 1e-15) {
				t.Fatalf("K[%d,%d]: stencil %g, matrix %g", i, j, col[i], k.At(i, j))
			}
		}
	}
}

func TestFreeFieldErrors(t *testing.T) {
	lat := lattice.MustNew(4)
	for _, c := range [][2]float64{{0, 1}, {-1, 1}, {1, 0}, {1, -0.5}, {math.NaN(), 1}, {1, math.NaN()}, {math.Inf(1), 1}, {1, math.Inf(1)}} {
		if _, err := NewFreeField(lat, c[0], c[1]); err == nil {
			t.Errorf("NewFreeField(κ=%g, m²=%g): no error", c[0], c[1])
		}
	}
	if _, err := NewFreeField(nil, 1, 1); err == nil {
		t.Error("nil lattice: no error")
	}
}

func TestFreeFieldLogProbBruteForce(t *testing.T) {
	for _, c := range []struct {
		shape     []int
		kappa, m2 float64
	}{
		{[]int{1}, 0.5, 1.3},
		{[]int{2}, 0.8, 0.4},
		{[]int{5}, 1.0, 0.25},
		{[]int{4, 3}, 0.6, 0.9},
		{[]int{3, 3}, 1.2, 0.1},
		{[]int{2, 3, 2}, 0.3, 0.7},
	} {
		t.Run(fmt.Sprint(c.shape), func(t *testing.T) {
			lat := lattice.MustNew(c.shape...)
			v := lat.Volume()
			p, err := NewFreeField(lat, c.kappa, c.m2)
			if err != nil {
				t.Fatal(err)
			}
			k := explicitK(lat, c.kappa, c.m2)
			var ch mat.Cholesky
			if !ch.Factorize(k) {
				t.Fatal("K not positive definite")
			}
			logDet := ch.LogDet()
			if !(math.Abs(logDet-p.LogDetK()) <= 1e-11*(1+math.Abs(logDet))) {
				t.Errorf("log det K = %g, want %g", p.LogDetK(), logDet)
			}
			const nb = 3
			s := rng.New(11)
			x := make([]float64, nb*v)
			for i := range x {
				x[i] = 2 * s.Norm()
			}
			out := make([]float64, nb)
			p.LogProb(x, out)
			for b := 0; b < nb; b++ {
				phi := mat.NewVecDense(v, x[b*v:(b+1)*v])
				want := -0.5*mat.Inner(phi, k, phi) + 0.5*logDet - float64(v)/2*math.Log(2*math.Pi)
				if !(math.Abs(out[b]-want) <= 1e-11*(1+math.Abs(want))) {
					t.Errorf("b=%d: log r = %.15g, want %.15g", b, out[b], want)
				}
			}
		})
	}
}

func TestFreeFieldGradFiniteDifference(t *testing.T) {
	lat := lattice.MustNew(4, 3)
	v := lat.Volume()
	p, _ := NewFreeField(lat, 0.9, 0.35)
	const nb = 2
	s := rng.New(5)
	x := make([]float64, nb*v)
	for i := range x {
		x[i] = s.Norm()
	}
	g := make([]float64, len(x))
	p.GradLogProb(x, g)
	const h = 1e-5
	lp := make([]float64, nb)
	lm := make([]float64, nb)
	for i := range x {
		b := i / v
		x0 := x[i]
		x[i] = x0 + h
		p.LogProb(x, lp)
		x[i] = x0 - h
		p.LogProb(x, lm)
		x[i] = x0
		fd := (lp[b] - lm[b]) / (2 * h)
		if !(math.Abs(fd-g[i]) <= 1e-7*(1+math.Abs(fd))) {
			t.Errorf("∂log r/∂x[%d] = %g, finite difference %g", i, g[i], fd)
		}
	}
}

// TestFreeFieldSampling checks ⟨M²⟩·V = 1/m² and ⟨φ(0)φ(x)⟩ = (K⁻¹)_{0x} within 4σ.
func TestFreeFieldSampling(t *testing.T) {
	lat := lattice.MustNew(8, 8)
	v := lat.Volume()
	const kappa, m2 = 1.0, 0.5
	p, _ := NewFreeField(lat, kappa, m2)
	var kinv mat.Dense
	if err := kinv.Inverse(explicitK(lat, kappa, m2)); err != nil {
		t.Fatal(err)
	}
	const n = 20000
	seps := [][]int{{0, 0}, {0, 1}, {1, 0}, {1, 1}, {0, 3}, {2, 4}, {4, 4}}
	// Per-sample estimators (translation-averaged), independent across samples.
	sums := make([]float64, len(seps)+1)
	sqs := make([]float64, len(seps)+1)
	s := rng.New(2024, 1)
	x := make([]float64, 100*v)
	for chunk := 0; chunk < n/100; chunk++ {
		p.Sample(&s, x)
		for b := 0; b < 100; b++ {
			phi := x[b*v : (b+1)*v]
			var m float64
			for _, f := range phi {
				m += f
			}
			m /= float64(v)
			est := make([]float64, len(seps)+1)
			est[0] = m * m * float64(v)
			for j, d := range seps {
				var c float64
				for i := 0; i < v; i++ {
					y := lat.Coords(i)
					y[0] = (y[0] + d[0]) % 8
					y[1] = (y[1] + d[1]) % 8
					c += phi[i] * phi[lat.Index(y)]
				}
				est[j+1] = c / float64(v)
			}
			for j, e := range est {
				sums[j] += e
				sqs[j] += e * e
			}
		}
	}
	check := func(name string, j int, want float64) {
		mean := sums[j] / n
		sd := math.Sqrt((sqs[j]/n - mean*mean) / (n - 1))
		if within.Sigmas(t, name, mean, want, sd, 4) {
			t.Logf("%s = %g ± %g, want %g", name, mean, sd, want)
		}
	}
	check("⟨M²⟩·V", 0, 1/m2)
	for j, d := range seps {
		check(fmt.Sprintf("⟨φ(0)φ%v⟩", d), j+1, kinv.At(0, lat.Index(d)))
	}
}

func TestFreeFieldSampleReproducible(t *testing.T) {
	lat := lattice.MustNew(5, 3)
	p, _ := NewFreeField(lat, 0.4, 1.1)
	a := make([]float64, 2*lat.Volume())
	b := make([]float64, 2*lat.Volume())
	s1, s2 := rng.New(9, 3), rng.New(9, 3)
	p.Sample(&s1, a)
	p.Sample(&s2, b)
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("same stream gave different samples")
		}
	}
}

// TestFreeFieldLogZ integrates exp(−S) numerically on 1- and 2-site lattices
// and compares with LogZ = (V/2) log 2π − ½ Σ log(κk̂²+m²) and with LogProb = −S − log Z.
func TestFreeFieldLogZ(t *testing.T) {
	const kappa, m2 = 0.7, 0.45
	// Trapezoid rule on a wide grid: spectrally accurate for a Gaussian.
	const r, nGrid = 14.0, 1401
	hh := 2 * r / (nGrid - 1)
	grid := make([]float64, nGrid)
	for i := range grid {
		grid[i] = -r + float64(i)*hh
	}

	// One site: S = ½ m² φ².
	p1, _ := NewFreeField(lattice.MustNew(1), kappa, m2)
	var z1 float64
	for _, f := range grid {
		z1 += math.Exp(-0.5 * m2 * f * f)
	}
	z1 *= hh
	if !(math.Abs(math.Log(z1)-p1.LogZ()) <= 1e-10) {
		t.Errorf("1 site: log Z numeric %g, formula %g", math.Log(z1), p1.LogZ())
	}
	if want := 0.5*math.Log(2*math.Pi) - 0.5*math.Log(m2); !(math.Abs(p1.LogZ()-want) <= 1e-14) {
		t.Errorf("1 site: LogZ %g, want %g", p1.LogZ(), want)
	}

	// Two sites on a periodic chain: S = Σ_x [(κ/2)(φ(x+1)−φ(x))² + (m²/2)φ(x)²]
	// = κ(φ1−φ0)² + (m²/2)(φ0²+φ1²).
	lat2 := lattice.MustNew(2)
	p2, _ := NewFreeField(lat2, kappa, m2)
	action := func(a, b float64) float64 { return kappa*(b-a)*(b-a) + 0.5*m2*(a*a+b*b) }
	var z2 float64
	for _, a := range grid {
		for _, b := range grid {
			z2 += math.Exp(-action(a, b))
		}
	}
	z2 *= hh * hh
	if !(math.Abs(math.Log(z2)-p2.LogZ()) <= 1e-10) {
		t.Errorf("2 sites: log Z numeric %g, formula %g", math.Log(z2), p2.LogZ())
	}
	want := math.Log(2*math.Pi) - 0.5*(math.Log(m2)+math.Log(4*kappa+m2))
	if !(math.Abs(p2.LogZ()-want) <= 1e-13) {
		t.Errorf("2 sites: LogZ %g, want %g", p2.LogZ(), want)
	}
	pts := []float64{0.3, -1.2, 2.5, 0.1, 0, 0}
	out := make([]float64, 3)
	p2.LogProb(pts, out)
	for b := 0; b < 3; b++ {
		w := -action(pts[2*b], pts[2*b+1]) - math.Log(z2)
		if !(math.Abs(out[b]-w) <= 1e-10) {
			t.Errorf("2 sites: log r%v = %g, want −S − log Z = %g", pts[2*b:2*b+2], out[b], w)
		}
	}
}

// TestFreeFieldSpectrum checks ⟨|φ̃(k)|²⟩ = V/(κk̂²+m²) mode by mode (within 4σ).
func TestFreeFieldSpectrum(t *testing.T) {
	lat := lattice.MustNew(4, 3)
	v := lat.Volume()
	const kappa, m2 = 0.8, 0.3
	p, _ := NewFreeField(lat, kappa, m2)
	k2 := fft.MomentumSquared(lat)
	plan := fft.NewPlan(lat)
	const n = 20000
	x := make([]float64, n*v)
	s := rng.New(77)
	p.Sample(&s, x)
	X := make([]complex128, n*v)
	plan.Forward(x, X)
	for k := 0; k < v; k++ {
		var sum, sq float64
		for b := 0; b < n; b++ {
			c := X[b*v+k]
			e := (real(c)*real(c) + imag(c)*imag(c)) * (kappa*k2[k] + m2) / float64(v)
			sum += e
			sq += e * e
		}
		mean := sum / n
		sd := math.Sqrt((sq/n - mean*mean) / (n - 1))
		within.Sigmas(t, fmt.Sprintf("mode %v: ⟨|φ̃|²⟩(κk̂²+m²)/V", lat.Coords(k)), mean, 1, sd, 4)
	}
}
