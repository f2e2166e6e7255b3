package config

import (
	"fmt"
	"math"

	"github.com/normflow/normflow-go/flow"
	"github.com/normflow/normflow-go/nn"
	"github.com/normflow/normflow-go/rng"
)

// Checks of the U(1) gauge theory settings (action kind "u1", d = 2, 3, 4).

// validateU1 checks the [action] table of kind u1: beta, nothing else.
func (a *Action) validateU1() error {
	if a.Convention != "" {
		return fmt.Errorf("action.convention = %q: kind \"u1\" has no conventions (it takes beta)", a.Convention)
	}
	for k, v := range map[string]*float64{"kappa": a.Kappa, "m_sq": a.MSq, "lambd": a.Lambd, "a": a.A} {
		if v != nil {
			return fmt.Errorf("action.%s is not a parameter of kind \"u1\" (it takes beta)", k)
		}
	}
	if a.Beta == nil {
		return fmt.Errorf("action.beta is missing: kind \"u1\" needs beta (S = −β Σ_P cos θ_P)")
	}
	if math.IsNaN(*a.Beta) || math.IsInf(*a.Beta, 0) {
		return fmt.Errorf("action.beta = %g: must be a finite number", *a.Beta)
	}
	return nil
}

// validateGauge checks that gauge and scalar parts are not mixed: a u1
// action comes with the Haar prior and gauge couplings
// only; the Haar prior and gauge couplings need a u1 action.
func (r *Run) validateGauge() error {
	u1 := r.Action.Kind == "u1" // its lattice (2 to 4 axes) is checked by ValidateTheory
	if u1 && r.Prior.Kind != "haar" {
		return fmt.Errorf("prior.kind = %q: action kind \"u1\" needs prior kind \"haar\" (uniform link angles)", r.Prior.Kind)
	}
	if !u1 && r.Prior.Kind == "haar" && !r.suNField() {
		return fmt.Errorf("prior.kind = \"haar\" is the prior of action kind \"u1\", not %q", r.Action.Kind)
	}
	for i, l := range r.Flow.Layers {
		if u1 && l.Kind != "gauge_coupling" && l.Kind != "staple_coupling" {
			return fmt.Errorf("flow.layers[%d].kind = %q: action kind \"u1\" takes gauge_coupling or staple_coupling layers only (they keep the flow gauge equivariant)", i, l.Kind)
		}
		if u1 && l.Kind == "staple_coupling" {
			shape := r.Lattice.Shape
			for a, e := range shape {
				if e%2 != 0 {
					return fmt.Errorf("lattice.shape = %v: extent %d along axis %d is odd: staple_coupling (flow.layers[%d]) needs even extents (the even-odd mask)", shape, e, a, i)
				}
			}
			if l.Freqs != nil {
				return fmt.Errorf("flow.layers[%d].freqs is a setting of staple_coupling on SU(3) links (action kind \"wilson\"), not \"u1\"", i)
			}
		}
		if !u1 && l.Kind == "gauge_coupling" && r.Action.Kind != "wilson" {
			return fmt.Errorf("flow.layers[%d].kind = \"gauge_coupling\" needs action kind \"u1\" or \"wilson\", not %q", i, r.Action.Kind)
		}
		if !u1 && l.Kind == "staple_coupling" && r.Action.Kind != "wilson" {
			return fmt.Errorf("flow.layers[%d].kind = \"staple_coupling\" needs action kind \"u1\" or \"wilson\", not %q", i, r.Action.Kind)
		}
	}
	return nil
}

// buildGauge makes the repeat gauge couplings of one [[flow.layers]] table of
// kind gauge_coupling: on a lattice of d axes, layer k updates links of
// direction μ = k mod d on the stripes x_ν, ν = μ+1 mod d, with offset
// ⌊k/d⌋ mod 4 (in 2-d the tutorial's cycle: 8 layers touch every link once;
// 4d layers in general). Conditioner: cos and sin of the frozen plaquettes
// of the d(d−1)/2 planes in (d(d−1) channels; 2 in 2-d), 3(knots−1)
// circular-spline parameters out; defaults knots 8, kernel 3, tanh, bias,
// float32.
func (l *Layer) buildGauge(at layerPlace) ([]flow.Layer, error) {
	if at.colorN > 0 { // SU(N) links (sungauge.go)
		return l.buildSUNGauge(at)
	}
	knots := or(l.Knots, 8)
	net := l.conditioner(true)
	return l.repeated(at, func(k int, name string, init rng.Stream) (flow.Layer, error) {
		d := at.lat.Dim()
		return flow.NewGauge(name, at.lat, k%d, (k/d)%flow.GaugeStripe, net, init, knots)
	})
}

// buildU1Staple makes the repeat U(1) stapled-link couplings
// (flow.U1StapleCoupling, docs/conventions.md §5.16.1) of one [[flow.layers]]
// table of kind staple_coupling on an action of kind u1: layer k updates
// the links of direction μ = k mod d on the sites of parity p = ⌊k/d⌋ mod 2,
// so 2d layers update every link once. Conditioner: |A|/(2(d−1)) of the
// staple sum in (1 channel), 3(knots−1) circular-spline parameters out;
// defaults knots 8, kernel 1 (per-site MLP), tanh, bias, float32. The
// weights of layer k come from the stream (seed, init, table, k).
func (l *Layer) buildU1Staple(at layerPlace) ([]flow.Layer, error) {
	knots := or(l.Knots, 8)
	spec := l.conditioner(true)
	spec.Kernel = or(l.Kernel, 1)
	spec.In, spec.Out = 1, 3*(knots-1)
	return l.repeated(at, func(k int, name string, init rng.Stream) (flow.Layer, error) {
		net, err := nn.NewNet(name+".net", at.lat, spec, init.Uint64())
		if err != nil {
			return nil, err
		}
		d := at.lat.Dim()
		return flow.NewU1StapleCoupling(name, at.lat, k%d, (k/d)%2, net, knots)
	})
}
