package gauge

import (
	"fmt"
	"math"
	"math/cmplx"
	"slices"
)

// Observables of one configuration theta [d·V].

// Charge is the 2-d topological charge Q = (1/2π) Σ_x wrap(θ_P(x)), wrap
// into (−π, π]. On the torus Σ_x θ_P(x) = 0 exactly (every link appears once
// with each sign), so Q is an integer, up to rounding. It is defined on 2-d
// lattices only (in 4-d the U(1) charge density is ε_μνρσ F_μν F_ρσ, not
// implemented; docs/conventions.md §3): Charge panics when d ≠ 2.
func (g *Geometry) Charge(theta []float64) float64 {
	if g.d != 2 {
		panic(fmt.Sprintf("gauge: the topological charge is 2-d only; the lattice %v has %d axes", g.lat, g.d))
	}
	var q float64
	for x := range g.v {
		q += Wrap(g.Plaquette(theta, x))
	}
	return q / (2 * math.Pi)
}

// MeanPlaquette is the average over all P·V plaquettes,
// (1/(P·V)) Σ_x Σ_{μ<ν} cos θ_μν(x); in 2-d the site average of cos θ_P(x).
func (g *Geometry) MeanPlaquette(theta []float64) float64 {
	var s float64
	for i := range g.links {
		s += math.Cos(g.Plaquette(theta, i))
	}
	return s / float64(len(g.links))
}

// Series returns, for a batch theta [n, d·V], the per-configuration series
// of the topological charge Q (rounded to the nearest integer; 2-d only, nil
// when d > 2) and of the mean plaquette: the inputs of ⟨Q²⟩,
// χ_t = ⟨Q²⟩/V, ⟨cos θ_P⟩ and their τ_int.
func (g *Geometry) Series(theta []float64) (q, plaq []float64) {
	n := g.batch(theta)
	if g.d == 2 {
		q = make([]float64, n)
	}
	plaq = make([]float64, n)
	f := g.FieldSize()
	for b := range n {
		c := theta[b*f : (b+1)*f]
		if q != nil {
			q[b] = math.Round(g.Charge(c))
		}
		plaq[b] = g.MeanPlaquette(c)
	}
	return q, plaq
}

// Charged returns a configuration of topological charge q with constant
// field strength: every plaquette angle is 2πq/V. θ_1(x) = 2πq·x₀/V and, on
// the last row x₀ = Lx−1, θ_0 = −2πq·x₁/Ly closes the twist around the
// torus. Angles are wrapped into (−π, π]. 2-d only: it panics when d ≠ 2.
func (g *Geometry) Charged(q int) []float64 {
	if g.d != 2 {
		panic(fmt.Sprintf("gauge: Charged: 2-d only; the lattice %v has %d axes", g.lat, g.d))
	}
	s := g.lat.Shape()
	lx, ly, v := s[0], s[1], g.v
	theta := make([]float64, 2*v)
	for x0 := range lx {
		for x1 := range ly {
			i := x0*ly + x1
			theta[v+i] = 2 * math.Pi * float64(q*x0) / float64(v)
			if x0 == lx-1 {
				theta[i] = -2 * math.Pi * float64(q*x1) / float64(ly)
			}
		}
	}
	WrapAll(theta)
	return theta
}

// Polyakov is the spatially averaged Polyakov loop along the last axis
// t = x_{d−1} of one configuration theta [d·V],
//
//	P = (1/V_s) Σ_{x_s} exp(i Σ_t θ_{d−1}(x_s, t)),   V_s = V/L_{d−1},
//
// gauge invariant (the loop closes around the periodic axis); |P| = 1 on a
// cold configuration. Any d (docs/conventions.md §3.4); the measured series
// is reported in d > 2 only.
func (g *Geometry) Polyakov(theta []float64) complex128 {
	if len(theta) != g.FieldSize() {
		panic(fmt.Sprintf("gauge: Polyakov with %d link angles, want %d", len(theta), g.FieldSize()))
	}
	mu := g.d - 1
	lt := g.lat.Shape()[mu]
	var s complex128
	for x := range g.v {
		if g.lat.Coords(x)[mu] != 0 {
			continue
		}
		var phase float64
		y := x
		for range lt {
			phase += theta[mu*g.v+y]
			y = g.lat.Fwd(mu, y)
		}
		s += cmplx.Rect(1, phase)
	}
	return s / complex(float64(g.v/lt), 0)
}

// WilsonLoops returns w[R−1][T−1], R, T = 1 … maxSize, the rectangular
// Wilson loops of one configuration theta [d·V] (Wilson 1974),
//
//	W(R, T) = (1/(d(d−1)V)) Σ_x Σ_{μ≠ν} cos θ_{R×T}(x; μ, ν),
//	θ_{R×T} = Σ_{i<R} θ_μ(x+iμ̂) + Σ_{j<T} θ_ν(x+Rμ̂+jν̂)
//	        − Σ_{i<R} θ_μ(x+Tν̂+iμ̂) − Σ_{j<T} θ_ν(x+jν̂),
//
// averaged over the sites and every ordered pair of directions (all planes,
// R along either axis, so w is symmetric), as sungauge.Geometry.WilsonLoops
// does for SU(N). W(1, 1) is MeanPlaquette. maxSize must be at least 1 and
// below every extent (a longer loop would wind around the lattice).
func (g *Geometry) WilsonLoops(theta []float64, maxSize int) ([][]float64, error) {
	if len(theta) != g.FieldSize() {
		panic(fmt.Sprintf("gauge: WilsonLoops with %d link angles, want %d", len(theta), g.FieldSize()))
	}
	if maxSize < 1 || maxSize >= slices.Min(g.lat.Shape()) {
		return nil, fmt.Errorf("gauge: Wilson loops up to %d×%d on %v: the size must be 1 to one below the smallest extent", maxSize, maxSize, g.lat)
	}
	// line[μ][k][x] = Σ_{i<k} θ_μ(x+iμ̂), k = 0 … maxSize.
	line := make([][][]float64, g.d)
	for mu := range g.d {
		line[mu] = make([][]float64, maxSize+1)
		line[mu][0] = make([]float64, g.v)
		for k := 1; k <= maxSize; k++ {
			l := make([]float64, g.v)
			for x := range g.v {
				y := x
				for range k - 1 {
					y = g.lat.Fwd(mu, y)
				}
				l[x] = line[mu][k-1][x] + theta[mu*g.v+y]
			}
			line[mu][k] = l
		}
	}
	shift := func(mu, k, x int) int {
		for range k {
			x = g.lat.Fwd(mu, x)
		}
		return x
	}
	w := make([][]float64, maxSize)
	norm := float64(g.d * (g.d - 1) * g.v)
	for r := 1; r <= maxSize; r++ {
		w[r-1] = make([]float64, maxSize)
		for t := 1; t <= maxSize; t++ {
			var s float64
			for mu := range g.d {
				for nu := range g.d {
					if nu == mu {
						continue
					}
					for x := range g.v {
						a := line[mu][r][x] + line[nu][t][shift(mu, r, x)] - line[mu][r][shift(nu, t, x)] - line[nu][t][x]
						s += math.Cos(a)
					}
				}
			}
			w[r-1][t-1] = s / norm
		}
	}
	return w, nil
}
