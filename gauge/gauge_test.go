package gauge

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/normflow/normflow-go/internal/within"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/rng"
)

func randomAngles(r *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = math.Pi - 2*math.Pi*r.Float64()
	}
	return x
}

// plaquetteByLoop walks the plaquette at (x0, x1) of an Lx × Ly lattice by
// coordinates: U_0(x) U_1(x+0̂) U_0(x+1̂)* U_1(x)*.
func plaquetteByLoop(theta []float64, lx, ly, x0, x1 int) float64 {
	idx := func(mu, a, b int) int { return mu*lx*ly + ((a+lx)%lx)*ly + (b+ly)%ly }
	return theta[idx(0, x0, x1)] + theta[idx(1, x0+1, x1)] - theta[idx(0, x0, x1+1)] - theta[idx(1, x0, x1)]
}

// TestPlaquettesAndAction: plaquettes, S and the mean plaquette against
// direct loops over coordinates on non-square lattices.
func TestPlaquettesAndAction(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, sh := range [][2]int{{3, 5}, {4, 4}, {1, 1}, {2, 6}} {
		lat := lattice.MustNew(sh[0], sh[1])
		w, err := NewWilson(lat, 1.7)
		if err != nil {
			t.Fatal(err)
		}
		v := lat.Volume()
		const batch = 3
		theta := randomAngles(r, batch*2*v)
		p := make([]float64, batch*v)
		w.Plaquettes(theta, p)
		s := make([]float64, batch)
		w.Eval(theta, s)
		for b := range batch {
			c := theta[b*2*v : (b+1)*2*v]
			var sum float64
			for x0 := range sh[0] {
				for x1 := range sh[1] {
					want := plaquetteByLoop(c, sh[0], sh[1], x0, x1)
					if got := p[b*v+x0*sh[1]+x1]; !(math.Abs(got-want) <= 1e-14) {
						t.Fatalf("%v: plaquette at (%d,%d) = %g, loop %g", lat, x0, x1, got, want)
					}
					sum += math.Cos(want)
				}
			}
			if !(math.Abs(s[b]+1.7*sum) <= 1e-12) {
				t.Fatalf("%v: S = %g, want %g", lat, s[b], -1.7*sum)
			}
			if mp := w.MeanPlaquette(c); !(math.Abs(mp-sum/float64(v)) <= 1e-14) {
				t.Fatalf("%v: mean plaquette %g, want %g", lat, mp, sum/float64(v))
			}
		}
	}
}

// TestWilsonGrad: ∂S/∂θ against central finite differences.
func TestWilsonGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	lat := lattice.MustNew(3, 4)
	w, _ := NewWilson(lat, 2.3)
	const batch = 2
	theta := randomAngles(r, batch*24)
	g := make([]float64, len(theta))
	w.Grad(theta, g)
	s := make([]float64, batch)
	const h = 1e-6
	for i := range theta {
		old := theta[i]
		theta[i] = old + h
		w.Eval(theta, s)
		sp := s[i/24]
		theta[i] = old - h
		w.Eval(theta, s)
		sm := s[i/24]
		theta[i] = old
		if fd := (sp - sm) / (2 * h); !(math.Abs(fd-g[i]) <= 1e-7*(1+math.Abs(fd))) {
			t.Errorf("∂S/∂θ[%d] = %.10g, finite difference %.10g", i, g[i], fd)
		}
	}
}

// TestChargeInteger: Q is an integer (to 1e-12) on random configurations,
// and a configuration built with charge q (a constant field strength 2πq/V,
// the twist put in the last column) has Q = q.
func TestChargeInteger(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	lat := lattice.MustNew(6, 5)
	g, _ := NewGeometry(lat)
	seen := map[float64]bool{}
	for range 500 {
		theta := randomAngles(r, 60)
		q := g.Charge(theta)
		if !(math.Abs(q-math.Round(q)) <= 1e-12) {
			t.Fatalf("Q = %.15g is not an integer", q)
		}
		seen[math.Round(q)] = true
	}
	if len(seen) < 3 {
		t.Errorf("random configurations gave only the charges %v", seen)
	}
	v := lat.Volume()
	plaq := make([]float64, v)
	for _, q := range []int{-2, -1, 0, 1, 3} {
		theta := g.Charged(q)
		if got := g.Charge(theta); !(math.Abs(got-float64(q)) <= 1e-12) {
			t.Errorf("twisted configuration: Q = %g, want %d", got, q)
		}
		// constant field strength: every plaquette is 2πq/V (mod 2π)
		g.Plaquettes(theta, plaq)
		for x, p := range plaq {
			if d := Wrap(p - 2*math.Pi*float64(q)/float64(v)); !(math.Abs(d) <= 1e-12) {
				t.Errorf("charge %d: plaquette %d = %g, want 2πq/V", q, x, p)
			}
		}
	}
}

// TestGaugeInvariance: plaquettes (exactly up to rounding, not only mod
// 2π), S, Q and the gradient's gauge covariance under random α.
func TestGaugeInvariance(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	lat := lattice.MustNew(4, 6)
	w, _ := NewWilson(lat, 2)
	v := lat.Volume()
	for range 20 {
		theta := randomAngles(r, 2*v)
		alpha := randomAngles(r, v)
		gt := append([]float64(nil), theta...)
		w.Transform(gt, alpha)
		for x := range v {
			if d := w.Plaquette(gt, x) - w.Plaquette(theta, x); !(math.Abs(d) <= 1e-13) {
				t.Fatalf("plaquette %d changed by %g", x, d)
			}
		}
		s, gs := make([]float64, 1), make([]float64, 1)
		w.Eval(theta, s)
		w.Eval(gt, gs)
		if !(math.Abs(s[0]-gs[0]) <= 1e-12) {
			t.Fatalf("S = %g, after a gauge transformation %g", s[0], gs[0])
		}
		if q, gq := w.Charge(theta), w.Charge(gt); !(math.Abs(q-gq) <= 1e-12) {
			t.Fatalf("Q = %g, after a gauge transformation %g", q, gq)
		}
		WrapAll(gt)
		if q, gq := w.Charge(theta), w.Charge(gt); !(math.Abs(q-gq) <= 1e-12) {
			t.Fatalf("Q = %g, after a gauge transformation and wrapping %g", q, gq)
		}
	}
}

// TestWrap: into (−π, π], the identity there, 2π-periodic.
func TestWrap(t *testing.T) {
	for _, c := range [][2]float64{{0, 0}, {math.Pi, math.Pi}, {-math.Pi, math.Pi}, {3 * math.Pi, math.Pi},
		{1, 1}, {-1, -1}, {2*math.Pi + 1, 1}, {-2*math.Pi - 1, -1}, {7, 7 - 2*math.Pi}} {
		if got := Wrap(c[0]); !(math.Abs(got-c[1]) <= 1e-15) {
			t.Errorf("Wrap(%g) = %g, want %g", c[0], got, c[1])
		}
	}
}

// TestHaar: samples in (−π, π] with mean 0 and variance π²/3 (4σ), and a
// constant log density −N log 2π (also for unwrapped angles).
func TestHaar(t *testing.T) {
	h, err := NewHaar(10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewHaar(0); err == nil {
		t.Error("NewHaar(0): no error")
	}
	const n = 20000
	x := make([]float64, n*10)
	for i := range n {
		s := rng.New(7, uint64(i))
		h.Sample(&s, x[i*10:(i+1)*10])
	}
	var m, m2 float64
	for _, a := range x {
		if !(a > -math.Pi && a <= math.Pi) {
			t.Fatalf("sample %g outside (−π, π]", a)
		}
		m += a
		m2 += a * a
	}
	m /= float64(len(x))
	m2 /= float64(len(x))
	sd := math.Pi / math.Sqrt(3)
	within.Sigmas(t, "mean angle", m, 0, sd/math.Sqrt(float64(len(x))), 4)
	// Var(θ²) = π⁴/5 − π⁴/9 for θ uniform on (−π, π).
	within.Sigmas(t, "<θ²> against π²/3", m2, sd*sd, math.Sqrt((1.0/5-1.0/9)*math.Pow(math.Pi, 4)/float64(len(x))), 4)
	out := make([]float64, 2)
	h.LogProb(append(x[:10:10], 9, 9, 9, 9, 9, 9, 9, 9, 9, 9), out)
	for _, lp := range out {
		if !(math.Abs(lp+10*math.Log(2*math.Pi)) <= 1e-12) {
			t.Errorf("log r = %g, want −10 log 2π", lp)
		}
	}
}

// TestExactTorus: the character-expansion results against direct
// quadrature where the torus is small enough: V = 1 (the plaquette is
// identically 0: ⟨cos⟩ = 1) and V = 3 (a 1×3 lattice: plaquettes φ1,
// φ2 free, φ3 = −φ1−φ2 mod 2π, Q ∈ {−1, 0, 1}), and the infinite-volume limit.
func TestExactTorus(t *testing.T) {
	for _, beta := range []float64{0.5, 2} {
		if p := PlaquetteTorus(beta, 1); !(math.Abs(p-1) <= 1e-14) {
			t.Errorf("β=%g V=1: <cos θ_P> = %g, want 1", beta, p)
		}

		// V = 3 by a midpoint rule on the 2-torus of (φ1, φ2).
		const m = 1200
		h := 2 * math.Pi / m
		var z, c, q2 float64
		for i := range m {
			f1 := -math.Pi + (float64(i)+0.5)*h
			for j := range m {
				f2 := -math.Pi + (float64(j)+0.5)*h
				f3 := Wrap(-f1 - f2)
				w := math.Exp(beta * (math.Cos(f1) + math.Cos(f2) + math.Cos(f3)))
				q := math.Round((f1 + f2 + f3) / (2 * math.Pi))
				z += w
				c += w * (math.Cos(f1) + math.Cos(f2) + math.Cos(f3)) / 3
				q2 += w * q * q
			}
		}
		if p := PlaquetteTorus(beta, 3); !(math.Abs(p-c/z) <= 1e-8) {
			t.Errorf("β=%g V=3: <cos θ_P> = %.12g, quadrature %.12g", beta, p, c/z)
		}
		// Z = (2π)^{2V} × Haar average of e^{−S}, the average over (φ1, φ2) here.
		if lz, want := LogZTorus(beta, 1, 3), 6*math.Log(2*math.Pi)+math.Log(z*h*h/(4*math.Pi*math.Pi)); !(math.Abs(lz-want) <= 1e-9) {
			t.Errorf("β=%g V=3: log Z = %.12g, quadrature %.12g", beta, lz, want)
		}
		if q := Q2Torus(beta, 3); !(math.Abs(q-q2/z) <= 2e-3*q) {
			t.Errorf("β=%g V=3: <Q²> = %.10g, quadrature %.10g", beta, q, q2/z)
		}
		if p, inf := PlaquetteTorus(beta, 400), PlaquetteInfinite(beta); !(math.Abs(p-inf) <= 1e-12) {
			t.Errorf("β=%g V=400: <cos θ_P> = %.15g, infinite volume %.15g", beta, p, inf)
		}
	}
	// The tutorial point: ⟨Q²⟩ = 1.23(2) by HMC; exact 1.2393.
	if q := Q2Torus(2, 64); !(math.Abs(q-1.2393) <= 1e-4) {
		t.Errorf("β=2 L=8: <Q²> = %.6g, want 1.2393", q)
	}
}
