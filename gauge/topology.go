package gauge

import "math"

// Observables of one configuration theta [2V].

// Charge is the topological charge Q = (1/2π) Σ_x wrap(θ_P(x)), wrap into
// (−π, π]. On the torus Σ_x θ_P(x) = 0 exactly (every link appears once with
// each sign), so Q is an integer, up to rounding.
func (g *Geometry) Charge(theta []float64) float64 {
	var q float64
	for x := range g.v {
		q += Wrap(g.Plaquette(theta, x))
	}
	return q / (2 * math.Pi)
}

// MeanPlaquette is the site average (1/V) Σ_x cos θ_P(x).
func (g *Geometry) MeanPlaquette(theta []float64) float64 {
	var s float64
	for x := range g.v {
		s += math.Cos(g.Plaquette(theta, x))
	}
	return s / float64(g.v)
}

// Series returns, for a batch theta [n, 2V], the per-configuration series of
// the topological charge Q (rounded to the nearest integer) and of the mean
// plaquette: the inputs of ⟨Q²⟩, χ_t = ⟨Q²⟩/V, ⟨cos θ_P⟩ and their τ_int.
func (g *Geometry) Series(theta []float64) (q, plaq []float64) {
	n := g.batch(theta)
	q = make([]float64, n)
	plaq = make([]float64, n)
	for b := range n {
		c := theta[b*2*g.v : (b+1)*2*g.v]
		q[b] = math.Round(g.Charge(c))
		plaq[b] = g.MeanPlaquette(c)
	}
	return q, plaq
}

// Charged returns a configuration of topological charge q with constant
// field strength: every plaquette angle is 2πq/V. θ_1(x) = 2πq·x₀/V and, on
// the last row x₀ = Lx−1, θ_0 = −2πq·x₁/Ly closes the twist around the
// torus. Angles are wrapped into (−π, π].
func (g *Geometry) Charged(q int) []float64 {
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
