package spline

import (
	"math"
	"math/big"
	"testing"
)

// refEnd evaluates the spline at distance d from an end in 1200-bit
// arithmetic from the knots as stored (exact for any float64 d, subnormals
// included): the distances of x and S(x) from the ends and S′(x).
func refEnd(s *Spline, d float64, upper bool) Point {
	const prec = 1200
	f := func(v float64) *big.Float { return new(big.Float).SetPrec(prec).SetFloat64(v) }
	add := func(a, b *big.Float) *big.Float { return new(big.Float).SetPrec(prec).Add(a, b) }
	sub := func(a, b *big.Float) *big.Float { return new(big.Float).SetPrec(prec).Sub(a, b) }
	mul := func(a, b *big.Float) *big.Float { return new(big.Float).SetPrec(prec).Mul(a, b) }
	quo := func(a, b *big.Float) *big.Float { return new(big.Float).SetPrec(prec).Quo(a, b) }
	fl := func(a *big.Float) float64 { v, _ := a.Float64(); return v }
	n := len(s.X) - 1
	x := add(f(s.X[0]), f(d))
	if upper {
		x = sub(f(s.X[n]), f(d))
	}
	k := 0
	for k < n-1 && f(s.X[k+1]).Cmp(x) <= 0 {
		k++
	}
	w, h := sub(f(s.X[k+1]), f(s.X[k])), sub(f(s.Y[k+1]), f(s.Y[k]))
	sl := quo(h, w)
	xi, eta := quo(sub(x, f(s.X[k])), w), quo(sub(f(s.X[k+1]), x), w)
	t := mul(xi, eta)
	da, db := f(s.D[k]), f(s.D[k+1])
	del := sub(add(da, db), mul(f(2), sl))
	q := add(sl, mul(del, t))
	ylo := add(sub(f(s.Y[k]), f(s.Y[0])), quo(mul(h, add(mul(sl, mul(xi, xi)), mul(da, t))), q))
	yhi := add(sub(f(s.Y[n]), f(s.Y[k+1])), quo(mul(h, add(mul(sl, mul(eta, eta)), mul(db, t))), q))
	num := add(add(mul(db, mul(xi, xi)), mul(mul(f(2), sl), t)), mul(da, mul(eta, eta)))
	deriv := quo(mul(mul(sl, sl), num), mul(q, q))
	p := Point{XLo: fl(sub(x, f(s.X[0]))), XHi: fl(sub(f(s.X[n]), x)), YLo: fl(ylo), YHi: fl(yhi), Deriv: fl(deriv)}
	switch {
	case d > 0 && upper:
		p.Ratio = fl(quo(yhi, f(d)))
	case d > 0:
		p.Ratio = fl(quo(ylo, f(d)))
	case upper:
		p.Ratio = s.D[n]
	default:
		p.Ratio = s.D[0]
	}
	return p
}

// endDistances are distances from an end over the whole float64 range, as
// fractions of the knot interval.
func endDistances() []float64 {
	ds := []float64{0, 5e-324, 1e-310, 1e-300, 1e-200, 1e-100, 1e-30, 1e-17, 1e-16, 3e-9, 1e-5, 1e-3, 0.02, 0.1, 0.3, 0.5, 0.77, 1}
	return ds
}

// TestForwardEndAccuracy: every field of ForwardEnd against the 1200-bit
// reference, to a few ulps in relative terms, from both ends and at every
// scale of the distance (where x = X_{K−1} − d itself has no digits of d
// left, and where d underflows).
func TestForwardEndAccuracy(t *testing.T) {
	for _, c := range allSetups(41) {
		s := c.build()
		n := len(s.X) - 1
		l := s.X[n] - s.X[0]
		for _, upper := range []bool{false, true} {
			for _, fr := range endDistances() {
				d := fr * l
				got, want := s.ForwardEnd(d, upper), refEnd(s, d, upper)
				// The distances of x are exact by construction up to one
				// rounding of the knot differences.
				for _, cmp := range []struct {
					name      string
					got, want float64
					rtol      float64
				}{
					{"XLo", got.XLo, want.XLo, 4 * eps}, {"XHi", got.XHi, want.XHi, 4 * eps},
					{"YLo", got.YLo, want.YLo, 64 * eps}, {"YHi", got.YHi, want.YHi, 64 * eps},
					{"Ratio", got.Ratio, want.Ratio, 64 * eps}, {"Deriv", got.Deriv, want.Deriv, 64 * eps},
				} {
					// Absolute floor: the rounding of a distance between knots
					// (the point's own position within a bin is known to ε·L).
					atol := 0.0
					if cmp.name[0] != 'R' && cmp.name != "Deriv" {
						atol = 4 * eps * (s.Y[n] - s.Y[0] + l)
					}
					if cmp.name == "Deriv" || cmp.name == "Ratio" {
						// relative to the end slope: both vary on the scale of a bin
						atol = 64 * eps * (s.D[0] + s.D[n]) * max(1, l/(s.X[1]-s.X[0]), l/(s.X[n]-s.X[n-1]))
					}
					if !near(cmp.got, cmp.want, cmp.rtol, atol) || math.IsNaN(cmp.got) {
						t.Errorf("%v upper=%v d=%g: %s = %.17g, reference %.17g", c, upper, d, cmp.name, cmp.got, cmp.want)
					}
				}
			}
		}
	}
}

// TestForwardEndTails: near either end, the distance of S(x) is d·Ratio to
// full relative precision (no absolute floor), and Ratio is the end slope at
// d = 0 and for underflowing d.
func TestForwardEndTails(t *testing.T) {
	for _, c := range allSetups(43) {
		s := c.build()
		n := len(s.X) - 1
		for _, upper := range []bool{false, true} {
			dEnd := s.D[0]
			if upper {
				dEnd = s.D[n]
			}
			for _, d := range []float64{0, 5e-324, 1e-320, 1e-300, 1e-100, 1e-20} {
				p, ref := s.ForwardEnd(d, upper), refEnd(s, d, upper)
				if !near(p.Ratio, ref.Ratio, 16*eps, 0) || !near(p.Deriv, ref.Deriv, 16*eps, 0) {
					t.Errorf("%v upper=%v d=%g: Ratio %.17g Deriv %.17g, reference %.17g %.17g", c, upper, d, p.Ratio, p.Deriv, ref.Ratio, ref.Deriv)
				}
				if d < 1e-300 && !near(p.Ratio, dEnd, 4*eps, 0) {
					t.Errorf("%v upper=%v d=%g: Ratio %.17g, end slope %.17g", c, upper, d, p.Ratio, dEnd)
				}
				ynear := p.YLo
				if upper {
					ynear = p.YHi
				}
				if d > 1e-300 && !near(ynear, d*p.Ratio, 4*eps, 0) {
					t.Errorf("%v upper=%v d=%g: distance of S %g, d·Ratio %g", c, upper, d, ynear, d*p.Ratio)
				}
			}
		}
	}
}

// TestForwardEndMatchesForward: ForwardEnd and Forward agree inside the
// interval to rounding (an absolute comparison: Forward works with x).
func TestForwardEndMatchesForward(t *testing.T) {
	r := newRNG(45)
	for _, c := range allSetups(45) {
		s := c.build()
		n := len(s.X) - 1
		l := s.X[n] - s.X[0]
		for range 50 {
			x := s.X[0] + r.Float64()*l
			y, dydx := s.Forward(x)
			for _, upper := range []bool{false, true} {
				d := x - s.X[0]
				if upper {
					d = s.X[n] - x
				}
				p := s.ForwardEnd(d, upper)
				tol := 16 * eps * (1 + math.Abs(y) + dydx*max(1, math.Abs(x)))
				if !near(s.Y[0]+p.YLo, y, 0, tol) || !near(s.Y[n]-p.YHi, y, 0, tol) ||
					!near(p.Deriv, dydx, 0, condLogDeriv(s, x, 0)*dydx+16*eps*dydx) {
					t.Errorf("%v upper=%v x=%g: ForwardEnd %+v, Forward (%.17g, %.17g)", c, upper, x, p, y, dydx)
				}
			}
		}
	}
}

// TestInverseEnd: InverseEnd undoes ForwardEnd from either end to full
// relative precision in the distances (a few ulps times the conditioning
// of the map), including distances that underflow, and agrees with Inverse.
func TestInverseEnd(t *testing.T) {
	steep := setup{k: 4, w: []float64{0.3, -2, 1}, h: []float64{-3, 2, 0.5}, v: []float64{-20, 4, -3, 9},
		x0: 0, x1: 1, y0: 0, y1: 1}
	for _, c := range append(allSetups(47), steep) {
		s := c.build()
		n := len(s.X) - 1
		ly := s.Y[n] - s.Y[0]
		for _, upper := range []bool{false, true} {
			for _, fr := range endDistances() {
				d := fr * ly
				p := s.InverseEnd(d, upper)
				dx, dy := p.XLo, p.YLo
				if upper {
					dx, dy = p.XHi, p.YHi
				}
				if !near(dy, d, 4*eps, 4*eps*ly) {
					t.Errorf("%v upper=%v d=%g: YLo/YHi %+v", c, upper, d, p)
				}
				// x's distance from the end, d/Ratio: reproduced by the forward map.
				f := s.ForwardEnd(dx, upper)
				fy := f.YLo
				if upper {
					fy = f.YHi
				}
				cond := max(1, p.Ratio/p.Deriv, p.Deriv/p.Ratio)
				if !near(fy, d, 64*eps*cond, 8*eps*ly) {
					t.Errorf("%v upper=%v d=%g: ForwardEnd(InverseEnd) = %.17g (x distance %g)", c, upper, d, fy, dx)
				}
				// Ratio and S′ at the same point, up to its rounding.
				xabs := s.X[0] + p.XLo
				cl := condLogDeriv(s, xabs, 0) + 64*eps
				if !near(f.Ratio, p.Ratio, cl, 0) || !near(f.Deriv, p.Deriv, cl, 0) {
					t.Errorf("%v upper=%v d=%g: Ratio %.17g/%.17g, Deriv %.17g/%.17g", c, upper, d, p.Ratio, f.Ratio, p.Deriv, f.Deriv)
				}
				if d >= 1e-300 && d < 1e-16 && !near(dx, d/p.Ratio, 8*eps, 0) {
					t.Errorf("%v upper=%v d=%g: x distance %.17g, d/Ratio %.17g", c, upper, d, dx, d/p.Ratio)
				}
				// Against Inverse, absolutely.
				y := s.Y[0] + d
				if upper {
					y = s.Y[n] - d
				}
				x, dxdy := s.Inverse(y)
				if !near(s.X[0]+p.XLo, x, 0, 1e-15+condInv(y, dxdy)) {
					t.Errorf("%v upper=%v d=%g: InverseEnd x = %.17g, Inverse %.17g", c, upper, d, s.X[0]+p.XLo, x)
				}
			}
		}
	}
}

// lossEnd is the objective of ForwardEndVJP.
func lossEnd(s *Spline, d float64, upper bool, gS, gR, gl float64) float64 {
	p := s.ForwardEnd(d, upper)
	return gS*(s.Y[0]+p.YLo) + gR*math.Log(p.Ratio) + gl*math.Log(p.Deriv)
}

// TestForwardEndVJP: ∂L/∂d and the parameter cotangents (through ParamsVJP)
// against finite differences, in every bin from both ends, and finite values
// at d = 0 and for underflowing d.
func TestForwardEndVJP(t *testing.T) {
	r := newRNG(49)
	for _, c := range allSetups(49) {
		s := c.build()
		k := c.k
		n := k - 1
		l := s.X[n] - s.X[0]
		for _, upper := range []bool{false, true} {
			for _, fr := range []float64{0, 1e-300, 1e-9, 1e-3, 0.05, 0.2, 0.37, 0.5, 0.66, 0.9, 0.999} {
				d := fr * l
				gS, gR, gl := r.NormFloat64(), r.NormFloat64(), r.NormFloat64()
				gX, gY, gD := make([]float64, k), make([]float64, k), make([]float64, k)
				gd := s.ForwardEndVJP(d, upper, gS, gR, gl, gX, gY, gD)
				gw, gh, gv := make([]float64, k-1), make([]float64, k-1), make([]float64, k)
				s.ParamsVJP(gX, gY, gD, gw, gh, gv)
				for _, g := range append(append(append([]float64{gd}, gw...), gh...), gv...) {
					if math.IsNaN(g) || math.IsInf(g, 0) {
						t.Fatalf("%v upper=%v d=%g: cotangent %g", c, upper, d, g)
					}
				}
				base := lossEnd(s, d, upper, gS, gR, gl)
				const h = 1e-6
				if fr >= 1e-3 && fr <= 0.999 {
					hd := h * min(l, 1)
					fd := centralFD(func(e float64) float64 { return lossEnd(s, d+e, upper, gS, gR, gl) }, hd)
					if !near(gd, fd, 1e-5, 1e-7*max(1, math.Abs(base))/min(l, 1)) {
						t.Errorf("%v upper=%v d=%g: ∂L/∂d = %.10g, FD %.10g", c, upper, d, gd, fd)
					}
				}
				for pi, grad := range [3][]float64{gw, gh, gv} {
					for j := range grad {
						fd := centralFD(func(e float64) float64 {
							cp := c.clone()
							[3][]float64{cp.w, cp.h, cp.v}[pi][j] += e
							return lossEnd(cp.build(), d, upper, gS, gR, gl)
						}, h)
						if !near(grad[j], fd, 1e-5, 1e-7*max(1, math.Abs(base))) {
							t.Errorf("%v upper=%v d=%g: ∂L/∂%c[%d] = %.10g, FD %.10g", c, upper, d, "whv"[pi], j, grad[j], fd)
						}
					}
				}
			}
		}
	}
}

// TestForwardEndVJPMatchesForwardVJP: without the ratio term, the knot
// cotangents of the interior knots and derivatives and ∂L/∂x are those of
// ForwardVJP (at fixed end knots, fixed d is fixed x).
func TestForwardEndVJPMatchesForwardVJP(t *testing.T) {
	r := newRNG(51)
	for _, c := range allSetups(51) {
		s := c.build()
		k := c.k
		n := k - 1
		for range 10 {
			x := s.X[0] + r.Float64()*(s.X[n]-s.X[0])
			gS, gl := r.NormFloat64(), r.NormFloat64()
			aX, aY, aD := make([]float64, k), make([]float64, k), make([]float64, k)
			gx := s.ForwardVJP(x, gS, gl, aX, aY, aD)
			for _, upper := range []bool{false, true} {
				d, sign := x-s.X[0], 1.0
				if upper {
					d, sign = s.X[n]-x, -1
				}
				bX, bY, bD := make([]float64, k), make([]float64, k), make([]float64, k)
				gd := s.ForwardEndVJP(d, upper, gS, 0, gl, bX, bY, bD)
				scale := 1e-9 * (1 + math.Abs(gx))
				if !near(sign*gd, gx, 1e-9, scale) {
					t.Errorf("%v x=%g upper=%v: ∂L/∂d = %g, ∂L/∂x = %g", c, x, upper, gd, gx)
				}
				for j := 1; j < n; j++ {
					if !near(bX[j], aX[j], 1e-9, scale) || !near(bY[j], aY[j], 1e-9, scale) {
						t.Errorf("%v x=%g upper=%v: knot %d: %g %g vs %g %g", c, x, upper, j, bX[j], bY[j], aX[j], aY[j])
					}
				}
				for j := range bD {
					if !near(bD[j], aD[j], 1e-9, scale) {
						t.Errorf("%v x=%g upper=%v: gD[%d] = %g vs %g", c, x, upper, j, bD[j], aD[j])
					}
				}
				if bX[0] != 0 || bX[n] != 0 || bY[0] != 0 || bY[n] != 0 {
					t.Errorf("%v: end knots got cotangents %g %g %g %g", c, bX[0], bX[n], bY[0], bY[n])
				}
			}
		}
	}
}
