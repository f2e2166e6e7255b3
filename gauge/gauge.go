// Package gauge holds U(1) lattice gauge theory in d = 2, 3 and 4
// dimensions: link fields, plaquettes, the Wilson action (Wilson 1974), the
// Haar (uniform) prior and, in 2-d only, the topological charge and exact
// results on the torus (Kanwar et al., arXiv:2003.06413; Albergo et al.'s
// tutorial, arXiv:2101.08176). Conventions: docs/conventions.md §3.
//
// A model of the theory is NewWilson (the action), NewHaar (the prior) and
// gauge-equivariant coupling layers (flow.NewGauge, 2-d) put together with
// package model, or a run description with action kind "u1"
// (examples/u1_2d.toml, examples/u1_4d.toml) built by package config. Start
// with package model.
//
// # Links
//
// A configuration is the set of link angles θ_μ(x) ∈ (−π, π], μ = 0 … d−1,
// on an L₀ × … × L_{d−1} periodic lattice, stored row-major as
// [d, L₀, …, L_{d−1}] (channel μ, then the sites in lexicographic order;
// docs/architecture.md §1.3), so a batch is [batch, d·V] with V the number
// of sites; in 2-d [2, Lx, Ly]. The link variable is U_μ(x) = exp(iθ_μ(x)).
//
// # Plaquettes and gauge transformations
//
// The plaquette angle in the plane μ < ν at x is
//
//	θ_μν(x) = θ_μ(x) + θ_ν(x+μ̂) − θ_μ(x+ν̂) − θ_ν(x),
//
// the phase of U_μ(x) U_ν(x+μ̂) U_μ(x+ν̂)* U_ν(x)*; in 2-d the only plane is
// (0, 1) and θ_P(x) = θ_01(x). A gauge transformation α(x) acts as
// θ_μ(x) → α(x) + θ_μ(x) − α(x+μ̂); it leaves every plaquette angle
// unchanged (exactly, not only modulo 2π), so the Wilson action, the
// topological charge and anything built from plaquettes are gauge invariant.
package gauge

import (
	"fmt"
	"math"

	"github.com/normflow/normflow-go/lattice"
)

// PlaquetteSigns are the signs with which the four links of Geometry.Links
// enter the plaquette angle: θ_μν = θ_μ(x) + θ_ν(x+μ̂) − θ_μ(x+ν̂) − θ_ν(x).
var PlaquetteSigns = [4]float64{1, 1, -1, -1}

// MaxDim is the largest number of lattice axes NewGeometry accepts.
const MaxDim = 4

// Geometry is the link and plaquette bookkeeping of a d-dimensional periodic
// lattice, d = 2, 3 or 4. It is immutable after NewGeometry and safe to share.
//
// Plaquettes are numbered plane by plane: plaquette i = p·V + x is the one
// at site x in the plane p of Planes (μ < ν in lexicographic order: (0,1),
// (0,2), …, (d−2,d−1)), so a batch of plaquette angles is [batch, P, V]
// with P = d(d−1)/2; in 2-d this is [batch, V], plaquette i at site i.
type Geometry struct {
	lat    *lattice.Lattice
	d, v   int
	planes [][2]int
	// links[p·V+x] are the indices, into one configuration [d·V], of
	// θ_μ(x), θ_ν(x+μ̂), θ_μ(x+ν̂), θ_ν(x) for (μ, ν) = planes[p]: the links
	// of the plaquette in the order of PlaquetteSigns.
	links [][4]int
}

// NewGeometry returns the geometry of lat, which must have 2, 3 or 4 axes.
func NewGeometry(lat *lattice.Lattice) (*Geometry, error) {
	if lat == nil {
		return nil, fmt.Errorf("gauge: lattice is nil")
	}
	d := lat.Dim()
	if d < 2 || d > MaxDim {
		return nil, fmt.Errorf("gauge: lattice %v has %d axes: U(1) gauge theory here needs 2 to %d", lat, d, MaxDim)
	}
	v := lat.Volume()
	g := &Geometry{lat: lat, d: d, v: v}
	for mu := range d {
		for nu := mu + 1; nu < d; nu++ {
			g.planes = append(g.planes, [2]int{mu, nu})
		}
	}
	g.links = make([][4]int, len(g.planes)*v)
	for p, pl := range g.planes {
		mu, nu := pl[0], pl[1]
		for x := range v {
			g.links[p*v+x] = [4]int{mu*v + x, nu*v + lat.Fwd(mu, x), mu*v + lat.Fwd(nu, x), nu*v + x}
		}
	}
	return g, nil
}

// Lattice is the lattice of sites.
func (g *Geometry) Lattice() *lattice.Lattice { return g.lat }

// Dim is the number of lattice axes d (and of links per site).
func (g *Geometry) Dim() int { return g.d }

// Volume is the number of sites V (in 2-d also the number of plaquettes).
func (g *Geometry) Volume() int { return g.v }

// Planes are the d(d−1)/2 planes (μ, ν), μ < ν, in the order of the
// plaquette numbering. The slice is shared: do not modify it.
func (g *Geometry) Planes() [][2]int { return g.planes }

// NumPlaquettes is the number of plaquettes per configuration,
// P·V = d(d−1)/2 · V.
func (g *Geometry) NumPlaquettes() int { return len(g.links) }

// FieldSize is the number of link angles per configuration, d·V.
func (g *Geometry) FieldSize() int { return g.d * g.v }

// Links returns the indices into a configuration [d·V] of the four links of
// plaquette i = p·V + x (site x, plane p; in 2-d simply the site x), in the
// order of PlaquetteSigns.
func (g *Geometry) Links(i int) [4]int { return g.links[i] }

// Link is the index of θ_μ(x) in a configuration [d·V].
func (g *Geometry) Link(mu, x int) int { return mu*g.v + x }

// Plaquette returns the (unwrapped) angle of plaquette i = p·V + x (in 2-d:
// the plaquette at site i) of one configuration theta [d·V].
func (g *Geometry) Plaquette(theta []float64, i int) float64 {
	l := g.links[i]
	return theta[l[0]] + theta[l[1]] - theta[l[2]] - theta[l[3]]
}

// Plaquettes writes the unwrapped plaquette angles of a batch theta
// [batch, d·V] into out [batch, P·V] (plane by plane; [batch, V] in 2-d).
func (g *Geometry) Plaquettes(theta, out []float64) {
	n := g.batch(theta)
	np, f := len(g.links), g.FieldSize()
	if len(out) != n*np {
		panic(fmt.Sprintf("gauge: Plaquettes: out has %d values, want %d × %d", len(out), n, np))
	}
	for b := range n {
		c := theta[b*f : (b+1)*f]
		for i := range np {
			out[b*np+i] = g.Plaquette(c, i)
		}
	}
}

// batch checks that theta holds a whole number of configurations.
func (g *Geometry) batch(theta []float64) int {
	f := g.FieldSize()
	if len(theta)%f != 0 {
		panic(fmt.Sprintf("gauge: %d link angles are not a whole number of configurations of d·V = %d", len(theta), f))
	}
	return len(theta) / f
}

// Transform applies the gauge transformation α [V] to one configuration
// theta [d·V] in place: θ_μ(x) → α(x) + θ_μ(x) − α(x+μ̂).
func (g *Geometry) Transform(theta, alpha []float64) {
	if len(theta) != g.FieldSize() || len(alpha) != g.v {
		panic(fmt.Sprintf("gauge: Transform with %d link angles and %d site angles, want %d and %d", len(theta), len(alpha), g.FieldSize(), g.v))
	}
	for mu := range g.d {
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
