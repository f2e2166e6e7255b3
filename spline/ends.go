package spline

import "math"

// End-relative evaluation (docs/conventions.md §5.2).
//
// Near an end of the knot interval [X_0, X_{K−1}] a point x is best given by
// its distance d from that end, and its image by the distance of S(x) from
// the matching end of [Y_0, Y_{K−1}]: x = X_{K−1} − d has lost all digits of
// d once d is below the rounding of X_{K−1}, and Y_{K−1} − S(x) computed by
// subtraction keeps none of them. ForwardEnd, InverseEnd and ForwardEndVJP
// take and return distances instead, so that a caller who knows d to full
// relative precision (e.g. d = 1 − expit(z) = expit(−z)) keeps it.
//
// Reflection. The RQ bin formula is symmetric under x → −x, y → −y, with the
// knots and the derivatives of the bin swapped: with η = 1 − ξ,
//
//	y − Y_k     = Δy [s ξ² + D_k ξη] / [s + δ ξη] = Δx · ξ · R_lo,    R_lo = s (s ξ + D_k η) / [s + δ ξη],
//	Y_{k+1} − y = Δy [s η² + D_{k+1} ξη] / [s + δ ξη] = Δx · η · R_hi,  R_hi = s (s η + D_{k+1} ξ) / [s + δ ξη],
//
// (the two numerators add up to the denominator), so the distances of y from
// both knots of its bin are sums of non-negative terms once ξ and η are known
// as distances of x from the knots, and neither is formed as a difference
// of nearly equal numbers. Seen from the upper end, d ↦ Y_{K−1} − S(X_{K−1} − d)
// is the RQ spline of the reversed knots (X_{K−1} − X_{K−1−j}, Y_{K−1} − Y_{K−1−j},
// D_{K−1−j}); ForwardEnd evaluates it without forming those knots.
//
// Ratio form. In the end bin the ratios R_lo (bin 0, at the lower end) and
// R_hi (bin K−2, at the upper end) are smooth functions of the distance,
// finite down to d = 0, where they equal the end slopes D_0 and D_{K−1}. The
// image's distance from the end is d·R, so its logarithm log d + log R stays
// finite and exact when d underflows, as long as the caller knows log d.
//
// These functions act on the plain spline on its knots, whatever the
// Symmetric flag says (a symmetric spline's knots span the upper half of its
// box, X_0 = Cx and Y_0 = Cy; the reflection about the centre is the
// caller's).

// Point is a point x of the knot interval and its image S(x) in end-relative
// form, as returned by ForwardEnd and InverseEnd.
type Point struct {
	// XLo = x − X_0 and XHi = X_{K−1} − x: the distances of x from the ends.
	XLo, XHi float64
	// YLo = S(x) − Y_0 and YHi = Y_{K−1} − S(x): the distances of S(x) from
	// the ends, each a sum of non-negative terms.
	YLo, YHi float64
	// Ratio is the distance of S(x) from the chosen end over the distance of
	// x from it (YLo/XLo at the lower end, YHi/XHi at the upper one), computed
	// in ratio form in the end bin: finite and accurate as the distance goes
	// to 0, where it tends to the end slope D_0 or D_{K−1}.
	Ratio float64
	// Deriv is S′(x).
	Deriv float64
}

// ForwardEnd evaluates the spline at the point at distance d from one end of
// its knot interval: x = X_0 + d (upper = false) or x = X_{K−1} − d (upper =
// true), 0 ≤ d ≤ X_{K−1} − X_0 (d is clamped into that range). It returns the
// point and its image in end-relative form (see Point); Ratio refers to the
// chosen end. The result equals Forward(x) up to rounding, but with the
// distances from the ends to full relative precision.
func (s *Spline) ForwardEnd(d float64, upper bool) Point {
	X, Y, D := s.X, s.Y, s.D
	n := len(X) - 1
	if n >= len(Y) || n >= len(D) {
		panic("spline: knot arrays of unequal length")
	}
	k, lo, hi := endBin(X, d, upper)
	b := rqSplit(lo, hi, X[k+1]-X[k], Y[k+1]-Y[k], D[k], D[k+1])
	xlo, xhi := (X[k]-X[0])+lo, (X[n]-X[k+1])+hi
	ylo, yhi := (Y[k]-Y[0])+lo*b.rlo, (Y[n]-Y[k+1])+hi*b.rhi
	return Point{XLo: xlo, XHi: xhi, YLo: ylo, YHi: yhi, Ratio: endRatio(k, n, upper, b, xlo, xhi, ylo, yhi), Deriv: b.deriv}
}

// InverseEnd inverts the spline at the value at distance d from one end of
// its image interval: y = Y_0 + d (upper = false) or y = Y_{K−1} − d (upper =
// true), 0 ≤ d ≤ Y_{K−1} − Y_0 (clamped). It returns x = S⁻¹(y) and y in
// end-relative form (see Point; Ratio refers to the chosen end, so the
// distance of x from it is d/Ratio, exact also where it underflows).
//
// In the bin, ξ and η = 1 − ξ (the distances of x from the bin's knots over
// its width) are both accurate: see rqRoots. The VJP of the inverse is that
// of the forward map at the solution, by the implicit-function theorem (as
// for InverseVJPAt): ForwardEndVJP at the distance of x from the same end.
func (s *Spline) InverseEnd(d float64, upper bool) Point {
	X, Y, D := s.X, s.Y, s.D
	n := len(Y) - 1
	if n >= len(X) || n >= len(D) {
		panic("spline: knot arrays of unequal length")
	}
	k, zlo, zhi := endBin(Y, d, upper)
	w, h := X[k+1]-X[k], Y[k+1]-Y[k]
	sl := h / w
	del := D[k] + D[k+1] - 2*sl
	xi, eta := rqRoots(zlo, zhi, h, sl, D[k], D[k+1], del)
	lo, hi := w*xi, w*eta
	b := rqSplit(lo, hi, w, h, D[k], D[k+1])
	xlo, xhi := (X[k]-X[0])+lo, (X[n]-X[k+1])+hi
	ylo, yhi := (Y[k]-Y[0])+zlo, (Y[n]-Y[k+1])+zhi
	return Point{XLo: xlo, XHi: xhi, YLo: ylo, YHi: yhi, Ratio: endRatio(k, n, upper, b, xlo, xhi, ylo, yhi), Deriv: b.deriv}
}

// endRatio returns the ratio of the chosen end: the bin's ratio form in the
// end bin, the plain quotient (of distances that are not small) elsewhere.
func endRatio(k, n int, upper bool, b split, xlo, xhi, ylo, yhi float64) float64 {
	switch {
	case upper && k == n-1:
		return b.rhi
	case upper:
		return yhi / xhi
	case k == 0:
		return b.rlo
	}
	return ylo / xlo
}

// ForwardEndVJP is the vector-Jacobian product of ForwardEnd. For the scalar
//
//	L = gS · S(x) + gR · log Ratio + gl · log S′(x)
//
// at the point x at distance d from the chosen end (as in ForwardEnd), it
// returns ∂L/∂d and ADDS ∂L/∂X_k, ∂L/∂Y_k (interior knots k = 1 … K−2) and
// ∂L/∂D_k (all k) into gX, gY, gD (any may be nil). The derivatives are taken
// with the end knots X_0, X_{K−1}, Y_0, Y_{K−1} fixed (they are the box's, and
// ParamsVJP ignores them), so at fixed d is at fixed x; their entries are
// left alone.
//
// Every term is finite for 0 ≤ d, including d = 0: in the end bin log Ratio
// is differentiated in its ratio form; elsewhere log Ratio = log(distance of
// S(x)) − log d with both distances bounded away from 0. A caller who has
// log(distance of S(x) from the chosen end) = log d + log Ratio in its
// objective passes that cotangent as gR (and the one of log d separately).
func (s *Spline) ForwardEndVJP(d float64, upper bool, gS, gR, gl float64, gX, gY, gD []float64) (gd float64) {
	X, Y, D := s.X, s.Y, s.D
	n := len(X) - 1
	if n >= len(Y) || n >= len(D) {
		panic("spline: knot arrays of unequal length")
	}
	k, lo, hi := endBin(X, d, upper)
	// How log Ratio is differentiated: in its ratio form in the end bin,
	// elsewhere as log(distance of S from the end) − log d, neither small.
	var mode ratioMode
	var off float64 // the distance of the bin's knot value from the end's
	switch {
	case upper && k == n-1:
		mode = ratioHi
	case upper:
		mode, off = distHi, Y[n]-Y[k+1]
		gd -= gR / d
	case k == 0:
		mode = ratioLo
	default:
		mode, off = distLo, Y[k]-Y[0]
		gd -= gR / d
	}
	g := rqSplitVJP(lo, hi, X[k+1]-X[k], Y[k+1]-Y[k], D[k], D[k+1], gS, gR, gl, mode, off)
	if upper {
		gd += g.hi - g.lo
	} else {
		gd += g.lo - g.hi
	}
	// x − X_k = lo, X_{k+1} − x = hi, X_{k+1} − X_k = w, Y_{k+1} − Y_k = h,
	// S = Y_k + (in-bin part): the end knots (0 and n) are skipped.
	if gX != nil {
		if k > 0 {
			gX[k] += -g.lo - g.w
		}
		if k+1 < n {
			gX[k+1] += g.hi + g.w
		}
	}
	if gY != nil {
		if k > 0 {
			gY[k] += g.s - g.h
		}
		if k+1 < n {
			gY[k+1] += g.h
		}
	}
	if gD != nil {
		gD[k] += g.da
		gD[k+1] += g.db
	}
	return gd
}

// endBin returns the bin k of the point at distance d from the lower
// (upper = false) or upper end of the knots a, and the distances lo = x − a_k,
// hi = a_{k+1} − x of the point from the bin's knots, each formed as one
// difference of d and a distance between knots (never from x itself); the
// one from the chosen end's knot in the end bin is d itself. d is clamped
// into [0, a_{K−1} − a_0]. The bin is found from the rounded position x (as
// bin does); at a knot, where that may pick the neighbouring bin, the
// distance that rounding made negative is clamped to 0.
func endBin(a []float64, d float64, upper bool) (k int, lo, hi float64) {
	n := len(a) - 1
	if d < 0 {
		d = 0
	} else if l := a[n] - a[0]; d > l {
		d = l
	}
	if upper {
		k = bin(a, a[n]-d)
		return k, nonNeg((a[n] - a[k]) - d), nonNeg(d - (a[n] - a[k+1]))
	}
	k = bin(a, a[0]+d)
	return k, nonNeg(d - (a[k] - a[0])), nonNeg((a[k+1] - a[0]) - d)
}

// nonNeg returns max(v, 0) for the rounding of a distance (NaN stays NaN).
func nonNeg(v float64) float64 {
	if v < 0 {
		return 0
	}
	return v
}

// split is one bin evaluated at a point given by its distances from the
// bin's knots (rqSplit).
type split struct {
	rlo, rhi float64 // (y − Y_k)/(x − X_k) and (Y_{k+1} − y)/(X_{k+1} − x)
	deriv    float64 // dy/dx
}

// rqSplit evaluates the bin of width w, height h and end slopes da, db at the
// point at distances lo = x − X_k and hi = X_{k+1} − x from its knots
// (lo + hi = w up to rounding): with ξ = lo/w, η = hi/w, s = h/w,
// Q = s + (da + db − 2s) ξη,
//
//	R_lo = s (s ξ + da η)/Q,   R_hi = s (s η + db ξ)/Q,
//	dy/dx = s² (db ξ² + 2s ξη + da η²)/Q²,
//
// so that y − Y_k = lo·R_lo and Y_{k+1} − y = hi·R_hi (see the comment at the
// top of this file).
func rqSplit(lo, hi, w, h, da, db float64) split {
	iw := 1 / w
	s := h * iw
	xi, eta := lo*iw, hi*iw
	t := xi * eta
	iq := 1 / (s + (da+db-2*s)*t)
	return split{
		rlo:   s * (s*xi + da*eta) * iq,
		rhi:   s * (s*eta + db*xi) * iq,
		deriv: s * s * (db*xi*xi + 2*s*t + da*eta*eta) * iq * iq,
	}
}

// splitGrad holds the cotangents of the inputs of rqSplitVJP, and s the
// cotangent of y itself (gS and what the ratio term added to it).
type splitGrad struct {
	lo, hi, w, h, da, db, s float64
}

// ratioMode says how rqSplitVJP takes the ratio term gR·log R.
type ratioMode int

const (
	ratioLo ratioMode = iota // R = R_lo, in its ratio form (bin 0, lower end)
	ratioHi                  // R = R_hi, in its ratio form (bin K−2, upper end)
	distLo                   // at fixed d, log R = log(off + (y − Y_k)) + const
	distHi                   // at fixed d, log R = log(off + (Y_{k+1} − y)) + const
)

// rqSplitVJP is the reverse-mode derivative, with respect to lo, hi, w, h,
// da, db (taken as independent) and y, of
//
//	L = gS · (y − Y_k) + gR · log R + gl · log dy/dx
//
// in the notation of rqSplit, with y − Y_k = h (s ξ² + da ξη)/Q, and R as
// mode says (the distance forms leave the cotangent of d to the caller). The
// adjoint program walks the forward computation backwards:
//
//	ξ = lo/w, η = hi/w, s = h/w, t = ξη, δ = da + db − 2s, Q = s + δt,
//	P = s ξ² + da t, N = db ξ² + 2s t + da η²,
//	y − Y_k = h P/Q,  Y_{k+1} − y = h (s η² + db t)/Q,
//	log dy/dx = 2 log s + log N − 2 log Q,
//	log R_lo = log s + log(s ξ + da η) − log Q,  log R_hi = log s + log(s η + db ξ) − log Q.
func rqSplitVJP(lo, hi, w, h, da, db, gS, gR, gl float64, mode ratioMode, off float64) splitGrad {
	iw := 1 / w
	s := h * iw
	xi, eta := lo*iw, hi*iw
	t := xi * eta
	del := da + db - 2*s
	iq := 1 / (s + del*t)
	p := s*xi*xi + da*t
	nn := db*xi*xi + 2*s*t + da*eta*eta

	var g splitGrad
	var gxi, geta, gt float64
	gs := 2 * gl // ·1/s below
	switch mode {
	case distLo:
		gS += gR / (off + h*p*iq)
	case distHi:
		gS -= gR / (off + h*(s*eta*eta+db*t)*iq)
	case ratioLo:
		gm := gR / (s*xi + da*eta)
		gs += gR + gm*xi*s
		gxi += gm * s
		g.da += gm * eta
		geta += gm * da
	case ratioHi:
		gm := gR / (s*eta + db*xi)
		gs += gR + gm*eta*s
		geta += gm * s
		g.db += gm * xi
		gxi += gm * db
	}
	gs /= s // 2 gl/s from log dy/dx, gR/s + gm ξ (or gm η) from log R
	g.s = gS
	g.h = gS * p * iq
	gp := gS * h * iq
	gq := -(gS*h*p*iq + 2*gl) * iq
	if mode == ratioLo || mode == ratioHi {
		gq -= gR * iq
	}
	gn := gl / nn
	// P = s ξ² + da t
	gs += gp * xi * xi
	gxi += 2 * gp * s * xi
	g.da += gp * t
	gt += gp * da
	// N = db ξ² + 2s t + da η²
	g.db += gn * xi * xi
	gxi += 2 * gn * db * xi
	gs += 2 * gn * t
	gt += 2 * gn * s
	g.da += gn * eta * eta
	geta += 2 * gn * da * eta
	// Q = s + δ t, δ = da + db − 2s
	gdel := gq * t
	gt += gq * del
	gs += gq - 2*gdel
	g.da += gdel
	g.db += gdel
	// t = ξη
	gxi += gt * eta
	geta += gt * xi
	// ξ = lo/w, η = hi/w, s = h/w
	g.lo = gxi * iw
	g.hi = geta * iw
	g.h += gs * iw
	g.w = -(gxi*xi + geta*eta + gs*s) * iw
	return g
}

// rqRoots returns ξ = (x − X_k)/Δx and η = (X_{k+1} − x)/Δx of the point x
// whose value y is at distances zlo = y − Y_k and zhi = Y_{k+1} − y from the
// bin's knot values (da = D_k, db = D_{k+1}, the other arguments as for
// rqRoot). The quadratic is solved from the knot nearer in y; a root r ≤ ½
// gives the other as 1 − r without loss, otherwise the quadratic is solved
// from the other knot as well. (Solving for the far root directly is not
// enough: near a knot with a small slope the discriminant seen from the
// other end is a difference of nearly equal numbers.)
func rqRoots(zlo, zhi, h, s, da, db, del float64) (xi, eta float64) {
	if zlo <= zhi {
		xi = rqRoot(zlo, h, s, da, del)
		if xi <= 0.5 {
			return xi, 1 - xi
		}
		if eta = rqRoot(zhi, h, s, db, del); eta <= 0.5 {
			return 1 - eta, eta
		}
		return xi, 1 - xi
	}
	eta = rqRoot(zhi, h, s, db, del)
	if eta <= 0.5 {
		return 1 - eta, eta
	}
	if xi = rqRoot(zlo, h, s, da, del); xi <= 0.5 {
		return xi, 1 - xi
	}
	return 1 - eta, eta
}

// rqRoot returns the root r ∈ [0, 1] of the bin quadratic seen from one of
// its knots: the fraction of the bin's width between that knot and the point
// whose value is at distance z from the knot's value, for a bin of height h,
// slope s = h/w, δ = D_k + D_{k+1} − 2s and dn the slope at that knot. From
// the lower knot (dn = D_k, z = y − Y_k, r = ξ) the bin equation
// z = h (s r² + dn r(1−r)) / (s + δ r(1−r)) is
//
//	A r² + B r + C = 0,   A = h (s − dn) + z δ,   B = h dn − z δ,   C = −s z,
//
// and by the reflection symmetry the same holds from the upper knot with
// dn = D_{k+1}, z = Y_{k+1} − y, r = η. The root is taken in whichever of
// its two algebraically equal forms does not cancel:
//
//	r = 2 s z / (B + √(B² + 4A s z))   for B ≥ 0,
//	r = (√(B² + 4A s z) − B) / (2A)    for B < 0 (then A = h s − B > 0).
func rqRoot(z, h, s, dn, del float64) float64 {
	a := h*(s-dn) + z*del
	b := h*dn - z*del
	sq := math.Sqrt(max(b*b+4*a*s*z, 0))
	var r float64
	if b >= 0 {
		r = 2 * s * z / (b + sq)
	} else {
		r = (sq - b) / (2 * a)
	}
	return min(max(r, 0), 1)
}
