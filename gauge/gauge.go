// Package gauge holds two-dimensional U(1) lattice gauge theory: link fields,
// plaquettes, the Wilson action, the topological charge, the Haar (uniform)
// prior and exact results on the torus (Kanwar et al., arXiv:2003.06413;
// Albergo et al.'s tutorial, arXiv:2101.08176).
//
// A model of the theory is NewWilson (the action), NewHaar (the prior) and
// gauge-equivariant coupling layers (flow.NewGauge) put together with
// package model, or a run description with action kind "u1"
// (examples/u1_2d.toml) built by package config. Start with package model.
//
// # Links
//
// A configuration is the set of link angles θ_μ(x) ∈ (−π, π], μ ∈ {0, 1}, on
// an Lx × Ly periodic lattice, stored row-major as [2, Lx, Ly] (channel μ,
// then the sites in lexicographic order; docs/architecture.md §1.3), so a batch is
// [batch, 2V] with V = Lx·Ly. The link variable is U_μ(x) = exp(iθ_μ(x)).
//
// # Plaquettes and gauge transformations
//
// The plaquette angle at x is
//
//	θ_P(x) = θ_0(x) + θ_1(x+0̂) − θ_0(x+1̂) − θ_1(x),
//
// the phase of U_0(x) U_1(x+0̂) U_0(x+1̂)* U_1(x)*. A gauge transformation
// α(x) acts as θ_μ(x) → α(x) + θ_μ(x) − α(x+μ̂); it leaves every plaquette
// angle unchanged (exactly, not only modulo 2π), so the Wilson action, the
// topological charge and anything built from plaquettes are gauge invariant.
package gauge

import (
	"fmt"
	"math"

	"github.com/normflow/normflow-go/lattice"
)

// PlaquetteSigns are the signs with which the four links of Geometry.Links
// enter the plaquette angle: θ_P = θ_0(x) + θ_1(x+0̂) − θ_0(x+1̂) − θ_1(x).
var PlaquetteSigns = [4]float64{1, 1, -1, -1}

// Geometry is the link and plaquette bookkeeping of a 2-d periodic lattice.
// It is immutable after NewGeometry and safe to share.
type Geometry struct {
	lat *lattice.Lattice
	v   int
	// links[x] are the indices, into one configuration [2V], of θ_0(x),
	// θ_1(x+0̂), θ_0(x+1̂), θ_1(x): the links of the plaquette at x in the
	// order of PlaquetteSigns.
	links [][4]int
}

// NewGeometry returns the geometry of lat, which must have two axes.
func NewGeometry(lat *lattice.Lattice) (*Geometry, error) {
	if lat == nil {
		return nil, fmt.Errorf("gauge: lattice is nil")
	}
	if lat.Dim() != 2 {
		return nil, fmt.Errorf("gauge: lattice %v has %d axes: U(1) gauge theory here needs a 2-d lattice [Lx, Ly]", lat, lat.Dim())
	}
	v := lat.Volume()
	g := &Geometry{lat: lat, v: v, links: make([][4]int, v)}
	for x := range v {
		g.links[x] = [4]int{x, v + lat.Fwd(0, x), lat.Fwd(1, x), v + x}
	}
	return g, nil
}

// Lattice is the lattice of sites.
func (g *Geometry) Lattice() *lattice.Lattice { return g.lat }

// Volume is the number of sites V (and of plaquettes).
func (g *Geometry) Volume() int { return g.v }

// FieldSize is the number of link angles per configuration, 2V.
func (g *Geometry) FieldSize() int { return 2 * g.v }

// Links returns the indices into a configuration [2V] of the four links of
// the plaquette at site x, in the order of PlaquetteSigns.
func (g *Geometry) Links(x int) [4]int { return g.links[x] }

// Link is the index of θ_μ(x) in a configuration [2V].
func (g *Geometry) Link(mu, x int) int { return mu*g.v + x }

// Plaquette returns the (unwrapped) plaquette angle at site x of one
// configuration theta [2V].
func (g *Geometry) Plaquette(theta []float64, x int) float64 {
	l := g.links[x]
	return theta[l[0]] + theta[l[1]] - theta[l[2]] - theta[l[3]]
}

// Plaquettes writes the unwrapped plaquette angles of a batch theta
// [batch, 2V] into out [batch, V].
func (g *Geometry) Plaquettes(theta, out []float64) {
	n := g.batch(theta)
	if len(out) != n*g.v {
		panic(fmt.Sprintf("gauge: Plaquettes: out has %d values, want %d × %d", len(out), n, g.v))
	}
	for b := range n {
		c := theta[b*2*g.v : (b+1)*2*g.v]
		for x := range g.v {
			out[b*g.v+x] = g.Plaquette(c, x)
		}
	}
}

// batch checks that theta holds a whole number of configurations.
func (g *Geometry) batch(theta []float64) int {
	if len(theta)%(2*g.v) != 0 {
		panic(fmt.Sprintf("gauge: %d link angles are not a whole number of configurations of 2V = %d", len(theta), 2*g.v))
	}
	return len(theta) / (2 * g.v)
}

// Transform applies the gauge transformation α [V] to one configuration
// theta [2V] in place: θ_μ(x) → α(x) + θ_μ(x) − α(x+μ̂).
func (g *Geometry) Transform(theta, alpha []float64) {
	if len(theta) != 2*g.v || len(alpha) != g.v {
		panic(fmt.Sprintf("gauge: Transform with %d link angles and %d site angles, want %d and %d", len(theta), len(alpha), 2*g.v, g.v))
	}
	for mu := range 2 {
		for x := range g.v {
			theta[mu*g.v+x] += alpha[x] - alpha[g.lat.Fwd(mu, x)]
		}
	}
}

// Wrap maps an angle into (−π, π].
func Wrap(a float64) float64 {
	return a - 2*math.Pi*math.Ceil((a-math.Pi)/(2*math.Pi))
}

// WrapAll wraps every angle of theta into (−π, π] in place.
func WrapAll(theta []float64) {
	for i, a := range theta {
		theta[i] = Wrap(a)
	}
}
