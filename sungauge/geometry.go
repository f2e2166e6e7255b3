package sungauge

import (
	"fmt"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/sun"
)

// Geometry is the link bookkeeping of SU(N) gauge theory on a periodic
// lattice of d = 2, 3 or 4 axes: link (μ, x) is matrix μ·V + x of a
// configuration [d, sites…, N, N]. It is immutable and safe to share.
type Geometry struct {
	lat  *lattice.Lattice
	d, v int
	n    int // N of SU(N)
	fwd  [][]int
	bwd  [][]int
}

// NewGeometry returns the link geometry of SU(n) gauge theory on lat, which
// must have 2, 3 or 4 axes; n must be 2 or 3 (the exponential map and the
// character expansions are implemented for those).
func NewGeometry(lat *lattice.Lattice, n int) (*Geometry, error) {
	if lat == nil {
		return nil, fmt.Errorf("sungauge: lattice is nil")
	}
	if d := lat.Dim(); d < 2 || d > 4 {
		return nil, fmt.Errorf("sungauge: lattice %v has %d axes: SU(N) gauge theory needs 2, 3 or 4 (plaquettes need two directions)", lat, d)
	}
	if n != 2 && n != 3 {
		return nil, fmt.Errorf("sungauge: n = %d: allowed: 2 or 3 (SU(2), SU(3))", n)
	}
	g := &Geometry{lat: lat, d: lat.Dim(), v: lat.Volume(), n: n}
	for mu := range g.d {
		f := lat.FwdTable(mu)
		b := make([]int, g.v)
		for x, y := range f {
			b[y] = x
		}
		g.fwd = append(g.fwd, f)
		g.bwd = append(g.bwd, b)
	}
	return g, nil
}

// Lattice is the lattice of sites.
func (g *Geometry) Lattice() *lattice.Lattice { return g.lat }

// Dim is the number of directions d.
func (g *Geometry) Dim() int { return g.d }

// Volume is the number of sites V.
func (g *Geometry) Volume() int { return g.v }

// ColorN is N of SU(N).
func (g *Geometry) ColorN() int { return g.n }

// LinksPerSite is d (action.MatrixField).
func (g *Geometry) LinksPerSite() int { return g.d }

// Links is the number of link matrices per configuration, d·V.
func (g *Geometry) Links() int { return g.d * g.v }

// FieldSize is the number of real variables per configuration, d·V·2N²
// (model.FieldSizer).
func (g *Geometry) FieldSize() int { return g.d * g.v * 2 * g.n * g.n }

// Momenta is the number of real momenta per configuration, d·V·(N²−1): one
// per generator and link.
func (g *Geometry) Momenta() int { return g.d * g.v * (g.n*g.n - 1) }

// Link is the index of the matrix U_μ(x) in a configuration [d·V, N, N].
func (g *Geometry) Link(mu, x int) int { return mu*g.v + x }

// Fwd is the site x + μ̂ (periodic).
func (g *Geometry) Fwd(mu, x int) int { return g.fwd[mu][x] }

// Bwd is the site x − μ̂ (periodic).
func (g *Geometry) Bwd(mu, x int) int { return g.bwd[mu][x] }

// U returns the view of U_μ(x) in one configuration u [d·V·N²].
func (g *Geometry) U(u []complex128, mu, x int) []complex128 {
	return sun.Mat(u, mu*g.v+x, g.n)
}

// batch checks that f [batch, d, sites…, N, N, 2] holds a whole number of
// configurations and returns how many.
func (g *Geometry) batch(f []float64, what string) int {
	s := g.FieldSize()
	if len(f)%s != 0 {
		panic(fmt.Sprintf("sungauge: %s: %d values are not a whole number of configurations of d·V·2N² = %d", what, len(f), s))
	}
	return len(f) / s
}

// config returns the complex view of configuration b of a batch.
func (g *Geometry) config(f []float64, b int) []complex128 {
	s := g.FieldSize()
	return sun.Complex(f[b*s : (b+1)*s])
}

// ColdStart sets every link of the configurations in f [batch, d, sites…,
// N, N, 2] to the identity (the ordered start of a chain).
func (g *Geometry) ColdStart(f []float64) {
	n := g.batch(f, "ColdStart")
	for b := range n {
		u := g.config(f, b)
		for k := range g.Links() {
			sun.Identity(sun.Mat(u, k, g.n))
		}
	}
}
