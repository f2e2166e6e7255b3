package spline

import (
	"math"
	"math/rand/v2"
	"testing"
)

// randomCircular returns a circular spline with k knots and normal random
// parameters of the given scale, and the parameters (w, h, v).
func randomCircular(r *rand.Rand, k int, scale float64) (*Circular, [3][]float64) {
	var par [3][]float64
	for i := range par {
		par[i] = make([]float64, k-1)
		for j := range par[i] {
			par[i][j] = scale * r.NormFloat64()
		}
	}
	c := NewCircular(k)
	c.SetParams(par[0], par[1], par[2])
	return c, par
}

// TestCircularPeriodic: S(0) = 0, S(2π) = 2π and S′(0) = S′(2π) for random
// parameters, so S extends to a C¹ circle diffeomorphism; zero parameters
// give the identity.
func TestCircularPeriodic(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, k := range []int{2, 3, 8} {
		for range 20 {
			c, _ := randomCircular(r, k, 1.5)
			y0, d0 := c.Forward(0)
			y1, d1 := c.Forward(2 * math.Pi)
			if y0 != 0 || !(math.Abs(y1-2*math.Pi) <= 1e-14) {
				t.Fatalf("K=%d: S(0) = %g, S(2π) = %g", k, y0, y1)
			}
			if c.D[0] != c.D[k-1] || !(math.Abs(d0-d1) <= 1e-14*d0) {
				t.Fatalf("K=%d: S′(0) = %g ≠ S′(2π) = %g", k, d0, d1)
			}
		}
		c := NewCircular(k)
		for _, u := range []float64{0, 0.3, 3, 6.2} {
			if y, d := c.Forward(u); !(math.Abs(y-u) <= 1e-14) || !(math.Abs(d-1) <= 1e-14) {
				t.Fatalf("K=%d zero parameters: S(%g) = %g, S′ = %g", k, u, y, d)
			}
		}
	}
}

// TestCircularInverseAndDerivative: S⁻¹(S(u)) = u, dx/dy = 1/S′, and S′
// against central finite differences, on the whole period.
func TestCircularInverseAndDerivative(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		c, _ := randomCircular(r, 6, 1)
		for j := 0; j <= 200; j++ {
			u := 2 * math.Pi * float64(j) / 200
			y, d := c.Forward(u)
			x, dx := c.Inverse(y)
			if !(math.Abs(x-u) <= 1e-12) || !(math.Abs(dx*d-1) <= 1e-12) {
				t.Fatalf("u = %g: S⁻¹(S(u)) = %g, S′ (S⁻¹)′ = %g", u, x, dx*d)
			}
			if u > 1e-4 && u < 2*math.Pi-1e-4 {
				const h = 1e-6
				yp, _ := c.Forward(u + h)
				ym, _ := c.Forward(u - h)
				if fd := (yp - ym) / (2 * h); !(math.Abs(fd-d) <= 1e-6*(1+d)) {
					t.Fatalf("u = %g: S′ = %g, finite difference %g", u, d, fd)
				}
			}
		}
	}
}

// TestCircularVJP: for L = gy·S(u) + gl·log S′(u) (and the inverse with
// gx·S⁻¹(y) + gl·log (S⁻¹)′(y)), the VJPs with respect to the input and to
// the K−1 widths, heights and (tied) derivatives against central finite
// differences.
func TestCircularVJP(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const k, h = 5, 1e-6
	for trial := range 30 {
		c, par := randomCircular(r, k, 1)
		u := 2 * math.Pi * (0.02 + 0.96*r.Float64())
		gy, gl := r.NormFloat64(), r.NormFloat64()
		for _, inverse := range []bool{false, true} {
			eval := func(c *Circular, u float64) float64 {
				if inverse {
					x, d := c.Inverse(u)
					return gy*x + gl*math.Log(d)
				}
				y, d := c.Forward(u)
				return gy*y + gl*math.Log(d)
			}
			gX, gY, gD := make([]float64, k), make([]float64, k), make([]float64, k)
			var du float64
			if inverse {
				x, _ := c.Inverse(u)
				du = c.InverseVJPAt(x, gy, gl, gX, gY, gD)
			} else {
				du = c.ForwardVJP(u, gy, gl, gX, gY, gD)
			}
			g := [3][]float64{make([]float64, k-1), make([]float64, k-1), make([]float64, k-1)}
			c.ParamsVJP(gX, gY, gD, g[0], g[1], g[2])
			fd := (eval(c, u+h) - eval(c, u-h)) / (2 * h)
			if !(math.Abs(fd-du) <= 1e-5*(1+math.Abs(fd))) {
				t.Errorf("trial %d inverse=%v: ∂L/∂u = %g, finite difference %g", trial, inverse, du, fd)
			}
			for p := range par {
				for j := range par[p] {
					q := [3][]float64{append([]float64(nil), par[0]...), append([]float64(nil), par[1]...), append([]float64(nil), par[2]...)}
					q[p][j] += h
					cp := NewCircular(k)
					cp.SetParams(q[0], q[1], q[2])
					q[p][j] -= 2 * h
					cm := NewCircular(k)
					cm.SetParams(q[0], q[1], q[2])
					fd := (eval(cp, u) - eval(cm, u)) / (2 * h)
					if !(math.Abs(fd-g[p][j]) <= 1e-5*(1+math.Abs(fd))) {
						t.Errorf("trial %d inverse=%v: ∂L/∂%c[%d] = %g, finite difference %g", trial, inverse, "whv"[p], j, g[p][j], fd)
					}
				}
			}
		}
	}
}

// TestCircularSaveLoad: a spline restored by Load gives bit-identical maps,
// VJPs and parameter cotangents to the one whose state was saved.
func TestCircularSaveLoad(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	c, _ := randomCircular(r, 6, 1)
	st := make([]float64, c.StateSize())
	c.Save(st)
	d, _ := randomCircular(r, 6, 1) // other parameters, overwritten by Load
	d.Load(st)
	for range 50 {
		u := 2 * math.Pi * r.Float64()
		y1, d1 := c.Forward(u)
		y2, d2 := d.Forward(u)
		x1, _ := c.Inverse(u)
		x2, _ := d.Inverse(u)
		g := [2][3][]float64{}
		for i, s := range []*Circular{c, d} {
			gX, gY, gD := make([]float64, 6), make([]float64, 6), make([]float64, 6)
			s.ForwardVJP(u, 0.3, -1.2, gX, gY, gD)
			g[i] = [3][]float64{make([]float64, 5), make([]float64, 5), make([]float64, 5)}
			s.ParamsVJP(gX, gY, gD, g[i][0], g[i][1], g[i][2])
		}
		if y1 != y2 || d1 != d2 || x1 != x2 {
			t.Fatalf("u = %g: saved (%g, %g, %g), loaded (%g, %g, %g)", u, y1, d1, x1, y2, d2, x2)
		}
		for p := range 3 {
			for j := range 5 {
				if g[0][p][j] != g[1][p][j] {
					t.Fatalf("parameter cotangent %d/%d: %g vs %g", p, j, g[0][p][j], g[1][p][j])
				}
			}
		}
	}
}
