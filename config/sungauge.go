package config

import (
	"fmt"

	"github.com/normflow/normflow-go/flow"
	"github.com/normflow/normflow-go/nn"
	"github.com/normflow/normflow-go/rng"
	"github.com/normflow/normflow-go/sun"
	"github.com/normflow/normflow-go/sungauge"
)

// Flows of SU(N) lattice gauge theory (action kind "wilson", docs/sun.md
// §10.5): the Haar prior of SU(N) on every link (prior kind "haar", the
// default) and gauge_coupling layers, which on SU(N) links build
// flow.SUNGaugeCoupling layers. Their settings are those of the U(1)
// gauge_coupling (repeat, knots, hidden, kernel, activation,
// final_activation, bias, precision, zero_init) and two of SU(N)'s own:
// period (2 or 4, the stripes of the masks) and freqs (SU(3): the terms of
// the second spline's dependence on the first coordinate, as in the
// spectral layer; SU(2): 0). staple_coupling layers (docs/sun.md §10.7)
// build flow.StapleCoupling layers, with the same settings but period, and
// kernel 1 by default (buildStaple).

// suNField reports whether the action's field is made of SU(N) matrices
// (one-matrix models or links), so that prior kind "haar" is the Haar
// measure of SU(N) on every matrix.
func (r *Run) suNField() bool { return r.Action.Kind == "matrix" || r.Action.Kind == "wilson" }

// sunPeriod returns the mask period of a gauge_coupling table on a lattice
// of the given shape: the period key, or by default 4 when every extent is
// a multiple of 4 and 2 otherwise. Every axis is the stripe direction ν of
// some mask of the cycle, so every extent must be a multiple of the period.
func (l *Layer) sunPeriod(shape []int) int {
	if l.Period != nil {
		return *l.Period
	}
	for _, e := range shape {
		if e%flow.SUNGaugeStripe != 0 {
			return 2
		}
	}
	return flow.SUNGaugeStripe
}

// validateSUNGauge checks the flow of an SU(N) gauge theory: prior kind
// haar, gauge_coupling layers with a period (2 or 4) that divides every
// lattice extent, staple_coupling layers on even extents, and for SU(2)
// freqs = 0. Of other kinds it checks
// that period is not given (a setting of SU(N) gauge couplings only) and
// that a u1 gauge_coupling has no freqs.
func (r *Run) validateSUNGauge() error {
	if r.Action.Kind != "wilson" {
		for i, l := range r.Flow.Layers {
			if l.Kind != "gauge_coupling" {
				continue
			}
			if l.Period != nil {
				return fmt.Errorf("flow.layers[%d].period is a setting of gauge_coupling on SU(N) links (action kind \"wilson\"), not %q", i, r.Action.Kind)
			}
			if l.Freqs != nil {
				return fmt.Errorf("flow.layers[%d].freqs is a setting of gauge_coupling on SU(3) links (action kind \"wilson\"), not %q", i, r.Action.Kind)
			}
		}
		return nil
	}
	if r.Prior.Kind != "haar" {
		return fmt.Errorf("prior.kind = %q: action kind \"wilson\" needs prior kind \"haar\" (the Haar measure of SU(N) on every link)", r.Prior.Kind)
	}
	shape := r.Lattice.Shape
	for i, l := range r.Flow.Layers {
		if l.Kind == "staple_coupling" {
			for a, e := range shape {
				if e%2 != 0 {
					return fmt.Errorf("lattice.shape = %v: extent %d along axis %d is odd: staple_coupling (flow.layers[%d]) needs even extents (the even-odd mask)", shape, e, a, i)
				}
			}
			if *r.Action.N == 2 && l.Freqs != nil && *l.Freqs != 0 {
				return fmt.Errorf("flow.layers[%d].freqs = %d: SU(2) staple couplings take freqs = 0 (one eigen-angle)", i, *l.Freqs)
			}
			continue
		}
		if l.Kind != "gauge_coupling" {
			return fmt.Errorf("flow.layers[%d].kind = %q: action kind \"wilson\" takes gauge_coupling or staple_coupling layers only (they keep the flow on SU(N) and gauge equivariant)", i, l.Kind)
		}
		if l.Period != nil && *l.Period != 2 && *l.Period != flow.SUNGaugeStripe {
			return fmt.Errorf("flow.layers[%d].period = %d: allowed: 2 or 4", i, *l.Period)
		}
		p := l.sunPeriod(shape)
		for a, e := range shape {
			if e%p != 0 {
				if l.Period == nil {
					return fmt.Errorf("lattice.shape = %v: extent %d along axis %d is odd: gauge_coupling (flow.layers[%d]) needs even extents (stripes of period 2 or 4)", shape, e, a, i)
				}
				return fmt.Errorf("flow.layers[%d].period = %d: does not divide extent %d along axis %d of lattice.shape = %v (every axis is some mask's stripe direction)", i, p, e, a, shape)
			}
		}
		if *r.Action.N == 2 && l.Freqs != nil && *l.Freqs != 0 {
			return fmt.Errorf("flow.layers[%d].freqs = %d: SU(2) gauge couplings take freqs = 0 (one eigen-angle)", i, *l.Freqs)
		}
	}
	return nil
}

// buildSUNGauge makes the repeat SU(N) gauge couplings of one
// [[flow.layers]] table of kind gauge_coupling on an action of kind wilson
// (docs/sun.md §10.5): layer k updates the links of direction μ = k mod d
// on the stripes x_ν ≡ ⌊k/d⌋ mod period, ν = μ+1 mod d, so d·period layers
// update every link once. Conditioner: Re and Im of (1/N) Tr of the frozen
// plaquettes of every plane in (d(d−1) channels), the spectral parameters
// out; defaults knots 8, freqs 2 (SU(3); 0 for SU(2)), period 4 where every
// extent allows (else 2), kernel 3, tanh, bias, float32. The weights of
// layer k come from the stream (seed, init, table, k).
func (l *Layer) buildSUNGauge(at layerPlace) ([]flow.Layer, error) {
	geo, err := sungauge.NewGeometry(at.lat, at.colorN)
	if err != nil {
		return nil, err
	}
	def := 2
	if at.colorN == 2 {
		def = 0
	}
	knots, feats := or(l.Knots, 8), or(l.Freqs, def)
	d, period := geo.Dim(), l.sunPeriod(at.lat.Shape())
	np := sun.NewSpectral(at.colorN, knots, feats).NumParams()
	spec := l.conditioner(true)
	spec.In, spec.Out = d*(d-1), np
	return l.repeated(at, func(k int, name string, init rng.Stream) (flow.Layer, error) {
		mu := k % d
		net, err := nn.NewNet(name+".net", at.lat, spec, init.Uint64())
		if err != nil {
			return nil, err
		}
		return flow.NewSUNGaugeCoupling(name, geo, mu, (mu+1)%d, period, (k/d)%period, net, knots, feats)
	})
}

// buildStaple makes the repeat stapled-link couplings (flow.StapleCoupling,
// docs/sun.md §10.7) of one [[flow.layers]] table of kind staple_coupling on
// an action of kind wilson: layer k updates the links of direction
// μ = k mod d on the sites of parity p = ⌊k/d⌋ mod 2, so 2d layers update
// every link once. Conditioner: the gauge-invariant features of the staple
// sum in (flow.StapleFeatureChannels: 1 for SU(2), 4 for SU(3)), the
// spectral parameters out; defaults knots 8, freqs 2 (SU(3); 0 for SU(2)),
// kernel 1 (per-site MLP), tanh, bias, float32. The weights of layer k come
// from the stream (seed, init, table, k).
func (l *Layer) buildStaple(at layerPlace) ([]flow.Layer, error) {
	if at.colorN == 0 { // U(1) links (gauge.go)
		return l.buildU1Staple(at)
	}
	geo, err := sungauge.NewGeometry(at.lat, at.colorN)
	if err != nil {
		return nil, err
	}
	def := 2
	if at.colorN == 2 {
		def = 0
	}
	knots, feats := or(l.Knots, 8), or(l.Freqs, def)
	d := geo.Dim()
	np := sun.NewSpectral(at.colorN, knots, feats).NumParams()
	spec := l.conditioner(true)
	spec.Kernel = or(l.Kernel, 1)
	spec.In, spec.Out = flow.StapleFeatureChannels(at.colorN), np
	return l.repeated(at, func(k int, name string, init rng.Stream) (flow.Layer, error) {
		net, err := nn.NewNet(name+".net", at.lat, spec, init.Uint64())
		if err != nil {
			return nil, err
		}
		return flow.NewStapleCoupling(name, geo, k%d, (k/d)%2, net, knots, feats)
	})
}
