package sun

import (
	"fmt"
	"math"
	"math/cmplx"
	"slices"

	"github.com/normflow/normflow-go/spline"
)

// Spectral is the conjugation-equivariant spectral map of SU(N), N = 2, 3
// (Boyda et al., arXiv:2008.05456; docs/sun.md §9):
//
//	U = V diag(e^{iθ}) V†  ↦  U′ = V diag(e^{iθ′}) V†,   θ′ = cell⁻¹(h(cell(θ))),
//
// θ the eigen-angles in the canonical cell, cell the map of CellToSquare
// and h a map of the unit square onto itself built from rational-quadratic
// splines (package spline) on [0, 1] × [0, 1], so h fixes the square's edges:
//
//	SU(2):  u′ = h(u),                  one spline, parameters P;
//	SU(3):  u′_1 = h_1(u_1),            spline with parameters P_1,
//	        u′_2 = h_2(u_2; u_1),       spline with parameters p_2(u_1) = Σ_{k=1}^{M} φ_k(u_1) C_k,
//	        φ_k(u_1) = sin((2k−1)π u_1/2).
//
// Every φ_k vanishes at u_1 = 0, so h_2 is the identity at the identity
// corner. A spline's parameters are its K−1 widths, K−1 heights and K
// derivative parameters (spline.SetParams), stored in that order as one
// block of 3K−2 values. The parameter vector (NumParams values) is P for
// SU(2) and P_1, C_1, …, C_M for SU(3); all zeros give the identity map.
//
// Log-Jacobian with respect to Haar measure (Weyl factor Δ, WeylFactor):
//
//	logJ = log|det ∂θ′/∂θ| + log Δ(θ′) − log Δ(θ)      (θ restricted to θ_1 … θ_{N−1})
//	     = log h′(u) + 2 log(sin πu′/sin πu)                                          (SU(2)),
//	     = log h_1′ + log ∂_{u_2}h_2 + log(u′_1/u_1) + 2 Σ_{e=a,b,c} log(sin(e′/2)/sin(e/2))    (SU(3)),
//
// with the gaps a, b, c of the cell (see cell.go). It is evaluated through
// ratios such as u′/u so that it stays finite at degenerate eigenvalues,
// where the factors vanish.
//
// A Spectral holds scratch space (its splines and work arrays) and is not
// safe for concurrent use; make one per goroutine. Its methods do not
// allocate.
type Spectral struct {
	n, k, m int
	s1, s2  *spline.Spline
	// Scratch for the SU(3) conditional spline and for the VJPs.
	p2, gp2            []float64 // p_2(u_1) and its cotangent (3K−2)
	phi, dphi          []float64 // φ_k(u_1), φ_k′(u_1) (M)
	gX1, gY1, gD1      []float64 // knot cotangents of h (h_1) (K)
	gX2, gY2, gD2      []float64 // knot cotangents of h_2 (K)
	last1              []float64 // the parameters of h_1's knots (3K−2)
	have1              bool
	v                  [9]complex128
	th, thp, gth, gthp [3]float64
	h                  [9]complex128
}

// NewSpectral returns the spectral map of SU(n), n = 2 or 3, with splines
// of knots ≥ 2 knots and, for SU(3), features ≥ 0 terms φ_k in the
// parameters of h_2 (features must be 0 for SU(2); for SU(3) 0 makes h_2
// the identity).
func NewSpectral(n, knots, features int) *Spectral {
	if n != 2 && n != 3 {
		panic("sun: NewSpectral: only N = 2 and N = 3 are implemented")
	}
	if knots < 2 {
		panic("sun: NewSpectral: need at least 2 knots")
	}
	if features < 0 || (n == 2 && features != 0) {
		panic("sun: NewSpectral: features must be 0 for SU(2) and ≥ 0 for SU(3)")
	}
	b := 3*knots - 2
	s := &Spectral{n: n, k: knots, m: features, s1: spline.New(knots), s2: spline.New(knots)}
	buf := make([]float64, 3*b+2*features+6*knots)
	take := func(l int) []float64 {
		r := buf[:l:l]
		buf = buf[l:]
		return r
	}
	s.p2, s.gp2, s.last1 = take(b), take(b), take(b)
	s.phi, s.dphi = take(features), take(features)
	s.gX1, s.gY1, s.gD1 = take(knots), take(knots), take(knots)
	s.gX2, s.gY2, s.gD2 = take(knots), take(knots), take(knots)
	return s
}

// N returns the group's N.
func (s *Spectral) N() int { return s.n }

// Knots returns the number of knots K of each spline.
func (s *Spectral) Knots() int { return s.k }

// Features returns M, the number of terms φ_k in h_2's parameters (SU(3)).
func (s *Spectral) Features() int { return s.m }

// NumParams returns the length of the parameter vector: 3K−2 for SU(2),
// (M+1)(3K−2) for SU(3).
func (s *Spectral) NumParams() int { return (s.m + 1) * (3*s.k - 2) }

func (s *Spectral) check(params []float64, name string) {
	if len(params) != s.NumParams() {
		panic(fmt.Sprintf("sun: Spectral.%s: %d parameters, want %d", name, len(params), s.NumParams()))
	}
}

func (s *Spectral) checkAngles(name string, ts ...[]float64) {
	for _, t := range ts {
		if len(t) != s.n {
			panic(fmt.Sprintf("sun: Spectral.%s: angles must have length N = %d", name, s.n))
		}
	}
}

// block returns the (w, h, v) parameters of the j-th spline block.
func (s *Spectral) block(p []float64, j int) (w, h, v []float64) {
	k := s.k
	b := p[j*(3*k-2) : (j+1)*(3*k-2)]
	return b[:k-1], b[k-1 : 2*k-2], b[2*k-2:]
}

// setH1 sets the knots of h (SU(2)) or h_1 (SU(3)) from params, unless
// they are those of the last call (a layer applies the same parameters to
// many matrices; the knots cost ~3K transcendental functions).
func (s *Spectral) setH1(params []float64) {
	w, h, v := s.block(params, 0)
	b := params[:len(s.last1)]
	if s.have1 && slices.Equal(b, s.last1) {
		return
	}
	s.s1.SetParams(w, h, v, 0, 1, 0, 1, false)
	copy(s.last1, b)
	s.have1 = true
}

// setH2 sets the features φ_k(u_1), φ_k′(u_1) and the knots of h_2 from
// p_2 = Σ_k φ_k(u_1) C_k (with M = 0, h_2 stays the identity of New).
func (s *Spectral) setH2(params []float64, u1 float64) {
	if s.m == 0 {
		return
	}
	clear(s.p2)
	b := len(s.p2)
	for k := range s.m {
		f := float64(2*k+1) * math.Pi / 2
		sn, cs := math.Sincos(f * u1)
		s.phi[k], s.dphi[k] = sn, f*cs
		for i, c := range params[(k+1)*b : (k+2)*b] {
			s.p2[i] += sn * c
		}
	}
	w, h, v := s.block(s.p2, 0)
	s.s2.SetParams(w, h, v, 0, 1, 0, 1, false)
}

// point is one evaluation of the square map h: the coordinates before (u)
// and after (up) with their complements (v = 1 − u, vp = 1 − up, each
// accurate relative to itself) and the slopes d1 = h_1′(u_1),
// d2 = ∂_{u_2}h_2 (SU(2): u1, v1, u1p, v1p, d1 only). Computing it leaves
// the splines set up for this point (h_2 at this u_1).
type point struct {
	u1, v1, u2, v2     float64
	u1p, v1p, u2p, v2p float64
	d1, d2             float64
}

// side is one end of the square map h: a point (u_1, u_2) with its
// complements (v = 1 − u).
type side struct{ u1, v1, u2, v2 float64 }

// sides returns the ends of p in the direction of a pass: the given point
// and its image, (u, u′) forward and (u′, u) inverse.
func (p *point) sides(inverse bool) (in, out side) {
	u, up := side{p.u1, p.v1, p.u2, p.v2}, side{p.u1p, p.v1p, p.u2p, p.v2p}
	if inverse {
		return up, u
	}
	return u, up
}

// eval evaluates h at the canonical angles theta (θ; inverse: h⁻¹ at θ′).
// h_2's parameters depend on u_1, the point before the map: the given one
// forward, the image inverse.
func (s *Spectral) eval(theta, params []float64, inverse bool) (p point) {
	s.setH1(params)
	var in, out side
	if s.n == 2 {
		in.u1, in.v1 = su2Square(theta)
	} else {
		in.u1, in.v1, in.u2, in.v2 = su3Square(theta)
	}
	out.u1, out.v1, p.d1 = unitMap(s.s1, in.u1, in.v1, inverse)
	if s.n == 3 {
		u1 := in.u1
		if inverse {
			u1 = out.u1
		}
		s.setH2(params, u1)
		out.u2, out.v2, p.d2 = unitMap(s.s2, in.u2, in.v2, inverse)
	}
	u, up := in, out
	if inverse {
		u, up = out, in
	}
	p.u1, p.v1, p.u2, p.v2 = u.u1, u.v1, u.u2, u.v2
	p.u1p, p.v1p, p.u2p, p.v2p = up.u1, up.v1, up.u2, up.v2
	return p
}

// unitMap applies a spline f of [0, 1] onto itself (inverse: f⁻¹) to a,
// given also ab = 1 − a, and returns the image b, bb = 1 − b (accurate
// relative to itself) and the slope f′ at the point (splineComplement,
// splineInverse).
func unitMap(sp *spline.Spline, a, ab float64, inverse bool) (b, bb, d float64) {
	if inverse {
		return splineInverse(sp, a, ab)
	}
	b, d = sp.Forward(a)
	return b, splineComplement(sp, a, ab), d
}

// logJ returns the log-Jacobian of the forward map at p and the gap ratios
// (see angles).
func (s *Spectral) logJ(p *point) (float64, [3]float64) {
	if s.n == 2 {
		return su2LogJ(p)
	}
	return su3LogJ(p)
}

// Angles maps the canonical angles theta (length N) to out = θ′ (canonical
// too; out may alias theta) and returns the log-Jacobian with respect to
// Haar measure.
func (s *Spectral) Angles(out, theta, params []float64) (logJ float64) {
	s.check(params, "Angles")
	s.checkAngles("Angles", out, theta)
	logJ, _ = s.angles(out, theta, params, false)
	return logJ
}

// InverseAngles maps θ′ (thetaOut, canonical) back to theta = θ (theta may
// alias thetaOut) and returns the log-Jacobian of the inverse map,
// −logJ(θ).
func (s *Spectral) InverseAngles(theta, thetaOut, params []float64) (logJ float64) {
	s.check(params, "InverseAngles")
	s.checkAngles("InverseAngles", theta, thetaOut)
	logJ, _ = s.angles(theta, thetaOut, params, true)
	return logJ
}

// angles is Angles (inverse: InverseAngles) from in to out; it also returns
// the forward map's ratios of the eigenvalue gaps
// sin((θ′_j − θ′_i)/2)/sin((θ_j − θ_i)/2) of the pairs (1, 2), (2, 3),
// (1, 3) (SU(2): the first only).
func (s *Spectral) angles(out, in, params []float64, inverse bool) (logJ float64, r [3]float64) {
	p := s.eval(in, params, inverse)
	s.fromPoint(out, &p, inverse)
	logJ, r = s.logJ(&p)
	if inverse {
		logJ = -logJ
	}
	return logJ, r
}

// fromPoint writes the angles of the image (θ′; before, θ) of the point p.
func (s *Spectral) fromPoint(theta []float64, p *point, before bool) {
	u1, u2, v2 := p.u1p, p.u2p, p.v2p
	if before {
		u1, u2, v2 = p.u1, p.u2, p.v2
	}
	if s.n == 2 {
		su2SquareToCell(theta, u1)
	} else {
		su3FromSquare(theta, u1, u2, v2)
	}
}

// splineComplement returns 1 − f(x) for a spline f of [0, 1] onto itself
// (not symmetric), given x and xb = 1 − x, accurate relative to itself as
// x → 1, where 1 − f(x) computed as such would cancel. In bin k, with
// ξ = (x − X_k)/Δx and η = 1 − ξ = (X_{k+1} − x)/Δx (xb/Δx in the last bin),
//
//	Y_{k+1} − f(x) = Δy η [s η + D_{k+1} ξ] / [s + δ ξη]
//
// (the numerator is Q − P of the bin formula, spline.rq.go), and
// 1 − f(x) = (1 − Y_{k+1}) + (Y_{k+1} − f(x)), a sum of non-negative terms.
func splineComplement(sp *spline.Spline, x, xb float64) float64 {
	X, Y, D := sp.X, sp.Y, sp.D
	n := len(X) - 1
	if n >= len(Y) || n >= len(D) {
		panic("sun: spline knot arrays of unequal length")
	}
	k := 0
	for _, xi := range X[1:n] {
		if xi <= x {
			k++
		}
	}
	w := X[k+1] - X[k]
	h := Y[k+1] - Y[k]
	sl := h / w
	eta := (X[k+1] - x) / w
	if k == n-1 {
		eta = xb / w
	}
	eta = min(max(eta, 0), 1)
	xi := 1 - eta
	q := sl + (D[k]+D[k+1]-2*sl)*xi*eta
	top := h * eta * (sl*eta + D[k+1]*xi) / q
	if k == n-1 {
		return top
	}
	return (1 - Y[k+1]) + top
}

// splineInverse returns x = f⁻¹(y), xb = 1 − x and the slope f′(x), given
// y and yb = 1 − y (f as for splineComplement). Where x > ½, xb is refined
// by two Newton steps on splineComplement(1 − xb) = yb, so that it keeps
// its relative accuracy as y → 1.
func splineInverse(sp *spline.Spline, y, yb float64) (x, xb, d float64) {
	x, dxdy := sp.Inverse(y)
	x = clamp01(x)
	if x <= 0.5 {
		return x, 1 - x, 1 / dxdy
	}
	xb = 1 - x
	for range 2 {
		_, d = sp.Forward(x)
		xb = clamp01(xb - (splineComplement(sp, x, xb)-yb)/d)
		x = 1 - xb
	}
	_, d = sp.Forward(x)
	return x, xb, d
}

// sincPi returns sin(πx)/(πx) for x ∈ [0, 1] given also xb = 1 − x
// (1 at x = 0; 0 at x = 1), accurate near both ends.
func sincPi(x, xb float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*min(x, xb)) / (math.Pi * x)
}

// cotPi returns cot(πx) for x ∈ (0, 1) given also xb = 1 − x, accurate
// near both ends.
func cotPi(x, xb float64) float64 {
	if x > 0.5 {
		return -1 / math.Tan(math.Pi*xb)
	}
	return 1 / math.Tan(math.Pi*x)
}

// ratio returns y/x for a map with y(0) = 0, or its limit dydx (the slope
// at x) where x = 0. With complements (1−y)/(1−x) it is the ratio at the
// other end.
func ratio(x, y, dydx float64) float64 {
	if x > 0 {
		return y / x
	}
	return dydx
}

// sinRatio returns sin(πx′)/sin(πx) for x, x′ ∈ [0, 1] with complements
// xb = 1 − x, xpb = 1 − x′, given r0 = x′/x and r1 = (1−x′)/(1−x) (or their
// limits). Only the ratio on x's side of ½ is used, so the other may be
// anything (it is not needed where it is 0/0).
func sinRatio(x, xb, xp, xpb, r0, r1 float64) float64 {
	if x <= 0.5 {
		return r0 * sincPi(xp, xpb) / sincPi(x, xb)
	}
	return r1 * sincPi(xpb, xp) / sincPi(xb, x)
}

// su2LogJ returns log h′ + 2 log(sin πu′/sin πu) and the ratio
// r = sin πu′/sin πu of the eigenvalue gaps |e^{iθ_1} − e^{iθ_2}|.
func su2LogJ(p *point) (logJ float64, r [3]float64) {
	x := sinRatio(p.u1, p.v1, p.u1p, p.v1p, ratio(p.u1, p.u1p, p.d1), ratio(p.v1, p.v1p, p.d1))
	return math.Log(p.d1 * x * x), [3]float64{x}
}

// su3LogJ returns the SU(3) log-Jacobian at p, log(d1 d2 u′_1/u_1) +
// 2 log(A B C) with
//
//	A = sin(πu′_1u′_2)/sin(πu_1u_2),   B = sin(πu′_1v′_2)/sin(πu_1v_2),   C = sin(πu′_1)/sin(πu_1)
//
// (sin(a/2) = sin(πu_1u_2), sin(b/2) = sin(πu_1v_2), sin(c/2) = sin(πu_1),
// v = 1 − u), and the gap ratios (A, B, C) of the pairs (1, 2), (2, 3),
// (1, 3). Each ratio is taken as a ratio of vanishing factors, whose
// limits at the edges are slopes. At the corners ω·1 (u = (1, 0)) and
// ω²·1 (u = (1, 1)) the limit depends on the direction of approach; there
// the mean of the limits along the two edges is used (docs/sun.md §9).
func su3LogJ(p *point) (logJ float64, r [3]float64) {
	u1, v1, u2, v2 := p.u1, p.v1, p.u2, p.v2
	u1p, v1p, u2p, v2p := p.u1p, p.v1p, p.u2p, p.v2p
	r1, r1b := ratio(u1, u1p, p.d1), ratio(v1, v1p, p.d1)
	r2, r2b := ratio(u2, u2p, p.d2), ratio(v2, v2p, p.d2)
	// 1 − u_1u_2 = v_1 + u_1v_2 and 1 − u_1v_2 = v_1 + u_1u_2, before and
	// after the map; both vanish only at a corner.
	ca, cap_ := v1+u1*v2, v1p+u1p*v2p
	cb, cbp := v1+u1*u2, v1p+u1p*u2p
	ra, rb := (r1b+r2b)/2, (r1b+r2)/2
	if ca > 0 {
		ra = cap_ / ca
	}
	if cb > 0 {
		rb = cbp / cb
	}
	a := sinRatio(u1*u2, ca, u1p*u2p, cap_, r1*r2, ra)
	b := sinRatio(u1*v2, cb, u1p*v2p, cbp, r1*r2b, rb)
	c := sinRatio(u1, v1, u1p, v1p, r1, r1b)
	abc := a * b * c
	return math.Log(p.d1*p.d2*r1) + 2*math.Log(abc), [3]float64{a, b, c}
}

// weylGrad3 returns the gradient of W(u_1, u_2) = log Δ(θ(u)) + const
// = 2 log sin(πu_1u_2) + 2 log sin(πu_1v_2) + 2 log sin(πu_1) (v = 1 − u):
//
//	∂W/∂u_1 = 2π [u_2 cot(πu_1u_2) + v_2 cot(πu_1v_2) + cot(πu_1)],
//	∂W/∂u_2 = 2π u_1 [cot(πu_1u_2) − cot(πu_1v_2)].
func weylGrad3(u1, v1, u2, v2 float64) (g1, g2 float64) {
	ca, cb := cotPi(u1*u2, v1+u1*v2), cotPi(u1*v2, v1+u1*u2)
	return twoPi * (u2*ca + v2*cb + cotPi(u1, v1)), twoPi * u1 * (ca - cb)
}

// gapCotangents maps a cotangent of the N = 3 angles to the cotangents of
// the gaps a = θ_1 − θ_2, b = θ_2 − θ_3 (θ_1 = (2a+b)/3, θ_2 = (b−a)/3,
// θ_3 = −(a+2b)/3); a constant added to g does not change them.
func gapCotangents(g []float64) (ga, gb float64) {
	return (2*g[0] - g[1] - g[2]) / 3, (g[0] + g[1] - 2*g[2]) / 3
}

// setAngleCotangent3 writes the zero-sum cotangent of the angles with gap
// cotangents ga, gb: (ga, gb − ga, −gb), so that Σ g_i dθ_i = ga da + gb db.
func setAngleCotangent3(g []float64, ga, gb float64) {
	g[0], g[1], g[2] = ga, gb-ga, -gb
}

// scaledProjection writes g = f · (x − mean(x)).
func scaledProjection(g, x []float64, f float64) {
	var m float64
	for _, t := range x {
		m += t
	}
	m /= float64(len(x))
	for i, t := range x {
		g[i] = f * (t - m)
	}
}

// AnglesVJP is the vector-Jacobian product of Angles. For the scalar
//
//	L = Σ_i gOut_i θ′_i + gLogJ · logJ,   (θ′, logJ) = Angles(θ, params),
//
// it writes gTheta = ∂L/∂θ and, unless gParams is nil, ADDS ∂L/∂params into
// gParams (length NumParams). Angle cotangents are N-vectors on the plane
// Σθ = 0: a constant added to gOut changes nothing, and gTheta is returned
// with zero sum, so that Σ_i gTheta_i dθ_i is the change of L for any
// dθ with Σdθ = 0.
//
// The derivatives exist where the eigenvalues are distinct (the interior of
// the cell, all of SU(N) but a set of Haar measure zero) and at the
// identity (SU(2): also at −1), where the map is θ′ = h′(0) θ to first
// order; there gTheta is h′(0)·gOut (projected) and the log-Jacobian, which
// has a cone-like kink there, contributes only to the parameter cotangent.
// At other degenerate eigenvalues the map is in general not differentiable
// and the results may be infinite or NaN.
func (s *Spectral) AnglesVJP(gTheta, theta, params, gOut []float64, gLogJ float64, gParams []float64) {
	s.check(params, "AnglesVJP")
	s.checkAngles("AnglesVJP", gTheta, theta, gOut)
	if gParams != nil {
		s.check(gParams, "AnglesVJP")
	}
	p := s.eval(theta, params, false)
	s.anglesVJP(gTheta, &p, params, gOut, gLogJ, gParams, false)
}

// InverseAnglesVJP is the vector-Jacobian product of InverseAngles. For
//
//	L = Σ_i gTheta_i θ_i + gLogJ · logJ_inv,   (θ, logJ_inv) = InverseAngles(θ′, params),
//
// it writes gThetaOut = ∂L/∂θ′ (zero sum) and, unless gParams is nil, ADDS
// ∂L/∂params into gParams. Where it is defined: as for AnglesVJP.
func (s *Spectral) InverseAnglesVJP(gThetaOut, thetaOut, params, gTheta []float64, gLogJ float64, gParams []float64) {
	s.check(params, "InverseAnglesVJP")
	s.checkAngles("InverseAnglesVJP", gThetaOut, thetaOut, gTheta)
	if gParams != nil {
		s.check(gParams, "InverseAnglesVJP")
	}
	p := s.eval(thetaOut, params, true)
	s.anglesVJP(gThetaOut, &p, params, gTheta, gLogJ, gParams, true)
}

// anglesVJP is AnglesVJP (inverse: InverseAnglesVJP) at the point p, just
// computed by eval: gIn is the cotangent of the pass's input angles, gOut
// that of its output and gLogJ that of its log-Jacobian (−logJ inverse).
// In the pass's direction, "out" is the image and "in" the given point of
// the square; logJ of the pass is +(log u_1 + W(u)) at the out side and
// −(…) at the in side (W = log Δ, weylGrad3) plus the splines' log slopes.
func (s *Spectral) anglesVJP(gIn []float64, p *point, params, gOut []float64, gLogJ float64, gParams []float64, inverse bool) {
	if s.n == 2 {
		s.su2VJP(gIn, p, gOut, gLogJ, gParams, inverse)
		return
	}
	in, out := p.sides(inverse)
	if in.u1 == 0 { // the identity: logJ = ±8 log h_1′(0), θ′ = h_1′(0)^{±1} θ
		f, sign := p.d1, 1.0
		if inverse {
			f, sign = 1/p.d1, -1
		}
		scaledProjection(gIn, gOut, f)
		s.endSlopeVJP(0, sign*8*gLogJ/p.d1, gParams)
		return
	}
	ga, gb := gapCotangents(gOut)
	// Out side: a = 2πu_1u_2, b = 2πu_1v_2, and +log u_1 + W(u) in logJ.
	w1, w2 := weylGrad3(out.u1, out.v1, out.u2, out.v2)
	go1 := twoPi*(out.u2*ga+out.v2*gb) + gLogJ*(1/out.u1+w1)
	go2 := twoPi*out.u1*(ga-gb) + gLogJ*w2
	// h_2 (its log slope in logJ) and its parameters' dependence p_2(u_1),
	// then h_1; u_1 is the input of h_1 forward and its output inverse.
	gX, gY, gD := s.knotBufs2()
	var gi1, gi2 float64
	if inverse {
		gi2 = s.s2.InverseVJPAt(p.u2, go2, gLogJ, gX, gY, gD)
		go1 += s.featureVJP(params, gParams)
		gi1 = s.h1InverseVJP(p.u1, go1, gLogJ, gParams)
	} else {
		gi2 = s.s2.ForwardVJP(p.u2, go2, gLogJ, gX, gY, gD)
		gi1 = s.featureVJP(params, gParams)
		gi1 += s.h1ForwardVJP(p.u1, go1, gLogJ, gParams)
	}
	// In side: −log u_1 − W(u) in logJ, then (u_1, u_2) → (a, b).
	w1, w2 = weylGrad3(in.u1, in.v1, in.u2, in.v2)
	gi1 -= gLogJ * (1/in.u1 + w1)
	gi2 -= gLogJ * w2
	sa := twoPi * in.u1 // a + b
	setAngleCotangent3(gIn, gi1/twoPi+gi2*in.v2/sa, gi1/twoPi-gi2*in.u2/sa)
}

// su2VJP is AnglesVJP (inverse = false: gIn = ∂L/∂θ, gOut = ∂L/∂θ′) and
// InverseAnglesVJP (inverse = true: gIn = ∂L/∂θ′, gOut = ∂L/∂θ) for SU(2)
// at the point p: u = θ_1/π, logJ = log h′ + W(u′) − W(u) with
// W(u) = 2 log sin πu.
func (s *Spectral) su2VJP(gIn []float64, p *point, gOut []float64, gLogJ float64, gParams []float64, inverse bool) {
	g := gOut[0] - gOut[1] // cotangent of the free angle θ_1 of the output
	xin := p.u1
	if inverse {
		xin = p.u1p
	}
	if xin == 0 || xin == 1 { // ±1: θ′ = π ∓ h′(end)(π − θ) to first order, logJ = 3 log h′(end)
		end := 0
		if xin == 1 {
			end = s.k - 1
		}
		f, sign := p.d1, 1.0
		if inverse {
			f, sign = 1/p.d1, -1
		}
		gIn[0], gIn[1] = f*g/2, -f*g/2
		s.endSlopeVJP(end, sign*3*gLogJ/p.d1, gParams)
		return
	}
	wu := twoPi * cotPi(p.u1, p.v1)    // W′(u)
	wup := twoPi * cotPi(p.u1p, p.v1p) // W′(u′)
	var gx float64                     // cotangent of the input point
	if inverse {
		gx = s.h1InverseVJP(p.u1, math.Pi*g+gLogJ*wu, gLogJ, gParams) - gLogJ*wup
	} else {
		gx = s.h1ForwardVJP(p.u1, math.Pi*g+gLogJ*wup, gLogJ, gParams) - gLogJ*wu
	}
	gIn[0], gIn[1] = gx/math.Pi/2, -gx/math.Pi/2
}

// knotBufs2 clears and returns the knot cotangent buffers of h_2 (nils
// when M = 0: h_2 then has no parameters).
func (s *Spectral) knotBufs2() (gX, gY, gD []float64) {
	if s.m == 0 {
		return nil, nil, nil
	}
	clear(s.gX2)
	clear(s.gY2)
	clear(s.gD2)
	return s.gX2, s.gY2, s.gD2
}

// knotBufs1 clears and returns the knot cotangent buffers of h (h_1), or
// nils when the parameter cotangents are not wanted.
func (s *Spectral) knotBufs1(gParams []float64) (gX, gY, gD []float64) {
	if gParams == nil {
		return nil, nil, nil
	}
	clear(s.gX1)
	clear(s.gY1)
	clear(s.gD1)
	return s.gX1, s.gY1, s.gD1
}

// h1ParamsVJP adds the cotangents in the knot buffers of h_1 to gParams.
func (s *Spectral) h1ParamsVJP(gParams []float64) {
	if gParams == nil {
		return
	}
	w, h, v := s.block(gParams, 0)
	s.s1.ParamsVJP(s.gX1, s.gY1, s.gD1, w, h, v)
}

// h1ForwardVJP returns ∂L/∂u for L = gy h_1(u) + gl log h_1′(u) and adds the
// parameter cotangents.
func (s *Spectral) h1ForwardVJP(u, gy, gl float64, gParams []float64) float64 {
	gX, gY, gD := s.knotBufs1(gParams)
	g := s.s1.ForwardVJP(u, gy, gl, gX, gY, gD)
	s.h1ParamsVJP(gParams)
	return g
}

// h1InverseVJP returns ∂L/∂u′ for L = gx u + gl log(du/du′), u = h_1⁻¹(u′)
// (given u), and adds the parameter cotangents.
func (s *Spectral) h1InverseVJP(u, gx, gl float64, gParams []float64) float64 {
	gX, gY, gD := s.knotBufs1(gParams)
	g := s.s1.InverseVJPAt(u, gx, gl, gX, gY, gD)
	s.h1ParamsVJP(gParams)
	return g
}

// endSlopeVJP adds g to the cotangent of the slope D_end of h (h_1).
func (s *Spectral) endSlopeVJP(end int, g float64, gParams []float64) {
	if gParams == nil {
		return
	}
	clear(s.gD1)
	s.gD1[end] = g
	_, _, v := s.block(gParams, 0)
	s.s1.ParamsVJP(nil, nil, s.gD1, nil, nil, v)
}

// featureVJP maps the knot cotangents of h_2 (in its buffers) to its
// parameters p_2 = Σ φ_k(u_1) C_k, adds φ_k · ∂L/∂p_2 to the blocks C_k of
// gParams (unless nil) and returns ∂L/∂u_1 = Σ_k φ_k′(u_1) C_k · ∂L/∂p_2.
// It uses the features stored by the last setH2.
func (s *Spectral) featureVJP(params, gParams []float64) float64 {
	if s.m == 0 {
		return 0
	}
	clear(s.gp2)
	w, h, v := s.block(s.gp2, 0)
	s.s2.ParamsVJP(s.gX2, s.gY2, s.gD2, w, h, v)
	b := 3*s.k - 2
	var gu1 float64
	for k := range s.m {
		c := params[(k+1)*b : (k+2)*b]
		var dot float64
		for j, g := range s.gp2 {
			dot += g * c[j]
		}
		gu1 += s.dphi[k] * dot
		if gParams != nil {
			gc := gParams[(k+1)*b : (k+2)*b]
			for j, g := range s.gp2 {
				gc[j] += s.phi[k] * g
			}
		}
	}
	return gu1
}

// Forward sets dst = U′ = V diag(e^{iθ′}) V† for u = V diag(e^{iθ}) V†
// (Eigen; dst may alias u) and returns the log-Jacobian with respect to
// Haar measure (Angles).
func (s *Spectral) Forward(dst, u []complex128, params []float64) (logJ float64) {
	s.check(params, "Forward")
	s.checkMatrices("Forward", dst, u)
	return s.apply(dst, u, params, false)
}

// Inverse sets dst = U for u = U′ (dst may alias u), the inverse of
// Forward, and returns the log-Jacobian of the inverse, −logJ(U).
func (s *Spectral) Inverse(dst, u []complex128, params []float64) (logJ float64) {
	s.check(params, "Inverse")
	s.checkMatrices("Inverse", dst, u)
	return s.apply(dst, u, params, true)
}

// apply is Forward (inverse: Inverse): Eigen, the angle map, FromEigen.
func (s *Spectral) apply(dst, u []complex128, params []float64, inverse bool) (logJ float64) {
	n := s.n
	v, th := s.v[:n*n], s.th[:n]
	Eigen(v, th, u)
	logJ, _ = s.angles(th, th, params, inverse)
	FromEigen(dst, v, th)
	return logJ
}

func (s *Spectral) checkMatrices(name string, ms ...[]complex128) {
	if sameDim(ms...) != s.n {
		panic(fmt.Sprintf("sun: Spectral.%s: matrices must be %d×%d", name, s.n, s.n))
	}
}

// ForwardVJP is the vector-Jacobian product of Forward. Matrix cotangents
// are complex N×N, G = ∂L/∂Re U + i ∂L/∂Im U, so that dL = Re Tr(G† dU).
// For
//
//	L = Re Tr(gOut† U′) + gLogJ · logJ,   (U′, logJ) = Forward(U, params),
//
// it writes into gU the cotangent of the input u and, unless gParams is
// nil, ADDS ∂L/∂params into gParams. Since U lives on SU(N), only the
// tangent part of a cotangent is defined: gU is returned in the tangent
// space, gU = U·X with X traceless anti-Hermitian, and any gOut is
// accepted (its normal part does not matter).
//
// The chain rule runs through the eigen-decomposition (docs/sun.md §9): in
// the eigenbasis, H′ = V† gOut V, the angle part is θ′'s cotangent
// Im(e^{−iθ′_i} H′_ii) (EigenCotangent) pulled back by AnglesVJP, and the
// eigenvector part is H_ij = conj(Γ_ij) H′_ij (i ≠ j) with the divided
// difference Γ_ij = (e^{iθ′_j} − e^{iθ′_i})/(e^{iθ_j} − e^{iθ_i}). For a
// loss that depends on U′ only through a class function, H′ is diagonal and
// the eigenvector part vanishes; in general (a link inside plaquettes) it
// does not. Defined where AnglesVJP is (distinct eigenvalues, and the
// identity, where Γ_ij = h′(0)).
func (s *Spectral) ForwardVJP(gU, u []complex128, params []float64, gOut []complex128, gLogJ float64, gParams []float64) {
	s.check(params, "ForwardVJP")
	s.checkMatrices("ForwardVJP", gU, u, gOut)
	if gParams != nil {
		s.check(gParams, "ForwardVJP")
	}
	s.matrixVJP(gU, u, params, gOut, gLogJ, gParams, false)
}

// InverseVJP is the vector-Jacobian product of Inverse: for
// L = Re Tr(gOut† U) + gLogJ · logJ_inv with (U, logJ_inv) = Inverse(U′),
// it writes the (tangent) cotangent of the inverse's input u = U′ into gU
// and ADDS ∂L/∂params into gParams unless it is nil; as ForwardVJP, with
// the divided differences of the inverse, 1/Γ_ij.
func (s *Spectral) InverseVJP(gU, u []complex128, params []float64, gOut []complex128, gLogJ float64, gParams []float64) {
	s.check(params, "InverseVJP")
	s.checkMatrices("InverseVJP", gU, u, gOut)
	if gParams != nil {
		s.check(gParams, "InverseVJP")
	}
	s.matrixVJP(gU, u, params, gOut, gLogJ, gParams, true)
}

// matrixVJP is ForwardVJP (inverse: InverseVJP): u = V diag(e^{iα}) V† is
// the pass's input, its image V diag(e^{iβ}) V†; the cotangent of β at
// fixed V (EigenCotangent) is pulled back through the angle map, and the
// eigenvectors' part added (pullBack).
func (s *Spectral) matrixVJP(gU, u []complex128, params []float64, gOut []complex128, gLogJ float64, gParams []float64, inverse bool) {
	n := s.n
	v, alpha, beta, gAlpha, gBeta := s.v[:n*n], s.th[:n], s.thp[:n], s.gth[:n], s.gthp[:n]
	Eigen(v, alpha, u)
	p := s.eval(alpha, params, inverse)
	s.fromPoint(beta, &p, inverse)
	_, r := s.logJ(&p)
	EigenCotangent(gBeta, v, beta, gOut)
	s.anglesVJP(gAlpha, &p, params, gBeta, gLogJ, gParams, inverse)
	s.pullBack(gU, v, alpha, beta, gAlpha, r, inverse, gOut)
}

// pullBack writes gIn, the tangent cotangent at the input Uin = V
// diag(e^{iα}) V† of a spectral map to Uout = V diag(e^{iβ}) V†, given the
// output cotangent gOut, the cotangent gAlpha of the input angles (already
// pulled back through the angle map) and the forward gap ratios r
// (invert: the map is the inverse, whose ratios are 1/r). In the
// eigenbasis, H′ = V† gOut V and
//
//	H_ii = i e^{iα_i} gAlpha_i,   H_ij = conj(Γ_ij) H′_ij,
//	Γ_ij = (e^{iβ_j} − e^{iβ_i})/(e^{iα_j} − e^{iα_i}) = ρ_ij e^{i(β_i+β_j−α_i−α_j)/2},
//
// ρ_ij = sin((β_j−β_i)/2)/sin((α_j−α_i)/2) > 0 the gap ratio; then
// gIn = V D TA(D† H) V† (D = diag(e^{iα})), the projection of V H V† onto
// the tangent space Uin·su(N).
func (s *Spectral) pullBack(gIn, v []complex128, alpha, beta, gAlpha []float64, r [3]float64, invert bool, gOut []complex128) {
	n := s.n
	h := s.h[:n*n]
	// h = V† gOut V.
	var t [9]complex128
	for i := range n {
		for j := range n {
			var x complex128
			for k := range n {
				x += gOut[i*n+k] * v[k*n+j]
			}
			t[i*n+j] = x
		}
	}
	for i := range n {
		for j := range n {
			var x complex128
			for k := range n {
				x += cmplx.Conj(v[k*n+i]) * t[k*n+j]
			}
			h[i*n+j] = x
		}
	}
	var d [3]complex128
	for i := range n {
		d[i] = cmplx.Rect(1, alpha[i])
	}
	for i := range n {
		for j := range n {
			if i == j {
				h[i*n+i] = complex(0, 1) * d[i] * complex(gAlpha[i], 0)
				continue
			}
			rho := r[pairIndex(i, j)]
			if invert {
				rho = 1 / rho
			}
			g := cmplx.Rect(rho, (beta[i]+beta[j]-alpha[i]-alpha[j])/2)
			h[i*n+j] *= cmplx.Conj(g)
		}
	}
	// K = D† H, its traceless anti-Hermitian part, then D K.
	for i := range n {
		for j := range n {
			h[i*n+j] *= cmplx.Conj(d[i])
		}
	}
	TA(h, h)
	for i := range n {
		for j := range n {
			h[i*n+j] *= d[i]
		}
	}
	// gIn = V h V†.
	for i := range n {
		for j := range n {
			var x complex128
			for k := range n {
				x += v[i*n+k] * h[k*n+j]
			}
			t[i*n+j] = x
		}
	}
	for i := range n {
		for j := range n {
			var x complex128
			for k := range n {
				x += t[i*n+k] * cmplx.Conj(v[j*n+k])
			}
			gIn[i*n+j] = x
		}
	}
}

// pairIndex is the index of the gap ratio of the eigenvalue pair (i, j):
// (1, 2) → 0, (2, 3) → 1, (1, 3) → 2 (counting from 1).
func pairIndex(i, j int) int {
	if i > j {
		i, j = j, i
	}
	if j-i == 2 {
		return 2
	}
	return i
}

// EigenCotangent maps a matrix cotangent g = ∂L/∂Re U + i ∂L/∂Im U of
// U = V diag(e^{iθ}) V† to the cotangents of the angles at fixed V:
//
//	gTheta_i = ∂L/∂θ_i = Re Tr(g† V (i e^{iθ_i} E_ii) V†) = Im(e^{−iθ_i} (V† g V)_ii).
//
// It is the whole chain rule for a loss that depends on U only through a
// class function; otherwise the eigenvectors' change contributes as well
// (see ForwardVJP).
func EigenCotangent(gTheta []float64, v []complex128, theta []float64, g []complex128) {
	n := sameDim(v, g)
	if len(theta) != n || len(gTheta) != n {
		panic("sun: EigenCotangent: theta and gTheta must have length N")
	}
	for i := range n {
		var x complex128 // (V† g V)_ii = Σ_kl conj(V_ki) g_kl V_li
		for k := range n {
			var y complex128
			for l := range n {
				y += g[k*n+l] * v[l*n+i]
			}
			x += cmplx.Conj(v[k*n+i]) * y
		}
		gTheta[i] = imag(cmplx.Conj(cmplx.Rect(1, theta[i])) * x)
	}
}
