package gauge

import (
	"fmt"
	"math"

	"github.com/normflow/normflow-go/lattice"
)

// Wilson is the Wilson plaquette action of 2-d U(1) gauge theory,
//
//	S[θ] = −β Σ_x cos θ_P(x),
//
// on batches of link configurations [batch, 2V]. It implements action.Action
// (with the 2-d lattice of sites) and FieldSize() = 2V, which model.New, HMC
// and the samplers use for the number of real variables per configuration.
// S is 2π-periodic in every link, so angles need not be wrapped.
type Wilson struct {
	*Geometry
	Beta float64
}

// NewWilson returns the Wilson action with coupling beta (finite) on the
// 2-d lattice lat.
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

// Eval writes S of each configuration of theta [batch, 2V] into out [batch].
func (w *Wilson) Eval(theta, out []float64) {
	n := w.batch(theta)
	if len(out) != n {
		panic(fmt.Sprintf("gauge: Wilson.Eval: out has %d values for %d configurations", len(out), n))
	}
	for b := range n {
		c := theta[b*2*w.v : (b+1)*2*w.v]
		var s float64
		for x := range w.v {
			s += math.Cos(w.Plaquette(c, x))
		}
		out[b] = -w.Beta * s
	}
}

// Grad writes dS/dθ into dtheta [batch, 2V]:
//
//	∂S/∂θ_l = β Σ_P σ_{P,l} sin θ_P,
//
// σ_{P,l} = ±1 the sign of link l in plaquette P (each link is in two).
func (w *Wilson) Grad(theta, dtheta []float64) {
	n := w.batch(theta)
	if len(dtheta) != len(theta) {
		panic(fmt.Sprintf("gauge: Wilson.Grad: dtheta has %d values, theta %d", len(dtheta), len(theta)))
	}
	clear(dtheta)
	for b := range n {
		c := theta[b*2*w.v : (b+1)*2*w.v]
		d := dtheta[b*2*w.v : (b+1)*2*w.v]
		for x := range w.v {
			s := w.Beta * math.Sin(w.Plaquette(c, x))
			for k, l := range w.links[x] {
				d[l] += PlaquetteSigns[k] * s
			}
		}
	}
}
