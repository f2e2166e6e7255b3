package gauge

import (
	"fmt"
	"math"

	"github.com/normflow/normflow-go/lattice"
)

// Wilson is the Wilson plaquette action of U(1) gauge theory in d = 2, 3, 4
// (Wilson 1974; docs/conventions.md §3),
//
//	S[θ] = −β Σ_x Σ_{μ<ν} cos θ_μν(x),
//
// on batches of link configurations [batch, d·V]. It implements
// action.Action (with the lattice of sites) and FieldSize() = d·V, which model.New, HMC
// and the samplers use for the number of real variables per configuration.
// S is 2π-periodic in every link, so angles need not be wrapped.
type Wilson struct {
	*Geometry
	Beta float64
}

// NewWilson returns the Wilson action with coupling beta (finite) on the
// lattice lat of 2, 3 or 4 axes.
func NewWilson(lat *lattice.Lattice, beta float64) (*Wilson, error) {
	if math.IsNaN(beta) || math.IsInf(beta, 0) {
		return nil, fmt.Errorf("gauge: wilson action: beta = %g: must be a finite number", beta)
	}
	g, err := NewGeometry(lat)
	if err != nil {
		return nil, err
	}
	return &Wilson{Geometry: g, Beta: beta}, nil
}

// Eval writes S of each configuration of theta [batch, d·V] into out [batch].
func (w *Wilson) Eval(theta, out []float64) {
	n := w.batch(theta)
	if len(out) != n {
		panic(fmt.Sprintf("gauge: Wilson.Eval: out has %d values for %d configurations", len(out), n))
	}
	f := w.FieldSize()
	for b := range n {
		c := theta[b*f : (b+1)*f]
		var s float64
		for i := range w.links {
			s += math.Cos(w.Plaquette(c, i))
		}
		out[b] = -w.Beta * s
	}
}

// Grad writes dS/dθ into dtheta [batch, d·V]:
//
//	∂S/∂θ_l = β Σ_P σ_{P,l} sin θ_P,
//
// σ_{P,l} = ±1 the sign of link l in plaquette P (each link is in
// 2(d−1)).
func (w *Wilson) Grad(theta, dtheta []float64) {
	n := w.batch(theta)
	if len(dtheta) != len(theta) {
		panic(fmt.Sprintf("gauge: Wilson.Grad: dtheta has %d values, theta %d", len(dtheta), len(theta)))
	}
	clear(dtheta)
	f := w.FieldSize()
	for b := range n {
		c := theta[b*f : (b+1)*f]
		d := dtheta[b*f : (b+1)*f]
		for i, li := range w.links {
			s := w.Beta * math.Sin(w.Plaquette(c, i))
			for k, l := range li {
				d[l] += PlaquetteSigns[k] * s
			}
		}
	}
}
