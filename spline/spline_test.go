package spline

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// setup is one random spline configuration.
type setup struct {
	k              int
	w, h, v        []float64
	x0, x1, y0, y1 float64
	sym            bool
}

func (c setup) String() string {
	return fmt.Sprintf("K=%d sym=%v box=[%.3g,%.3g]x[%.3g,%.3g]", c.k, c.sym, c.x0, c.x1, c.y0, c.y1)
}

func (c setup) build() *Spline {
	s := New(c.k)
	s.SetParams(c.w, c.h, c.v, c.x0, c.x1, c.y0, c.y1, c.sym)
	return s
}

func (c setup) clone() setup {
	d := c
	d.w = append([]float64(nil), c.w...)
	d.h = append([]float64(nil), c.h...)
	d.v = append([]float64(nil), c.v...)
	return d
}

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

func randVec(r *rand.Rand, n int, scale float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = scale * r.NormFloat64()
	}
	return x
}

// randSetup draws random parameters (scale ~1.5) and a random box. In
// symmetric mode both intervals share the centre.
func randSetup(r *rand.Rand, k int, sym bool) setup {
	c := setup{k: k, sym: sym,
		w: randVec(r, k-1, 1.5), h: randVec(r, k-1, 1.5), v: randVec(r, k, 1.5)}
	if sym {
		// Dyadic centre and half-widths, so that (x0+x1)/2 = (y0+y1)/2 = ctr
		// exactly, as in the intended use.
		dy := func(v float64) float64 { return math.Round(v*1024) / 1024 }
		ctr := dy(4*r.Float64() - 2)
		hx, hy := dy(0.25+3*r.Float64()), dy(0.25+3*r.Float64())
		c.x0, c.x1, c.y0, c.y1 = ctr-hx, ctr+hx, ctr-hy, ctr+hy
	} else {
		c.x0 = 4*r.Float64() - 3
		c.x1 = c.x0 + 0.5 + 5*r.Float64()
		c.y0 = 4*r.Float64() - 3
		c.y1 = c.y0 + 0.5 + 5*r.Float64()
	}
	return c
}

// allSetups returns a fixed list of random configurations covering both
// modes and several K, including the minimal K = 2.
func allSetups(seed uint64) []setup {
	r := newRNG(seed)
	var out []setup
	for _, sym := range []bool{false, true} {
		for _, k := range []int{2, 3, 5, 10} {
			for range 3 {
				out = append(out, randSetup(r, k, sym))
			}
		}
	}
	return out
}

// interiorPoints returns points inside every bin (10–90 % of the bin) of the
// full map, including the reflected bins in symmetric mode.
func interiorPoints(r *rand.Rand, s *Spline, knots []float64, centre float64) []float64 {
	var xs []float64
	for k := 0; k+1 < len(knots); k++ {
		for range 2 {
			x := knots[k] + (0.1+0.8*r.Float64())*(knots[k+1]-knots[k])
			xs = append(xs, x)
			if s.Symmetric {
				xs = append(xs, 2*centre-x)
			}
		}
	}
	return xs
}

// tailPoints returns points below the lower and above the upper end.
func tailPoints(r *rand.Rand, lo, hi float64) []float64 {
	w := hi - lo
	return []float64{
		lo - (0.05+2*r.Float64())*w, lo - 1e-3*w, lo - 50*w,
		hi + (0.05+2*r.Float64())*w, hi + 1e-3*w, hi + 50*w,
	}
}

// noiseFloor estimates the rounding noise of centralFD (step h) of
// L = g1·(value) + gl·(log-derivative) at the point p:
//
//	4 (ε/h) · [ |L| + Σ_terms Σ_u |∂term/∂u| · max(1,|u|) ],
//
// u running over the point p and all knots X, Y, D. The two terms of L are
// differentiated separately (their cotangents may cancel in L, their
// rounding errors do not). With narrow bins the knot cotangents can reach
// 10³ while a parameter cotangent, a sum of such terms, is 10⁻³, so a purely
// relative comparison would only measure noise there.
func noiseFloor(s *Spline, inverse bool, p, g1, gl, l, h float64) float64 {
	k := len(s.X)
	sum := math.Abs(l)
	for _, g := range [2][2]float64{{g1, 0}, {0, gl}} {
		gX, gY, gD := make([]float64, k), make([]float64, k), make([]float64, k)
		var gp float64
		if inverse {
			gp = s.InverseVJP(p, g[0], g[1], gX, gY, gD)
		} else {
			gp = s.ForwardVJP(p, g[0], g[1], gX, gY, gD)
		}
		sum += math.Abs(gp) * max(1, math.Abs(p))
		for k := range gX {
			sum += math.Abs(gX[k])*max(1, math.Abs(s.X[k])) + math.Abs(gY[k])*max(1, math.Abs(s.Y[k])) + math.Abs(gD[k])*max(1, s.D[k])
		}
	}
	return 4 * eps / h * sum
}

const eps = 0x1p-52

// condInv is the intrinsic uncertainty of g(y) for a map g with slope g′ when
// its argument y is known only to rounding: 4 ε max(1,|y|) |g′|. (Applied to
// the inverse, g′ = dx/dy can be 10⁴ where a bin is much wider than high.)
func condInv(y, slope float64) float64 { return 4 * eps * max(1, math.Abs(y)) * math.Abs(slope) }

// condLogDeriv is the intrinsic uncertainty of a ratio of derivatives
// evaluated at x and at x rounded (by ε·scale, scale = max(1,|x|) if 0 is
// given): 8 ε scale |∂ log f′/∂x|, where
// ∂ log f′/∂x is taken as the larger of its one-sided values (f″ jumps at
// knots, and a rounded knot may fall in either adjacent bin).
func condLogDeriv(s *Spline, x, scale float64) float64 {
	if scale == 0 {
		scale = max(1, math.Abs(x))
	}
	var lx float64
	for _, xx := range []float64{math.Nextafter(x, math.Inf(-1)), x, math.Nextafter(x, math.Inf(1))} {
		lx = max(lx, math.Abs(s.ForwardVJP(xx, 0, 1, nil, nil, nil)))
	}
	return 8 * eps * scale * lx
}

// fdStep returns the finite-difference step h0 = 1e-6, shrunk to
// h0/|∂ log g′/∂p| where the derivative g′ of the map at p (forward or
// inverse) varies faster than on the scale 1. That happens in strongly
// curved, narrow bins (for the inverse, dx/dy can reach 10⁴ in a bin of
// height 10⁻³), where the difference quotient with step 1e-6 is simply not
// converged. Parameter differences use the same step, as they move the knots
// by O(step).
func fdStep(s *Spline, inverse bool, p, h0 float64) float64 {
	var curv float64
	if inverse {
		curv = s.InverseVJP(p, 0, 1, nil, nil, nil)
	} else {
		curv = s.ForwardVJP(p, 0, 1, nil, nil, nil)
	}
	return h0 * min(1, 1/math.Abs(curv))
}

// centralFD returns the fourth-order central finite difference
// [f(−2h) − 8f(−h) + 8f(h) − f(2h)] / (12h) ≈ f′(0). (The plain two-point
// difference has an O(h²f‴) error that exceeds 1e-6 relative in narrow,
// strongly curved bins.)
func centralFD(f func(e float64) float64, h float64) float64 {
	return (f(-2*h) - 8*f(-h) + 8*f(h) - f(2*h)) / (12 * h)
}

// near reports |a−b| ≤ rtol·max(|a|,|b|) + atol.
func near(a, b, rtol, atol float64) bool {
	return math.Abs(a-b) <= rtol*max(math.Abs(a), math.Abs(b))+atol
}

func TestNewPanics(t *testing.T) {
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", name)
			}
		}()
		f()
	}
	mustPanic("New(1)", func() { New(1) })
	s := New(4)
	mustPanic("short w", func() { s.SetParams(make([]float64, 2), make([]float64, 3), make([]float64, 4), 0, 1, 0, 1, false) })
	mustPanic("short v", func() { s.SetParams(make([]float64, 3), make([]float64, 3), make([]float64, 3), 0, 1, 0, 1, false) })
	mustPanic("empty box", func() { s.SetParams(make([]float64, 3), make([]float64, 3), make([]float64, 4), 1, 1, 0, 1, false) })
}

func TestSoftplus(t *testing.T) {
	if d, dv := softplus(0); d != 1 || dv != 0.5 {
		t.Errorf("softplus(0) = %v, %v; want 1, 0.5", d, dv)
	}
	for _, v := range []float64{-700, -100, -10, -1, -1e-9, 1e-9, 1, 10, 100, 1000, 1e6} {
		d, dv := softplus(v)
		if !(d > 0) || math.IsInf(d, 0) || !(dv > 0) || dv > 1 {
			t.Errorf("softplus(%g) = %v, %v: not a finite positive value", v, d, dv)
		}
		if math.Abs(v) <= 30 {
			want := math.Log(1+math.Exp(beta*v)) / beta
			if !near(d, want, 1e-14, 0) {
				t.Errorf("softplus(%g) = %v, want %v", v, d, want)
			}
			wantDv := 1 / (1 + math.Exp(-beta*v))
			if !near(dv, wantDv, 1e-14, 0) {
				t.Errorf("softplus'(%g) = %v, want %v", v, dv, wantDv)
			}
		}
		if v >= 100 && !near(d, v, 1e-15, 0) {
			t.Errorf("softplus(%g) = %v, want ≈ v", v, d)
		}
	}
}

func TestKnots(t *testing.T) {
	for _, c := range allSetups(1) {
		s := c.build()
		xlo, ylo := c.x0, c.y0
		if c.sym {
			xlo, ylo = (c.x0+c.x1)/2, (c.y0+c.y1)/2
		}
		k := c.k
		if s.X[0] != xlo || s.X[k-1] != c.x1 || s.Y[0] != ylo || s.Y[k-1] != c.y1 {
			t.Errorf("%v: end knots X=[%v..%v] Y=[%v..%v]", c, s.X[0], s.X[k-1], s.Y[0], s.Y[k-1])
		}
		for i := 0; i+1 < k; i++ {
			if !(s.X[i+1] > s.X[i]) || !(s.Y[i+1] > s.Y[i]) {
				t.Errorf("%v: knots not increasing at %d", c, i)
			}
		}
		for i := range k {
			if d, _ := softplus(c.v[i]); s.D[i] != d {
				t.Errorf("%v: D[%d]=%v, want %v", c, i, s.D[i], d)
			}
		}
		if s.K() != k {
			t.Errorf("K() = %d, want %d", s.K(), k)
		}
	}
}

// refForward is an independent, literal implementation of the convention
// (linear bin search, naive softmax/softplus), used to check the
// optimised code.
func refForward(c setup, x float64) (y, dydx float64) {
	if c.sym {
		ctr := (c.x0 + c.x1) / 2
		cy := (c.y0 + c.y1) / 2
		if x < ctr {
			y, dydx := refPlain(c, 2*ctr-x, ctr, c.x1, cy, c.y1)
			return 2*cy - y, dydx
		}
		return refPlain(c, x, ctr, c.x1, cy, c.y1)
	}
	return refPlain(c, x, c.x0, c.x1, c.y0, c.y1)
}

func refPlain(c setup, x, x0, x1, y0, y1 float64) (float64, float64) {
	knots := func(w []float64, a, b float64) []float64 {
		var z float64
		for _, wi := range w {
			z += math.Exp(wi)
		}
		out := []float64{a}
		var cum float64
		for _, wi := range w {
			cum += math.Exp(wi) / z
			out = append(out, a+(b-a)*cum)
		}
		return out
	}
	X, Y := knots(c.w, x0, x1), knots(c.h, y0, y1)
	D := make([]float64, c.k)
	for i, v := range c.v {
		D[i] = math.Log(1+math.Exp(math.Ln2*v)) / math.Ln2
	}
	n := c.k - 1
	if x < x0 {
		return y0 + D[0]*(x-x0), D[0]
	}
	if x > x1 {
		return y1 + D[n]*(x-x1), D[n]
	}
	for k := range n {
		if x <= X[k+1] || k == n-1 {
			s := (Y[k+1] - Y[k]) / (X[k+1] - X[k])
			xi := (x - X[k]) / (X[k+1] - X[k])
			den := s + (D[k+1]+D[k]-2*s)*xi*(1-xi)
			y := Y[k] + (Y[k+1]-Y[k])*(s*xi*xi+D[k]*xi*(1-xi))/den
			dydx := s * s * (D[k+1]*xi*xi + 2*s*xi*(1-xi) + D[k]*(1-xi)*(1-xi)) / (den * den)
			return y, dydx
		}
	}
	panic("unreachable")
}

func TestAgainstReference(t *testing.T) {
	r := newRNG(2)
	for _, c := range allSetups(2) {
		s := c.build()
		xs := append(interiorPoints(r, s, s.X, s.Cx), tailPoints(r, c.x0, c.x1)...)
		for _, x := range xs {
			y, d := s.Forward(x)
			yr, dr := refForward(c, x)
			// The two computations round the knots differently (by ~ε·|X|);
			// the effect on y and on f′ scales with f′ and |∂ log f′/∂x|.
			xs := max(1, math.Abs(c.x0), math.Abs(c.x1))
			if !near(y, yr, 1e-12, 1e-12+4*condInv(xs, d)) || !near(d, dr, 1e-11+4*condLogDeriv(s, x, xs), 0) {
				t.Errorf("%v: x=%v: got (%v, %v), reference (%v, %v)", c, x, y, d, yr, dr)
			}
		}
	}
}

func TestIdentityAtZeroParams(t *testing.T) {
	boxes := [][2]float64{{0, 1}, {-3, 3}, {-1, 5}, {0.5, 2}}
	for _, k := range []int{2, 3, 8, 10} {
		for _, sym := range []bool{false, true} {
			for _, b := range boxes {
				s := New(k)
				s.SetParams(make([]float64, k-1), make([]float64, k-1), make([]float64, k), b[0], b[1], b[0], b[1], sym)
				for i := range 201 {
					x := b[0] - 2 + (b[1]-b[0]+4)*float64(i)/200
					y, d := s.Forward(x)
					if !near(y, x, 1e-14, 1e-14) || !near(d, 1, 1e-13, 0) {
						t.Errorf("K=%d sym=%v box=%v: Forward(%v) = (%v, %v), want identity", k, sym, b, x, y, d)
					}
					xi, di := s.Inverse(x)
					if !near(xi, x, 1e-14, 1e-14) || !near(di, 1, 1e-13, 0) {
						t.Errorf("K=%d sym=%v box=%v: Inverse(%v) = (%v, %v), want identity", k, sym, b, x, xi, di)
					}
				}
			}
		}
	}
	// A freshly allocated spline is the identity on [0,1].
	s := New(5)
	if y, d := s.Forward(0.3); !near(y, 0.3, 1e-15, 0) || !near(d, 1, 1e-14, 0) {
		t.Errorf("New(5).Forward(0.3) = (%v, %v)", y, d)
	}
}

func TestKnotInterpolation(t *testing.T) {
	// f(X_k) = Y_k and f'(X_k) = D_k from both adjacent bins (C¹ continuity).
	for _, c := range allSetups(3) {
		s := c.build()
		X, Y, D := s.X, s.Y, s.D
		for k := range c.k {
			y, d := s.Forward(X[k])
			if !near(y, Y[k], 1e-14, 1e-14) || !near(d, D[k], 1e-12, 0) {
				t.Errorf("%v: knot %d: f=(%v,%v), want (%v,%v)", c, k, y, d, Y[k], D[k])
			}
			if k > 0 { // left limit from bin k−1
				y, d := rqForward(X[k], X[k-1], X[k], Y[k-1], Y[k], D[k-1], D[k])
				if !near(y, Y[k], 1e-14, 1e-14) || !near(d, D[k], 1e-12, 0) {
					t.Errorf("%v: knot %d from left: (%v,%v), want (%v,%v)", c, k, y, d, Y[k], D[k])
				}
			}
		}
	}
}

func TestRoundTrip(t *testing.T) {
	r := newRNG(4)
	for _, c := range allSetups(4) {
		s := c.build()
		xs := append(interiorPoints(r, s, s.X, s.Cx), tailPoints(r, c.x0, c.x1)...)
		for _, x := range s.X { // exactly on the knots (and reflected ones)
			xs = append(xs, x)
			if c.sym {
				xs = append(xs, 2*s.Cx-x)
			}
		}
		xs = append(xs, c.x0, c.x1, s.Cx)
		for range 200 {
			xs = append(xs, c.x0+(c.x1-c.x0)*r.Float64())
		}
		for _, x := range xs {
			y, _ := s.Forward(x)
			x2, dxdy := s.Inverse(y)
			// 1e-12 relative, plus the intrinsic conditioning of the
			// inverse: y is only known to ~ulp(y), i.e. x to ~ulp(y)·dx/dy
			// (≫ 1e-12 where a bin is much wider than high).
			if !near(x2, x, 0, 1e-12*max(1, math.Abs(x))+condInv(y, dxdy)) {
				t.Errorf("%v: Inverse(Forward(%v)) = %v (diff %.3g)", c, x, x2, x2-x)
			}
			// Derivatives compared at the same point x2; see condLogDeriv.
			if _, dydx := s.Forward(x2); !near(dxdy*dydx, 1, 0, 1e-12+condLogDeriv(s, x2, 0)) {
				t.Errorf("%v: x=%v: dx/dy·dy/dx = %v", c, x, dxdy*dydx)
			}
		}
		ys := append(interiorPoints(r, s, s.Y, s.Cy), tailPoints(r, c.y0, c.y1)...)
		ys = append(ys, s.Y...)
		ys = append(ys, c.y0, c.y1, s.Cy)
		for _, y := range ys {
			x, _ := s.Inverse(y)
			y2, dydx := s.Forward(x)
			if !near(y2, y, 0, 1e-12*max(1, math.Abs(y))+condInv(x, dydx)) {
				t.Errorf("%v: Forward(Inverse(%v)) = %v (diff %.3g)", c, y, y2, y2-y)
			}
		}
	}
}

// TestInverseSteepBin checks the inverse in a bin that is much wider than
// high with large end slopes, where f is well conditioned near the ends of
// the bin but the textbook root formula ξ = 2c/(−b − √(b²−4ac)) cancels
// catastrophically near ξ = 1 (b < 0 there).
func TestInverseSteepBin(t *testing.T) {
	vOf := func(d float64) float64 { return math.Log(math.Expm1(beta*d)) / beta } // softplus⁻¹
	s := New(2)
	s.SetParams([]float64{0}, []float64{0}, []float64{vOf(2.3), vOf(1.2)}, 0, 1, 0, 0.01, false)
	if !near(s.D[0], 2.3, 1e-14, 0) || !near(s.D[1], 1.2, 1e-14, 0) {
		t.Fatalf("D = %v", s.D)
	}
	for _, om := range []float64{0.5, 0.1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6} {
		for _, x := range []float64{1 - om, om} {
			y, d := s.Forward(x)
			x2, _ := s.Inverse(y)
			// Well conditioned: the error allowed is a few ulp(y)·dx/dy.
			if !near(x2, x, 0, 1e-15+condInv(y, 1/d)) {
				t.Errorf("Inverse(Forward(%v)) = %v (diff %.3g, dx/dy=%.3g)", x, x2, x2-x, 1/d)
			}
		}
	}
}

func TestMonotone(t *testing.T) {
	for _, c := range allSetups(5) {
		s := c.build()
		const n = 100000
		lo, hi := c.x0-1, c.x1+1
		yPrev, _ := s.Forward(lo)
		for i := 1; i <= n; i++ {
			x := lo + (hi-lo)*float64(i)/n
			y, d := s.Forward(x)
			if !(y > yPrev) || !(d > 0) {
				t.Fatalf("%v: not strictly increasing at x=%v: y=%v prev=%v dy/dx=%v", c, x, y, yPrev, d)
			}
			yPrev = y
		}
		// Same for the inverse.
		lo, hi = c.y0-1, c.y1+1
		xPrev, _ := s.Inverse(lo)
		for i := 1; i <= n; i++ {
			y := lo + (hi-lo)*float64(i)/n
			x, d := s.Inverse(y)
			if !(x > xPrev) || !(d > 0) {
				t.Fatalf("%v: inverse not strictly increasing at y=%v", c, y)
			}
			xPrev = x
		}
	}
}

func TestDerivativeFD(t *testing.T) {
	r := newRNG(6)
	const h0 = 1e-6
	for _, c := range allSetups(6) {
		s := c.build()
		xs := append(interiorPoints(r, s, s.X, s.Cx), tailPoints(r, c.x0, c.x1)...)
		for _, x := range xs {
			y, d := s.Forward(x)
			h := fdStep(s, false, x, h0)
			fd := centralFD(func(e float64) float64 { y, _ := s.Forward(x + e); return y }, h)
			// Noise: rounding of y, and of x+e (times the slope).
			if !near(d, fd, 1e-6, 4*(eps*max(1, math.Abs(y))+condInv(x, d))/h) {
				t.Errorf("%v: x=%v: dy/dx=%v, FD %v", c, x, d, fd)
			}
		}
		ys := append(interiorPoints(r, s, s.Y, s.Cy), tailPoints(r, c.y0, c.y1)...)
		for _, y := range ys {
			x, d := s.Inverse(y)
			h := fdStep(s, true, y, h0)
			fd := centralFD(func(e float64) float64 { x, _ := s.Inverse(y + e); return x }, h)
			if !near(d, fd, 1e-6, 4*(eps*max(1, math.Abs(x))+condInv(y, d))/h) {
				t.Errorf("%v: y=%v: dx/dy=%v, FD %v", c, y, d, fd)
			}
			_, dydx := s.Forward(x)
			if !near(d*dydx, 1, 0, 1e-12+condLogDeriv(s, x, 0)) {
				t.Errorf("%v: y=%v: dx/dy·dy/dx = %v", c, y, d*dydx)
			}
		}
	}
}

func TestSymmetry(t *testing.T) {
	r := newRNG(7)
	var cases []setup
	for _, c := range allSetups(7) {
		if c.sym {
			cases = append(cases, c)
		}
	}
	// Generalisation: different (dyadic) x and y centres, reflection about
	// (cx, cy).
	for _, k := range []int{2, 6} {
		c := randSetup(r, k, true)
		c.y0 += 0.375
		c.y1 += 0.375
		cases = append(cases, c)
	}
	for _, c := range cases {
		s := c.build()
		cx, cy := s.Cx, s.Cy
		if cx != (c.x0+c.x1)/2 || cy != (c.y0+c.y1)/2 || s.X[0] != cx || s.Y[0] != cy {
			t.Fatalf("%v: centre Cx=%v Cy=%v X0=%v Y0=%v", c, cx, cy, s.X[0], s.Y[0])
		}
		if y, d := s.Forward(cx); y != cy || !near(d, s.D[0], 1e-14, 0) {
			t.Errorf("%v: f(c)=(%v,%v), want (c, D0)=(%v,%v)", c, y, d, cy, s.D[0])
		}
		if x, d := s.Inverse(cy); x != cx || !near(d, 1/s.D[0], 1e-14, 0) {
			t.Errorf("%v: f⁻¹(c)=(%v,%v), want (c, 1/D0)=(%v,%v)", c, x, d, cx, 1/s.D[0])
		}
		// Dyadic offsets u, so that c ± u and the internal reflection
		// 2c − (c − u) are exact; the derivative may then be compared
		// tightly even where f″ is huge (narrow bins). At the knots
		// themselves (last len(s.X) entries) only values are compared: there
		// c − u is rounded and f′ varies on the scale of the narrow bins.
		scale := c.x1 - c.x0
		var us []float64
		for range 300 {
			us = append(us, math.Round(1.5*scale*r.Float64()*(1<<20))/(1<<20))
		}
		nDyadic := len(us)
		for _, x := range s.X {
			us = append(us, x-cx)
		}
		for i, u := range us {
			yp, dp := s.Forward(cx + u)
			ym, dm := s.Forward(cx - u)
			if !near(ym, 2*cy-yp, 0, 1e-13*max(1, math.Abs(yp))+condInv(cx+u, dp)) {
				t.Errorf("%v: u=%v: f(c-u)=%v, 2c-f(c+u)=%v", c, u, ym, 2*cy-yp)
			}
			if i < nDyadic && !near(dp, dm, 1e-13, 0) {
				t.Errorf("%v: u=%v: f'(c+u)=%v, f'(c-u)=%v", c, u, dp, dm)
			}
			xp, ip := s.Inverse(cy + u)
			xm, im := s.Inverse(cy - u)
			if !near(xm, 2*cx-xp, 0, 1e-13*max(1, math.Abs(xp))+condInv(cy+u, ip)) {
				t.Errorf("%v: u=%v: f⁻¹(c-u)=%v, 2c-f⁻¹(c+u)=%v", c, u, xm, 2*cx-xp)
			}
			if i < nDyadic && !near(ip, im, 1e-13, 0) {
				t.Errorf("%v: u=%v: (f⁻¹)'(c+u)=%v, (f⁻¹)'(c-u)=%v", c, u, ip, im)
			}
		}
	}
}

// lossF is L = gy·y + gl·log(dy/dx) of the forward map.
func lossF(s *Spline, x, gy, gl float64) float64 {
	y, d := s.Forward(x)
	return gy*y + gl*math.Log(d)
}

// lossI is L = gx·x + gl·log(dx/dy) of the inverse map.
func lossI(s *Spline, y, gx, gl float64) float64 {
	x, d := s.Inverse(y)
	return gx*x + gl*math.Log(d)
}

// checkVJP compares the analytic input and parameter cotangents with central
// finite differences of L (step 1e-6) for one point.
func checkVJP(t *testing.T, c setup, inverse bool, p, g1, gl float64) {
	t.Helper()
	const h0 = 1e-6
	s := c.build()
	k := c.k
	loss := func(s *Spline, p float64) float64 {
		if inverse {
			return lossI(s, p, g1, gl)
		}
		return lossF(s, p, g1, gl)
	}
	gX, gY, gD := make([]float64, k), make([]float64, k), make([]float64, k)
	var gp float64
	if inverse {
		gp = s.InverseVJP(p, g1, gl, gX, gY, gD)
	} else {
		gp = s.ForwardVJP(p, g1, gl, gX, gY, gD)
	}
	gw, gh, gv := make([]float64, k-1), make([]float64, k-1), make([]float64, k)
	s.ParamsVJP(gX, gY, gD, gw, gh, gv)

	h := fdStep(s, inverse, p, h0)

	// Absolute floor for the comparisons: the rounding noise of the finite
	// difference, ≈ ε/h times the sensitivity-weighted magnitudes of every
	// rounded input of L (point, knots). With narrow bins the knot
	// cotangents can reach 10³ while a parameter cotangent, a sum of such
	// terms, is 10⁻³, so a purely relative test would only measure noise.
	atol := noiseFloor(s, inverse, p, g1, gl, loss(s, p), h)

	fd := centralFD(func(e float64) float64 { return loss(s, p+e) }, h)
	if !near(gp, fd, 1e-6, atol) {
		t.Errorf("%v inverse=%v p=%v: input cotangent %v, FD %v", c, inverse, p, gp, fd)
	}
	params := []struct {
		name string
		get  func(setup) []float64
		grad []float64
	}{
		{"w", func(c setup) []float64 { return c.w }, gw},
		{"h", func(c setup) []float64 { return c.h }, gh},
		{"v", func(c setup) []float64 { return c.v }, gv},
	}
	for _, par := range params {
		for j := range par.grad {
			fd := centralFD(func(e float64) float64 {
				cp := c.clone()
				par.get(cp)[j] += e
				return loss(cp.build(), p)
			}, h)
			if !near(par.grad[j], fd, 1e-6, atol) {
				t.Errorf("%v inverse=%v p=%v: d/d%s[%d] = %v, FD %v", c, inverse, p, par.name, j, par.grad[j], fd)
			}
		}
	}
}

func TestForwardVJP(t *testing.T) {
	r := newRNG(8)
	for _, c := range allSetups(8) {
		s := c.build()
		tp := tailPoints(r, c.x0, c.x1)
		xs := append(interiorPoints(r, s, s.X, s.Cx), tp[0], tp[1], tp[3], tp[4])
		for _, x := range xs {
			checkVJP(t, c, false, x, r.NormFloat64(), r.NormFloat64())
		}
	}
}

func TestInverseVJP(t *testing.T) {
	r := newRNG(9)
	for _, c := range allSetups(9) {
		s := c.build()
		tp := tailPoints(r, c.y0, c.y1)
		ys := append(interiorPoints(r, s, s.Y, s.Cy), tp[0], tp[1], tp[3], tp[4])
		for _, y := range ys {
			checkVJP(t, c, true, y, r.NormFloat64(), r.NormFloat64())
		}
	}
}

// TestKnotVJP checks the knot cotangents themselves (including the end knots,
// which ParamsVJP discards) by perturbing the exported knot arrays.
func TestKnotVJP(t *testing.T) {
	r := newRNG(10)
	const h0 = 1e-6
	for _, c := range allSetups(10) {
		s := c.build()
		for _, inverse := range []bool{false, true} {
			var ps []float64
			if inverse {
				tp := tailPoints(r, c.y0, c.y1)
				ps = append(interiorPoints(r, s, s.Y, s.Cy), tp[0], tp[1], tp[3], tp[4])
			} else {
				tp := tailPoints(r, c.x0, c.x1)
				ps = append(interiorPoints(r, s, s.X, s.Cx), tp[0], tp[1], tp[3], tp[4])
			}
			for _, p := range ps {
				g1, gl := r.NormFloat64(), r.NormFloat64()
				loss := func() float64 {
					if inverse {
						return lossI(s, p, g1, gl)
					}
					return lossF(s, p, g1, gl)
				}
				gK := [3][]float64{make([]float64, c.k), make([]float64, c.k), make([]float64, c.k)}
				if inverse {
					s.InverseVJP(p, g1, gl, gK[0], gK[1], gK[2])
				} else {
					s.ForwardVJP(p, g1, gl, gK[0], gK[1], gK[2])
				}
				h := fdStep(s, inverse, p, h0)
				atol := noiseFloor(s, inverse, p, g1, gl, loss(), h)
				for a, arr := range [3][]float64{s.X, s.Y, s.D} {
					for j := range arr {
						old := arr[j]
						fd := centralFD(func(e float64) float64 {
							arr[j] = old + e
							return loss()
						}, h)
						arr[j] = old
						if !near(gK[a][j], fd, 1e-6, atol) {
							t.Errorf("%v inverse=%v p=%v: d/d%c[%d] = %v, FD %v", c, inverse, p, "XYD"[a], j, gK[a][j], fd)
						}
					}
				}
			}
		}
	}
}

// TestParamsVJP checks ParamsVJP as the exact adjoint of (w,h,v) → (X,Y,D)
// with random cotangents on every knot, including the (constant) end knots.
func TestParamsVJP(t *testing.T) {
	r := newRNG(11)
	const h = 1e-6
	for _, c := range allSetups(11) {
		k := c.k
		gX, gY, gD := randVec(r, k, 1), randVec(r, k, 1), randVec(r, k, 1)
		loss := func(c setup) float64 {
			s := c.build()
			var l float64
			for i := range k {
				l += gX[i]*s.X[i] + gY[i]*s.Y[i] + gD[i]*s.D[i]
			}
			return l
		}
		gw, gh, gv := make([]float64, k-1), make([]float64, k-1), make([]float64, k)
		c.build().ParamsVJP(gX, gY, gD, gw, gh, gv)
		for pi, grad := range [3][]float64{gw, gh, gv} {
			for j := range grad {
				fd := centralFD(func(e float64) float64 {
					cp := c.clone()
					[3][]float64{cp.w, cp.h, cp.v}[pi][j] += e
					return loss(cp)
				}, h)
				if !near(grad[j], fd, 1e-6, 1e-8*max(1, math.Abs(loss(c)))) {
					t.Errorf("%v: d/d%c[%d] = %v, FD %v", c, "whv"[pi], j, grad[j], fd)
				}
			}
		}
	}
}

// TestVJPAccumulates checks that the VJPs add into (not overwrite) the
// gradient buffers and that nil buffers are accepted.
func TestVJPAccumulates(t *testing.T) {
	r := newRNG(12)
	for _, c := range allSetups(12) {
		s := c.build()
		k := c.k
		for _, inverse := range []bool{false, true} {
			vjp := s.ForwardVJP
			p := c.x0 + (c.x1-c.x0)*r.Float64()
			if inverse {
				vjp = s.InverseVJP
				p = c.y0 + (c.y1-c.y0)*r.Float64()
			}
			g1, gl := r.NormFloat64(), r.NormFloat64()
			zero := [3][]float64{make([]float64, k), make([]float64, k), make([]float64, k)}
			pre := [3][]float64{randVec(r, k, 1), randVec(r, k, 1), randVec(r, k, 1)}
			orig := [3][]float64{append([]float64(nil), pre[0]...), append([]float64(nil), pre[1]...), append([]float64(nil), pre[2]...)}
			a := vjp(p, g1, gl, zero[0], zero[1], zero[2])
			b := vjp(p, g1, gl, pre[0], pre[1], pre[2])
			n := vjp(p, g1, gl, nil, nil, nil)
			if a != b || a != n {
				t.Errorf("%v: input cotangent depends on buffers: %v %v %v", c, a, b, n)
			}
			for i := range 3 {
				for j := range k {
					if !near(pre[i][j], orig[i][j]+zero[i][j], 1e-15, 1e-15) {
						t.Errorf("%v inverse=%v: buffer %d[%d] = %v, want %v+%v", c, inverse, i, j, pre[i][j], orig[i][j], zero[i][j])
					}
				}
			}
			// ParamsVJP adds, too.
			p0 := [3][]float64{make([]float64, k-1), make([]float64, k-1), make([]float64, k)}
			p1 := [3][]float64{randVec(r, k-1, 1), randVec(r, k-1, 1), randVec(r, k, 1)}
			var pOrig [3][]float64
			for i := range 3 {
				pOrig[i] = append([]float64(nil), p1[i]...)
			}
			s.ParamsVJP(zero[0], zero[1], zero[2], p0[0], p0[1], p0[2])
			s.ParamsVJP(zero[0], zero[1], zero[2], p1[0], p1[1], p1[2])
			for i := range 3 {
				for j := range p0[i] {
					if !near(p1[i][j], pOrig[i][j]+p0[i][j], 1e-15, 1e-15) {
						t.Errorf("%v: ParamsVJP overwrote %c[%d]", c, "whv"[i], j)
					}
				}
			}
		}
	}
}

func TestNoAllocs(t *testing.T) {
	c := randSetup(newRNG(13), 10, true)
	s := c.build()
	k := c.k
	gX, gY, gD := make([]float64, k), make([]float64, k), make([]float64, k)
	gw, gh, gv := make([]float64, k-1), make([]float64, k-1), make([]float64, k)
	var sink float64
	fs := map[string]func(){
		"Forward":    func() { y, d := s.Forward(0.3); sink += y + d },
		"Inverse":    func() { y, d := s.Inverse(-0.3); sink += y + d },
		"ForwardVJP": func() { sink += s.ForwardVJP(-0.2, 1, 1, gX, gY, gD) },
		"InverseVJP": func() { sink += s.InverseVJP(0.2, 1, 1, gX, gY, gD) },
		"ParamsVJP":  func() { s.ParamsVJP(gX, gY, gD, gw, gh, gv) },
		"SetParams":  func() { s.SetParams(c.w, c.h, c.v, c.x0, c.x1, c.y0, c.y1, c.sym) },
	}
	for name, f := range fs {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s allocates %v times per call", name, n)
		}
	}
	_ = sink
}

// Benchmarks use K = 10 and 1024 points, mostly inside the box.

func benchSetup(b *testing.B) (*Spline, []float64) {
	r := newRNG(14)
	c := randSetup(r, 10, false)
	s := c.build()
	xs := make([]float64, 1024)
	for i := range xs {
		xs[i] = c.x0 - 0.05*(c.x1-c.x0) + 1.1*(c.x1-c.x0)*r.Float64()
	}
	b.ResetTimer()
	return s, xs
}

var benchSink float64

func BenchmarkForward(b *testing.B) {
	s, xs := benchSetup(b)
	var acc float64
	for i := 0; b.Loop(); i++ {
		y, d := s.Forward(xs[i&1023])
		acc += y + d
	}
	benchSink = acc
}

func BenchmarkInverse(b *testing.B) {
	s, xs := benchSetup(b)
	var acc float64
	for i := 0; b.Loop(); i++ {
		x, d := s.Inverse(xs[i&1023])
		acc += x + d
	}
	benchSink = acc
}

func BenchmarkForwardVJP(b *testing.B) {
	s, xs := benchSetup(b)
	gX, gY, gD := make([]float64, 10), make([]float64, 10), make([]float64, 10)
	var acc float64
	for i := 0; b.Loop(); i++ {
		acc += s.ForwardVJP(xs[i&1023], 0.7, -0.3, gX, gY, gD)
	}
	benchSink = acc
}

func BenchmarkInverseVJP(b *testing.B) {
	s, xs := benchSetup(b)
	gX, gY, gD := make([]float64, 10), make([]float64, 10), make([]float64, 10)
	var acc float64
	for i := 0; b.Loop(); i++ {
		acc += s.InverseVJP(xs[i&1023], 0.7, -0.3, gX, gY, gD)
	}
	benchSink = acc
}

func BenchmarkSetParams(b *testing.B) {
	c := randSetup(newRNG(15), 10, false)
	s := c.build()
	for b.Loop() {
		s.SetParams(c.w, c.h, c.v, c.x0, c.x1, c.y0, c.y1, false)
	}
}

func BenchmarkParamsVJP(b *testing.B) {
	c := randSetup(newRNG(16), 10, false)
	s := c.build()
	r := newRNG(17)
	gX, gY, gD := randVec(r, 10, 1), randVec(r, 10, 1), randVec(r, 10, 1)
	gw, gh, gv := make([]float64, 9), make([]float64, 9), make([]float64, 10)
	for b.Loop() {
		s.ParamsVJP(gX, gY, gD, gw, gh, gv)
	}
}

// InverseVJPAt, given the known inverse, agrees with InverseVJP.
func TestInverseVJPAt(t *testing.T) {
	r := newRNG(19)
	for _, c := range allSetups(19) {
		s := c.build()
		k := len(s.X)
		tp := tailPoints(r, c.y0, c.y1)
		ys := append(interiorPoints(r, s, s.Y, s.Cy), tp[0], tp[1], tp[3], tp[4])
		for _, y := range ys {
			x, _ := s.Inverse(y)
			gx, gl := r.NormFloat64(), r.NormFloat64()
			a := [3][]float64{make([]float64, k), make([]float64, k), make([]float64, k)}
			b := [3][]float64{make([]float64, k), make([]float64, k), make([]float64, k)}
			ga := s.InverseVJP(y, gx, gl, a[0], a[1], a[2])
			gb := s.InverseVJPAt(x, gx, gl, b[0], b[1], b[2])
			if !(math.Abs(ga-gb) <= 1e-9*(1+math.Abs(ga))) {
				t.Errorf("%v y=%g: InverseVJP %.12g, InverseVJPAt %.12g", c, y, ga, gb)
			}
			for j := range a {
				for i := range a[j] {
					if !(math.Abs(a[j][i]-b[j][i]) <= 1e-9*(1+math.Abs(a[j][i]))) {
						t.Errorf("%v y=%g: knot cotangent %d[%d]: %.12g vs %.12g", c, y, j, i, a[j][i], b[j][i])
					}
				}
			}
			if got := s.InverseVJPAt(x, gx, gl, nil, nil, nil); got != gb {
				t.Errorf("%v: nil knot buffers change the result", c)
			}
		}
	}
}
