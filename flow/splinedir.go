package flow

import "github.com/normflow/normflow-go/spline"

// The spline layers (RQSCoupling, DistConvertor, GaugeCoupling) run S in
// their forward pass and S⁻¹ in their inverse one; these two functions are
// the only place where the direction matters.

// splineMap returns w = S(u), d = S′(u) and the point x = u on S's domain
// (inverse = false), or w = S⁻¹(u), d = (S⁻¹)′(u) and x = w (inverse = true).
// x is where splineVJP evaluates the VJP.
func splineMap(sp *spline.Spline, u float64, inverse bool) (w, d, x float64) {
	if inverse {
		w, d = sp.Inverse(u)
		return w, d, w
	}
	w, d = sp.Forward(u)
	return w, d, u
}

// splineVJP is the VJP of splineMap at the domain point x it returned: for the
// cotangents gw of w and gl of log d it adds the knot cotangents into gX, gY,
// gD and returns the cotangent of u. The inverse uses x = S⁻¹(u) from the
// pass, so it needs no second quadratic solve.
func splineVJP(sp *spline.Spline, x, gw, gl float64, inverse bool, gX, gY, gD []float64) float64 {
	if inverse {
		return sp.InverseVJPAt(x, gw, gl, gX, gY, gD)
	}
	return sp.ForwardVJP(x, gw, gl, gX, gY, gD)
}
