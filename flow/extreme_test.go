package flow

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/nn"
)

// extremeMagnitudes are the input magnitudes of TestExtremeInputs: from
// the smallest normal numbers through the range where 1 − expit(x) loses
// its digits (20), rounds to 0 (≳ 37) and underflows (≳ 745), to the
// largest finite numbers, as far as each layer documents
// (docs/conventions.md §5.18).
var extremeMagnitudes = []float64{1e-300, 1e-8, 1, 20, 36, 38, 40, 1e3, 1e6, 1e100, 1e300, math.MaxFloat64}

// extremeCase is one layer under TestExtremeInputs.
type extremeCase struct {
	name  string
	layer Layer
	size  int // values per sample
	// max is the largest input magnitude the layer documents for these
	// parameters: MaxFloat64 where the tails have unit slope and nothing is
	// summed, else 1e300, leaving room for the layer's gain and sums.
	max float64
	// tol is the round-trip tolerance for an element x that the first map
	// sent to y, in a sample whose largest magnitude (of x and y) is smax;
	// ljTol that of logJ(forward) + logJ(inverse).
	tol   func(x, y, smax float64) float64
	ljTol float64
	// inputs, when set, replaces the magnitudes (the unit-interval layers).
	inputs []float64
	odd    bool // odd bit for bit (the symmetric convertor)
	// invMax, when set, is the largest magnitude at which the round trip
	// and logJ(forward) + logJ(inverse) = 0 are checked (the CNF's fixed-step
	// integrator); beyond it, and for mixed magnitudes, only finiteness.
	invMax float64
	// scale of the random parameters (0: 0.7)
	scale float64
}

// elementwise: relative to the larger of the element and its image (a
// small x sent to an O(1) value, by a shift or a spline's value at 0, comes
// back with the rounding of that value).
func elementwise(rel float64) func(x, y, smax float64) float64 {
	return func(x, y, _ float64) float64 { return rel * max(math.Abs(x), math.Abs(y)) }
}

// mixing: relative to the largest magnitude in the sample, before or after
// the map (maps that mix the elements: sums round relative to the largest
// term).
func mixing(rel float64) func(x, y, smax float64) float64 {
	return func(_, _, smax float64) float64 { return rel * smax }
}

// extremeCases builds every layer kind with random, non-trivial parameters.
func extremeCases(t *testing.T, r *rand.Rand) []extremeCase {
	var cs []extremeCase
	add := func(c extremeCase) {
		if c.scale == 0 {
			c.scale = 0.7
		}
		randomize(c.layer, r, c.scale)
		if c.ljTol == 0 {
			c.ljTol = 1e-12
		}
		cs = append(cs, c)
	}
	for _, sym := range []bool{false, true} {
		for _, scale := range []bool{false, true} {
			d, err := NewDistConvertor("dc", 6, sym, scale)
			if err != nil {
				t.Fatal(err)
			}
			// Unit slope in the tails without a scale: y = x ∓ log D.
			mx := math.MaxFloat64
			if scale {
				mx = 1e300
			}
			add(extremeCase{name: fmt.Sprintf("dist_convertor/sym=%v/scale=%v", sym, scale), layer: d, size: 3,
				max: mx, tol: elementwise(1e-11), odd: sym})
		}
	}
	lat := lattice.MustNew(2, 2)
	v := lat.Volume()
	for _, sym := range []bool{false, true} {
		mf, err := NewMeanField("mf", 6, sym, true)
		if err != nil {
			t.Fatal(err)
		}
		add(extremeCase{name: fmt.Sprintf("mean_field/sym=%v", sym), layer: mf, size: v, max: 1e300, tol: mixing(1e-11)})
	}
	for _, excl := range []bool{false, true} {
		f, err := NewFourier("fo", lat, 5, excl)
		if err != nil {
			t.Fatal(err)
		}
		add(extremeCase{name: fmt.Sprintf("fourier/exclude_zero=%v", excl), layer: f, size: v, max: 1e300, tol: mixing(1e-12)})
	}
	psd, err := NewPSD("psd", lat, 6, true, true, 5)
	if err != nil {
		t.Fatal(err)
	}
	add(extremeCase{name: "psd", layer: psd, size: v, max: 1e300, tol: mixing(1e-11)})
	add(extremeCase{name: "pade", layer: NewPade("pade"), size: 3, max: math.MaxFloat64, tol: elementwise(1e-14)})
	unit := []float64{0, 1e-300, 1e-100, 1e-16, 0.3, 0.5, 1 - 0x1p-53, 1}
	add(extremeCase{name: "pade11", layer: NewPade11("p11"), size: len(unit), inputs: unit, tol: elementwise(1e-14)})
	add(extremeCase{name: "pade22", layer: NewPade22("p22"), size: len(unit), inputs: unit, tol: elementwise(1e-14)})
	for _, k := range couplingKinds() {
		l := k.build(t, "c", lat, Checkerboard(lat, 0))
		add(extremeCase{name: k.name, layer: l, size: v, max: 1e300, tol: elementwise(1e-12)})
	}
	// The CNF: the feature φ makes the field linear at large |x|, with a
	// gain e^{O(‖K‖)} of a few, so everything stays finite to 1e300; the
	// round trip and logJ hold to the integrator's O(h⁴) only while a step
	// moves φ by much less than a period of its sin features, here |x| ≲ 1
	// (docs/conventions.md §5.18, §5.19).
	clat := lattice.MustNew(3, 2)
	for _, mode := range []int{cnfByFFT, cnfDirectly} {
		c, err := newCNF("cnf", clat, CNFOptions{Steps: 40, Freqs: 2, TimeFreqs: 1, Local: true}, mode)
		if err != nil {
			t.Fatal(err)
		}
		add(extremeCase{name: fmt.Sprintf("cnf/mode=%d", mode), layer: c, size: clat.Volume(), max: 1e300,
			tol: mixing(1e-8), ljTol: 1e-8, scale: 0.3, invMax: 1})
	}
	glat := lattice.MustNew(4, 4)
	for mu := range 2 {
		g := gaugeLayer(t, glat, mu, 1, 4, 7)
		// Angles: a plaquette with links of magnitude |θ| is known to a few
		// ulp(θ), which the inverse spline amplifies by 1/S′
		// (docs/conventions.md §5.18). (This net's 18 and 27 inputs per
		// unit make parameters of scale 0.7 give splines with S′ ~ 1e-8.)
		add(extremeCase{name: fmt.Sprintf("gauge_coupling/mu=%d", mu), layer: g, size: 2 * glat.Volume(), max: 1e6,
			tol: mixing(1e-11), ljTol: 1e-7, scale: 0.3})
	}
	return cs
}

// extremeBatch returns batch samples of c's inputs at magnitude m (every
// element ±m·(1 − u/2), u uniform in [0, 1)), or, for m = 0, of mixed
// magnitudes (every element a random one of extremeMagnitudes up to c.max,
// random sign).
func extremeBatch(r *rand.Rand, c extremeCase, m float64, batch int) []float64 {
	x := make([]float64, batch*c.size)
	for i := range x {
		if c.inputs != nil {
			x[i] = c.inputs[i%c.size]
			continue
		}
		mi := m
		for mi == 0 {
			if e := extremeMagnitudes[r.IntN(len(extremeMagnitudes))]; e <= c.max {
				mi = e
			}
		}
		x[i] = mi * (1 - r.Float64()/2)
		if r.IntN(2) == 0 {
			x[i] = -x[i]
		}
	}
	return x
}

// allFinite reports whether every value is finite.
func allFinite(v []float64) bool {
	for _, a := range v {
		if math.IsNaN(a) || math.IsInf(a, 0) {
			return false
		}
	}
	return true
}

// TestExtremeInputs runs every layer kind, with random non-trivial
// parameters, in both directions on inputs of every magnitude up to the
// largest it documents (docs/conventions.md §5.18), one magnitude per batch
// and mixed in one sample, and checks: outputs and log-Jacobians finite,
// inverse(forward(x)) = x and forward(inverse(x)) = x to a tolerance
// relative to the magnitude, logJ(forward) + logJ(inverse) = 0, the
// symmetric convertor odd bit for bit, and the VJPs of both directions
// (input and parameter cotangents) finite.
func TestExtremeInputs(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	const batch = 3
	for _, c := range extremeCases(t, r) {
		t.Run(c.name, func(t *testing.T) {
			mags := append([]float64{0}, extremeMagnitudes...)
			if c.inputs != nil {
				mags = []float64{0}
			}
			for _, m := range mags {
				if m > c.max {
					continue
				}
				x := extremeBatch(r, c, m, batch)
				for _, inverse := range []bool{false, true} {
					checkExtreme(t, c, x, batch, inverse, r, m)
				}
			}
		})
	}
}

// checkExtreme checks c.layer from x in one direction (inverse: the inverse
// map first) and back; m is the batch's magnitude, for messages.
func checkExtreme(t *testing.T, c extremeCase, x []float64, batch int, inverse bool, r *rand.Rand, m float64) {
	t.Helper()
	l := c.layer
	y, l1 := pass(l, inverse, nil, x, batch)
	if !allFinite(y) || !allFinite(l1) {
		t.Errorf("m=%g inverse=%v: not finite: x = %g → %g, logJ %g", m, inverse, x, y, l1)
		return
	}
	xr, l2 := pass(l, !inverse, nil, y, batch)
	if !allFinite(xr) || !allFinite(l2) {
		t.Errorf("m=%g inverse=%v: way back not finite: %g → %g, logJ %g", m, inverse, y, xr, l2)
		return
	}
	for b := range batch {
		if c.invMax > 0 && !(m > 0 && m <= c.invMax) {
			break
		}
		s, sy := x[b*c.size:(b+1)*c.size], y[b*c.size:(b+1)*c.size]
		var smax float64
		for i, v := range s {
			smax = max(smax, math.Abs(v), math.Abs(sy[i]))
		}
		for i, v := range s {
			if got := xr[b*c.size+i]; !(math.Abs(got-v) <= c.tol(v, sy[i], smax)) {
				t.Errorf("m=%g inverse=%v: round trip %.17g → %.17g → %.17g", m, inverse, v, y[b*c.size+i], got)
			}
		}
		if !(math.Abs(l1[b]+l2[b]) <= c.ljTol*(1+math.Abs(l1[b]))) {
			t.Errorf("m=%g inverse=%v: logJ %.17g + %.17g ≠ 0", m, inverse, l1[b], l2[b])
		}
	}
	if c.odd {
		neg := make([]float64, len(x))
		for i := range x {
			neg[i] = -x[i]
		}
		yn, ln := pass(l, inverse, nil, neg, batch)
		for i := range y {
			if yn[i] != -y[i] {
				t.Errorf("m=%g inverse=%v: f(%g) = %.17g, f(%g) = %.17g", m, inverse, x[i], y[i], neg[i], yn[i])
			}
		}
		for b := range l1 {
			if ln[b] != l1[b] {
				t.Errorf("m=%g inverse=%v: logJ %.17g at x, %.17g at −x", m, inverse, l1[b], ln[b])
			}
		}
	}
	set, err := nn.NewParamSet(l.Params())
	if err != nil {
		t.Fatal(err)
	}
	grads := nn.NewGrads(set)
	tape := NewTape(grads)
	pass(l, inverse, tape, x, batch)
	din := make([]float64, len(x))
	tape.Backward(randn(r, len(x), 1), randn(r, batch, 1), din)
	if !allFinite(din) {
		t.Errorf("m=%g inverse=%v: input cotangent not finite: %g", m, inverse, din)
	}
	for _, p := range set.Params {
		if g := grads.Of(p); !allFinite(g) {
			t.Errorf("m=%g inverse=%v: cotangent of %s not finite: %g", m, inverse, p.Name, g)
		}
	}
}
