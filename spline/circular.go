package spline

import (
	"fmt"
	"math"
)

// Circular is a rational-quadratic spline that is a diffeomorphism of the
// circle (Rezende et al., "Normalizing flows on tori and spheres",
// arXiv:2002.02428; Durkan et al.'s RQ spline): K ≥ 2 knots on
// [0, 2π] × [0, 2π] including both end points, so S(0) = 0 and S(2π) = 2π,
// and the derivatives at the two ends tied, D_{K−1} = D_0. Extended by
// S(u + 2π) = S(u) + 2π it is a C¹, strictly increasing lift of a circle map,
// and S(u) − u is 2π-periodic.
//
// Parameters (unconstrained, all-zero = identity): w (K−1 widths) and h
// (K−1 heights), normalised by a softmax to the period 2π, and v (K−1
// derivatives D_0 … D_{K−2}, D = softplus_β(v) with β = ln 2). The forward
// map, inverse, derivatives and VJPs are those of the embedded Spline on
// [0, 2π] (its linear tails only matter for round-off just outside); only
// SetParams and ParamsVJP differ, by the tied end derivative.
type Circular struct {
	*Spline
	v  []float64 // the K derivative parameters given to the Spline (v_{K−1} = v_0)
	gv []float64 // scratch: cotangents of those K parameters
}

// NewCircular allocates a circular spline with k ≥ 2 knots (k−1 bins), set
// to the identity.
func NewCircular(k int) *Circular {
	if k < 2 {
		panic(fmt.Sprintf("spline: circular spline needs at least 2 knots, got %d", k))
	}
	c := &Circular{Spline: New(k), v: make([]float64, k), gv: make([]float64, k)}
	z := make([]float64, k-1)
	c.SetParams(z, z, z)
	return c
}

// SetParams computes the knots from w, h and v, each of length K−1.
func (c *Circular) SetParams(w, h, v []float64) {
	k := c.K()
	if len(v) != k-1 {
		panic(fmt.Sprintf("spline: circular SetParams with K=%d needs len(v)=%d; got %d", k, k-1, len(v)))
	}
	copy(c.v, v)
	c.v[k-1] = v[0]
	c.Spline.SetParams(w, h, c.v, 0, 2*math.Pi, 0, 2*math.Pi, false)
}

// ParamsVJP maps knot cotangents gX, gY, gD (length K) to the cotangents of
// the parameters of the last SetParams call, ADDING them into gw, gh, gv
// (length K−1 each): as Spline.ParamsVJP, with the cotangent of the tied
// end derivative D_{K−1} = D_0 added to v_0's.
func (c *Circular) ParamsVJP(gX, gY, gD []float64, gw, gh, gv []float64) {
	k := c.K()
	if gv != nil && len(gv) != k-1 {
		panic(fmt.Sprintf("spline: circular ParamsVJP: len(gv)=%d, want %d", len(gv), k-1))
	}
	var full []float64
	if gv != nil {
		full = c.gv
		clear(full)
	}
	c.Spline.ParamsVJP(gX, gY, gD, gw, gh, full)
	if gv != nil {
		for i := range gv {
			gv[i] += full[i]
		}
		gv[0] += full[k-1]
	}
}

// StateSize is the length of the slice Save writes: the knots and what
// ParamsVJP needs (6K values).
func (c *Circular) StateSize() int { return 6 * c.K() }

// Save writes the spline's current knots and cached parameter derivatives
// into dst (length StateSize), so that Load can restore them without
// recomputing the softmax and softplus of SetParams (a coupling layer saves
// them in its forward pass for its VJP).
func (c *Circular) Save(dst []float64) {
	k := c.K()
	if len(dst) != 6*k {
		panic(fmt.Sprintf("spline: circular Save into %d values, want %d", len(dst), 6*k))
	}
	s := c.Spline
	copy(dst, s.X)
	copy(dst[k:], s.Y)
	copy(dst[2*k:], s.D)
	copy(dst[3*k:], s.sv)
	copy(dst[4*k:], s.pw)
	copy(dst[5*k-1:], s.ph)
	dst[6*k-2], dst[6*k-1] = s.lx, s.ly
}

// Load restores a state written by Save (of a circular spline with as many
// knots): afterwards the spline behaves exactly as after the SetParams call
// whose state was saved.
func (c *Circular) Load(src []float64) {
	k := c.K()
	if len(src) != 6*k {
		panic(fmt.Sprintf("spline: circular Load from %d values, want %d", len(src), 6*k))
	}
	s := c.Spline
	copy(s.X, src[:k])
	copy(s.Y, src[k:2*k])
	copy(s.D, src[2*k:3*k])
	copy(s.sv, src[3*k:4*k])
	copy(s.pw, src[4*k:5*k-1])
	copy(s.ph, src[5*k-1:6*k-2])
	s.lx, s.ly = src[6*k-2], src[6*k-1]
	s.Symmetric, s.Cx, s.Cy = false, math.Pi, math.Pi
}
