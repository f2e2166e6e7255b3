package spline

import "math"

// This file holds the single-bin kernels. All take the bin's end knots
// (xa, ya, da) = (X_k, Y_k, D_k) and (xb, yb, db) = (X_{k+1}, Y_{k+1}, D_{k+1})
// and use the notation
//
//	Δx = xb − xa,  Δy = yb − ya,  s = Δy/Δx,
//	ξ  = (x − xa)/Δx,  t = ξ(1−ξ),  δ = da + db − 2s,
//	P(ξ) = s ξ² + da t,   Q(ξ) = s + δ t,
//	y  = ya + Δy P/Q.
//
// Derivative. With P′ = 2sξ + da(1−2ξ) and Q′ = δ(1−2ξ) one finds, after
// expanding, P′Q − PQ′ = s [db ξ² + 2s t + da (1−ξ)²], hence (dξ/dx = 1/Δx)
//
//	dy/dx = (Δy/Δx)(P′Q − PQ′)/Q² = s² [db ξ² + 2s ξ(1−ξ) + da (1−ξ)²] / Q²,
//
// which is eq. (5) of Durkan et al. It equals da at ξ = 0 and db at ξ = 1,
// and is positive for s, da, db > 0 (numerator and Q are then positive).
// Write N = db ξ² + 2s t + da (1−ξ)², so the log-derivative is
//
//	l = log(dy/dx) = 2 log s + log N − 2 log Q.
//
// Inverse. Multiplying y − ya = Δy P/Q out with z = y − ya gives the
// quadratic a ξ² + b ξ + c = 0 with
//
//	a = Δy (s − da) + z δ,   b = Δy da − z δ,   c = −s z,
//
// whose root in [0,1] is taken in the form
//
//	ξ = 2c / (−b − √(b² − 4ac))
//
// (Durkan et al., eqs. 6–8; the discriminant is ≥ 0 for z ∈ [0, Δy]). This
// form is cancellation-free for b ≥ 0; see rqInverse for how b < 0 is
// avoided.

// rqForward returns y and dy/dx inside one bin.
func rqForward(x, xa, xb, ya, yb, da, db float64) (y, dydx float64) {
	iw := 1 / (xb - xa)
	h := yb - ya
	s := h * iw
	xi := (x - xa) * iw
	om := 1 - xi
	t := xi * om
	iq := 1 / (s + (da+db-2*s)*t)
	y = ya + h*(s*xi*xi+da*t)*iq
	dydx = s * s * (db*xi*xi + 2*s*t + da*om*om) * iq * iq
	return y, dydx
}

// rqInverse returns x = f⁻¹(y) and dx/dy inside one bin.
//
// The root formula ξ = 2c/(−b − √(b²−4ac)) is free of cancellation only for
// b ≥ 0 (for b < 0 its denominator is a small difference of nearly equal
// numbers, which costs many digits when ξ is close to 1). We therefore use
// the mirror symmetry of the RQ bin: with η = 1 − ξ and z′ = yb − y,
//
//	yb − y = Δy [s η² + db η(1−η)] / [s + δ η(1−η)],
//
// so η solves the same quadratic with da → db, z → z′. Since
// b = Δy da − z δ and b′ = Δy db − z′ δ cannot both be negative (that would
// need da + db < δ, i.e. s < 0), the end nearest to y is used unless its b
// is negative, in which case the other end is. Note a = Δy s − b.
func rqInverse(y, xa, xb, ya, yb, da, db float64) (x, dxdy float64) {
	w := xb - xa
	h := yb - ya
	s := h / w
	del := da + db - 2*s
	zlo, zhi := y-ya, yb-y
	blo, bhi := h*da-zlo*del, h*db-zhi*del
	top := (zhi < zlo && bhi >= 0) || blo < 0
	z, b := zlo, blo
	if top {
		z, b = zhi, bhi
	}
	a := h*s - b
	c := -s * z
	r := 2 * c / (-b - math.Sqrt(max(b*b-4*a*c, 0)))
	r = min(max(r, 0), 1) // guard against round-off outside the bin
	var xi, om float64
	if top {
		xi, om = 1-r, r
		x = xb - r*w
	} else {
		xi, om = r, 1-r
		x = xa + r*w
	}
	t := xi * om
	q := s + del*t
	dxdy = q * q / (s * s * (db*xi*xi + 2*s*t + da*om*om))
	return x, dxdy
}

// rqDlogDx returns ∂l/∂x, l = log(dy/dx), inside one bin:
//
//	∂l/∂x = (1/Δx) [N′/N − 2Q′/Q],
//	N′ = 2 db ξ + 2s(1−2ξ) − 2 da(1−ξ),   Q′ = δ(1−2ξ).
func rqDlogDx(x, xa, xb, ya, yb, da, db float64) float64 {
	iw := 1 / (xb - xa)
	s := (yb - ya) * iw
	xi := (x - xa) * iw
	om := 1 - xi
	t := xi * om
	del := da + db - 2*s
	n := db*xi*xi + 2*s*t + da*om*om
	q := s + del*t
	dn := 2 * (db*xi + s*(1-2*xi) - da*om)
	dq := del * (1 - 2*xi)
	return iw * (dn/n - 2*dq/q)
}

// rqVJP is the reverse-mode derivative of (y, l = log dy/dx) inside one bin:
// given the cotangents gy of y and gl of l it returns
//
//	g_u = gy ∂y/∂u + gl ∂l/∂u   for u ∈ {x, xa, xb, ya, yb, da, db}.
//
// The adjoint program below walks the forward computation backwards:
//
//	y = ya + Δy P/Q,                      l = 2 log s + log N − 2 log Q,
//	P = s ξ² + da t,   Q = s + δ t,       N = db ξ² + 2s t + da (1−ξ)²,
//	t = ξ(1−ξ),        ξ = (x − xa)/Δx,   s = Δy/Δx.
func rqVJP(x, xa, xb, ya, yb, da, db, gy, gl float64) (gx, gxa, gxb, gya, gyb, gda, gdb float64) {
	iw := 1 / (xb - xa)
	h := yb - ya
	s := h * iw
	xi := (x - xa) * iw
	om := 1 - xi
	t := xi * om
	del := da + db - 2*s
	p := s*xi*xi + da*t
	iq := 1 / (s + del*t)
	n := db*xi*xi + 2*s*t + da*om*om

	// Cotangents of the intermediate quantities.
	gp := gy * h * iq                       // ∂/∂P of Δy P/Q
	gh := gy * p * iq                       // ∂/∂Δy of Δy P/Q (explicit)
	gq := -(gy*h*p*iq + 2*gl) * iq          // −Δy P/Q² and −2/Q
	gn := gl / n                            // ∂/∂N of log N
	gs := 2 * gl / s                        // ∂/∂s of 2 log s
	gt := 2*s*gn + del*gq + da*gp           // t enters N, Q, P
	gs += 2*t*gn + (1-2*t)*gq + xi*xi*gp    // s enters N, Q (via δ), P
	gda = om*om*gn + t*gq + t*gp            // da enters N, Q (via δ), P
	gdb = xi*xi*gn + t*gq                   // db enters N, Q (via δ)
	gxi := 2*(db*xi-da*om)*gn + 2*s*xi*gp + // ξ enters N, P explicitly …
		(1-2*xi)*gt //                         … and through t
	gx = gxi * iw                // ξ = (x − xa)/Δx
	gwid := -gxi*xi*iw - gs*s*iw // Δx enters ξ and s = Δy/Δx
	gh += gs * iw
	gxa = -gx - gwid
	gxb = gwid
	gya = gy - gh
	gyb = gh
	return gx, gxa, gxb, gya, gyb, gda, gdb
}
