package action

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/normflow/normflow-go/lattice"
)

var shapes = [][]int{{1}, {6}, {4, 3}, {3, 2, 4}, {2, 3, 2, 2}}

// direct evaluates the seed convention with an explicit loop over coordinates,
// (κ/2) Σ_μ (φ(x+μ̂)−φ(x))² + (m²/2)φ² + λφ⁴ at spacing a (κ', m²', λ' rescaled).
func direct(shape []int, phi []float64, kappa, mSq, lambda, a float64) float64 {
	d := len(shape)
	k := kappa * math.Pow(a, float64(d-2))
	m := mSq * math.Pow(a, float64(d))
	l := lambda * math.Pow(a, float64(d))
	v := len(phi)
	x := make([]int, d)
	idx := func(x []int) int {
		i := 0
		for mu, L := range shape {
			i = i*L + x[mu]
		}
		return i
	}
	var s float64
	for i := 0; i < v; i++ {
		r := i
		for mu := d - 1; mu >= 0; mu-- {
			x[mu] = r % shape[mu]
			r /= shape[mu]
		}
		p := phi[idx(x)]
		s += m/2*p*p + l*p*p*p*p
		for mu := 0; mu < d; mu++ {
			x[mu] = (x[mu] + 1) % shape[mu]
			q := phi[idx(x)]
			x[mu] = (x[mu] + shape[mu] - 1) % shape[mu]
			s += k / 2 * (q - p) * (q - p)
		}
	}
	return s
}

func randField(r *rand.Rand, n int) []float64 {
	f := make([]float64, n)
	for i := range f {
		f[i] = 1.5 * r.NormFloat64()
	}
	return f
}

func TestPhi4AgainstDirectLoop(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, shape := range shapes {
		lat := lattice.MustNew(shape...)
		const batch = 3
		phi := randField(r, batch*lat.Volume())
		for _, p := range [][4]float64{{0.67, -2.68, 0.5, 1}, {0.3, 1.2, 0.1, 0.7}, {0, -2, 0.2, 1}} {
			s, err := NewPhi4(lat, p[0], p[1], p[2], p[3])
			if err != nil {
				t.Fatal(err)
			}
			out := make([]float64, batch)
			s.Eval(phi, out)
			for b := 0; b < batch; b++ {
				want := direct(shape, phi[b*lat.Volume():(b+1)*lat.Volume()], p[0], p[1], p[2], p[3])
				if !(math.Abs(out[b]-want) <= 1e-10*(1+math.Abs(want))) {
					t.Errorf("shape %v params %v sample %d: S = %.12g, direct loop %.12g", shape, p, b, out[b], want)
				}
			}
		}
	}
}

// Each convention against its own defining formula, written out directly.
func TestConventionsEquivalent(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, shape := range shapes[1:] {
		lat := lattice.MustNew(shape...)
		v, d := lat.Volume(), lat.Dim()
		phi := randField(r, v)
		sum := func(f func(p, hop, grad2 float64) float64) float64 {
			var s float64
			for x := 0; x < v; x++ {
				var hop, grad2 float64
				for mu := 0; mu < d; mu++ {
					q := phi[lat.Fwd(mu, x)]
					hop += phi[x] * q
					grad2 += (q - phi[x]) * (q - phi[x])
				}
				s += f(phi[x], hop, grad2)
			}
			return s
		}
		mSq, lam, kap, beta := -4.0, 6.008, 0.18, 0.37
		cases := []struct {
			name string
			mk   func() (*Phi4, error)
			want float64
		}{
			{"albergo2019", func() (*Phi4, error) { return NewPhi4Albergo(lat, mSq, lam) },
				sum(func(p, _, g2 float64) float64 { return g2 + mSq*p*p + lam*p*p*p*p })},
			{"hopping", func() (*Phi4, error) { return NewPhi4Hopping(lat, kap, lam) },
				sum(func(p, h, _ float64) float64 { return -2*kap*h + (1-2*lam)*p*p + lam*p*p*p*p })},
			{"ising", func() (*Phi4, error) { return NewPhi4Ising(lat, beta, lam) },
				sum(func(p, h, _ float64) float64 { return -beta*h + (1-2*lam)*p*p + lam*p*p*p*p })},
		}
		for _, c := range cases {
			s, err := c.mk()
			if err != nil {
				t.Fatal(err)
			}
			out := make([]float64, 1)
			s.Eval(phi, out)
			if !(math.Abs(out[0]-c.want) <= 1e-10*(1+math.Abs(c.want))) {
				t.Errorf("%s on %v: S = %.12g, defining formula %.12g", c.name, shape, out[0], c.want)
			}
		}
	}
}

func TestPhi4GradFiniteDifference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, shape := range shapes {
		lat := lattice.MustNew(shape...)
		s, _ := NewPhi4(lat, 0.5, -1.3, 0.7, 1)
		const batch = 2
		phi := randField(r, batch*lat.Volume())
		g := make([]float64, len(phi))
		s.Grad(phi, g)
		out := make([]float64, batch)
		const h = 1e-6
		for i := range phi {
			b := i / lat.Volume()
			old := phi[i]
			phi[i] = old + h
			s.Eval(phi, out)
			sp := out[b]
			phi[i] = old - h
			s.Eval(phi, out)
			sm := out[b]
			phi[i] = old
			fd := (sp - sm) / (2 * h)
			if !(math.Abs(fd-g[i]) <= 1e-6*(1+math.Abs(fd))) {
				t.Errorf("shape %v site %d: dS/dφ = %g, finite difference %g", shape, i, g[i], fd)
			}
		}
	}
}

func TestPhi4RejectsBadParameters(t *testing.T) {
	lat := lattice.MustNew(4)
	if _, err := NewPhi4(lat, 1, math.NaN(), 0.1, 1); err == nil {
		t.Error("NaN m_sq accepted")
	}
	if _, err := NewPhi4(lat, 1, 1, 0.1, 0); err == nil {
		t.Error("a = 0 accepted")
	}
}

// TestPhi4GradOrder: the one-pass force (2-d unrolled, general d) adds its
// terms in the documented order, so it equals the term-by-term loop bit for
// bit, with and without the hopping term.
func TestPhi4GradOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, shape := range append(shapes, []int{32, 32}, []int{3, 4}) {
		lat := lattice.MustNew(shape...)
		for _, kappa := range []float64{0.5, 0} {
			s, _ := NewPhi4(lat, kappa, -1.3, 0.7, 1)
			const batch = 3
			v := lat.Volume()
			phi := randField(r, batch*v)
			g := make([]float64, len(phi))
			s.Grad(phi, g)
			for i, p := range phi {
				b, x := i/v, i%v
				want := float64(2*s.W2*p) + float64(float64(float64(4*s.W4*p)*p)*p)
				if s.W0 != 0 {
					for mu := range lat.Dim() {
						want -= float64(s.W0 * (phi[b*v+lat.Fwd(mu, x)] + phi[b*v+lat.Bwd(mu, x)]))
					}
				}
				if g[i] != want {
					t.Fatalf("shape %v κ %g site %d: dS/dφ = %v, term by term %v", shape, kappa, i, g[i], want)
				}
			}
		}
	}
}
