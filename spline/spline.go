// Package spline implements the monotone rational-quadratic (RQ) spline of
// Durkan, Bekasov, Murray & Papamakarios, "Neural Spline Flows",
// arXiv:1906.04032 (itself based on Gregory & Delbourgo, IMA J. Numer. Anal.
// 2 (1982) 123), in float64, together with hand-written vector-Jacobian
// products (VJPs) for reverse-mode differentiation.
//
// # Knots
//
// A spline with K ≥ 2 knots (X_k, Y_k, D_k), k = 0 … K−1, is built from
// unconstrained parameters w (K−1 widths), h (K−1 heights) and v (K
// derivatives) on the box [x0, x1] × [y0, y1]:
//
//	X_k = x0 + (x1−x0) · Σ_{i<k} softmax(w)_i     (X_0 = x0, X_{K−1} = x1 exactly)
//	Y_k = y0 + (y1−y0) · Σ_{i<k} softmax(h)_i     (Y_0 = y0, Y_{K−1} = y1 exactly)
//	D_k = softplus_β(v_k) = log(1 + exp(β v_k)) / β,   β = ln 2,
//
// so that v = 0 gives D = 1, and all-zero parameters on a square box
// (x0 = y0, x1 = y1) give the identity map.
//
// # Interior
//
// Inside bin k (X_k ≤ x ≤ X_{k+1}) let
//
//	Δx = X_{k+1} − X_k,  Δy = Y_{k+1} − Y_k,  s = Δy/Δx,
//	ξ  = (x − X_k)/Δx ∈ [0,1],  t = ξ(1−ξ),  δ = D_k + D_{k+1} − 2s.
//
// Then
//
//	y = Y_k + Δy · [s ξ² + D_k t] / [s + δ t]
//
// which interpolates (X_k, Y_k), (X_{k+1}, Y_{k+1}) with slopes D_k, D_{k+1}
// and is strictly increasing when s, D_k, D_{k+1} > 0. See rq.go for the
// derivative dy/dx, the inverse and the gradients.
//
// # Tails
//
// Outside [X_0, X_{K−1}] the map is continued linearly with the end slopes:
// y = Y_0 + D_0 (x − X_0) for x < X_0 and y = Y_{K−1} + D_{K−1} (x − X_{K−1})
// for x > X_{K−1}. The map is therefore a C¹ bijection of the real line.
//
// # Symmetric (odd) mode
//
// In symmetric mode the K knots span only the upper half
// [c_x, x1] × [c_y, y1], with c_x = (x0+x1)/2 and c_y = (y0+y1)/2 (the
// intended use has c_x = c_y = c, i.e. a y-interval centred like the
// x-interval). Writing f₊ for the RQ spline on these knots (with its upper
// linear tail), the full map is the point reflection
//
//	f(x) = f₊(x)                    for x ≥ c_x,
//	f(x) = 2c_y − f₊(2c_x − x)      for x < c_x,
//
// i.e. f(c−u) = 2c − f(c+u) and f′ is even about c. Below x0 the map is the
// mirror image of the upper linear tail.
//
// # Performance
//
// Knots are computed once per parameter set by SetParams. The per-point
// methods (Forward, Inverse, ForwardVJP, InverseVJP) and ParamsVJP do not
// allocate. A Spline is not safe for concurrent modification, but concurrent
// read-only use (Forward/Inverse/VJPs writing to distinct gradient buffers)
// is safe.
//
// # Degenerate parameters
//
// Following the stated convention exactly, there is no minimum bin width,
// height or derivative (Durkan et al. add such floors). Parameters so
// extreme that a softmax entry drops below the rounding of the cumulative
// sum (≈1e-16, i.e. entries of w or h differing by ≳ 37) give bins of zero
// width or height, and v ≲ −1000 gives a zero slope; the map is then no
// longer a smooth bijection and results may be infinite or NaN.
//
// The splines are the transformations inside the flow layers of package
// flow (DistConvertor, RQSCoupling, GaugeCoupling's circular spline); a user
// of the library meets them there (start with package model).
package spline

import (
	"fmt"
	"math"
)

// beta is the softplus sharpness β = ln 2, chosen so that softplus_β(0) = 1.
const beta = math.Ln2

// Spline holds the knots of one RQ spline, computed from unconstrained
// parameters by SetParams.
//
// X, Y and D (length K) are the knot positions, knot values and knot
// derivatives. They are exported for inspection; if they are modified by
// hand, the methods use the modified knots, but ParamsVJP still refers to
// the parameters last passed to SetParams.
type Spline struct {
	X, Y, D []float64

	// Symmetric selects the odd mode (point reflection about (Cx, Cy)).
	Symmetric bool
	// Cx, Cy are the centres (x0+x1)/2 and (y0+y1)/2 of the box given to
	// SetParams. They are used only in symmetric mode, where X_0 = Cx and
	// Y_0 = Cy.
	Cx, Cy float64

	// Cached for ParamsVJP.
	pw, ph []float64 // softmax(w), softmax(h) (length K−1)
	sv     []float64 // dD_k/dv_k = sigmoid(β v_k) (length K)
	lx, ly float64   // X_{K−1} − X_0, Y_{K−1} − Y_0
}

// New allocates a spline with k ≥ 2 knots. The knots are set to the identity
// on [0,1] × [0,1] (equivalent to SetParams with zero parameters) so that a
// fresh spline is usable.
func New(k int) *Spline {
	if k < 2 {
		panic(fmt.Sprintf("spline: need at least 2 knots, got %d", k))
	}
	buf := make([]float64, 6*k-2)
	s := &Spline{
		X:  buf[0*k : 1*k : 1*k],
		Y:  buf[1*k : 2*k : 2*k],
		D:  buf[2*k : 3*k : 3*k],
		sv: buf[3*k : 4*k : 4*k],
		pw: buf[4*k : 5*k-1 : 5*k-1],
		ph: buf[5*k-1 : 6*k-2 : 6*k-2],
	}
	w := make([]float64, k-1)
	v := make([]float64, k)
	s.SetParams(w, w, v, 0, 1, 0, 1, false)
	return s
}

// K returns the number of knots.
func (s *Spline) K() int { return len(s.X) }

// SetParams computes the knots from the unconstrained parameters w (K−1),
// h (K−1) and v (K) on the box [x0,x1] × [y0,y1] (see the package comment).
// In symmetric mode the knots cover the upper half [c_x,x1] × [c_y,y1] with
// c_x = (x0+x1)/2, c_y = (y0+y1)/2, and the map is extended to x < c_x by
// point reflection. It panics on wrong slice lengths or an empty interval.
func (s *Spline) SetParams(w, h, v []float64, x0, x1, y0, y1 float64, symmetric bool) {
	k := len(s.X)
	if len(w) != k-1 || len(h) != k-1 || len(v) != k {
		panic(fmt.Sprintf("spline: SetParams with K=%d needs len(w)=len(h)=%d, len(v)=%d; got %d, %d, %d",
			k, k-1, k, len(w), len(h), len(v)))
	}
	if !(x1 > x0) || !(y1 > y0) {
		panic(fmt.Sprintf("spline: SetParams needs x0 < x1 and y0 < y1; got [%g,%g]×[%g,%g]", x0, x1, y0, y1))
	}
	s.Symmetric = symmetric
	s.Cx = 0.5 * (x0 + x1)
	s.Cy = 0.5 * (y0 + y1)
	xlo, ylo := x0, y0
	if symmetric {
		xlo, ylo = s.Cx, s.Cy
	}
	s.lx = x1 - xlo
	s.ly = y1 - ylo
	cumKnots(s.X, s.pw, w, xlo, x1)
	cumKnots(s.Y, s.ph, h, ylo, y1)
	for i, vi := range v {
		s.D[i], s.sv[i] = softplus(vi)
	}
}

// cumKnots writes p = softmax(w) and X_k = a + (b−a) Σ_{i<k} p_i, with
// X_0 = a and X_{K−1} = b exactly. Interior knots are clamped to ≤ b so that
// rounding can never produce a bin of negative width.
func cumKnots(x, p, w []float64, a, b float64) {
	m := math.Inf(-1)
	for _, wi := range w {
		m = max(m, wi)
	}
	var z float64
	for i, wi := range w {
		e := math.Exp(wi - m)
		p[i] = e
		z += e
	}
	iz := 1 / z
	for i := range p {
		p[i] *= iz
	}
	l := b - a
	x[0] = a
	var c float64
	for i := 0; i < len(p)-1; i++ {
		c += p[i]
		x[i+1] = min(a+l*c, b)
	}
	x[len(x)-1] = b
}

// softplus returns d = log(1+exp(βv))/β, computed without overflow, and its
// derivative dd/dv = sigmoid(βv) = 1/(1+exp(−βv)).
func softplus(v float64) (d, dv float64) {
	z := beta * v
	if z > 0 {
		e := math.Exp(-z)
		return (z + math.Log1p(e)) / beta, 1 / (1 + e)
	}
	e := math.Exp(z)
	return math.Log1p(e) / beta, e / (1 + e)
}

// bin returns the index k ∈ [0, len(a)−2] of the bin containing q, i.e. the
// largest k ≤ len(a)−2 with a[k] ≤ q, assuming a[0] ≤ q ≤ a[len(a)−1].
//
// Knot counts are small (tens), so it counts the interior knots ≤ q without
// branches instead of bisecting: random inputs then cost no mispredictions
// (measured: a third of the seed example's training time went to them).
func bin(a []float64, q float64) int {
	k := 0
	for _, ai := range a[1 : len(a)-1] {
		c := 0
		if ai <= q {
			c = 1
		}
		k += c
	}
	return k
}

// Forward returns y = f(x) and dy/dx.
func (s *Spline) Forward(x float64) (y, dydx float64) {
	if s.Symmetric && x < s.Cx {
		y, dydx = s.fwd(2*s.Cx - x)
		return 2*s.Cy - y, dydx
	}
	return s.fwd(x)
}

// Inverse returns x = f⁻¹(y) and dx/dy = 1/f′(x).
func (s *Spline) Inverse(y float64) (x, dxdy float64) {
	if s.Symmetric && y < s.Cy {
		x, dxdy = s.inv(2*s.Cy - y)
		return 2*s.Cx - x, dxdy
	}
	return s.inv(y)
}

// fwd evaluates the plain (non-reflected) spline with linear tails.
func (s *Spline) fwd(x float64) (y, dydx float64) {
	X, Y, D := s.X, s.Y, s.D
	n := len(X) - 1
	if n >= len(Y) || n >= len(D) {
		panic("spline: knot arrays of unequal length")
	}
	if x < X[0] {
		return Y[0] + D[0]*(x-X[0]), D[0]
	}
	if x > X[n] {
		return Y[n] + D[n]*(x-X[n]), D[n]
	}
	k := bin(X, x)
	return rqForward(x, X[k], X[k+1], Y[k], Y[k+1], D[k], D[k+1])
}

// inv inverts the plain (non-reflected) spline with linear tails.
func (s *Spline) inv(y float64) (x, dxdy float64) {
	X, Y, D := s.X, s.Y, s.D
	n := len(Y) - 1
	if n >= len(X) || n >= len(D) {
		panic("spline: knot arrays of unequal length")
	}
	if y < Y[0] {
		return X[0] + (y-Y[0])/D[0], 1 / D[0]
	}
	if y > Y[n] {
		return X[n] + (y-Y[n])/D[n], 1 / D[n]
	}
	k := bin(Y, y)
	return rqInverse(y, X[k], X[k+1], Y[k], Y[k+1], D[k], D[k+1])
}
