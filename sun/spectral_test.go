package sun

import (
	"fmt"
	"math"
	"math/cmplx"
	"testing"

	"github.com/normflow/normflow-go/rng"
	"github.com/normflow/normflow-go/stats"
)

// Spectral maps under test: SU(2) with 8 knots, SU(3) with 8 knots and 2
// features, and SU(3) with 5 knots and no features (h_2 the identity).
var spectralCases = []spectralCase{{2, 8, 0}, {3, 8, 2}, {3, 5, 0}}

type spectralCase struct{ n, knots, features int }

func (c spectralCase) String() string {
	return fmt.Sprintf("SU(%d) K=%d M=%d", c.n, c.knots, c.features)
}

// randomParams returns NumParams values N(0, scale²).
func randomParams(s *rng.Stream, sp *Spectral, scale float64) []float64 {
	p := make([]float64, sp.NumParams())
	for i := range p {
		p[i] = scale * s.Norm()
	}
	return p
}

// chart returns U exp(i Σ_a ε_a T_a).
func chart(u []complex128, eps []float64) []complex128 {
	n := Dim(u)
	x := make([]complex128, n*n)
	AlgebraElement(x, eps)
	Exp(x, x)
	Mul(x, u, x)
	return x
}

// chartCoords returns the coordinates ε of W = U exp(i Σ ε_a T_a) near U to
// third order, 2 Im Tr(T^a U†W) (AlgebraCoeffs).
func chartCoords(u, w []complex128) []float64 {
	n := Dim(u)
	m := make([]complex128, n*n)
	AdjMul(m, u, w)
	eps := make([]float64, n*n-1)
	AlgebraCoeffs(eps, m)
	return eps
}

// logAbsDet returns log|det m| of a real square matrix by Gaussian
// elimination with partial pivoting.
func logAbsDet(m [][]float64) float64 {
	n := len(m)
	a := make([][]float64, n)
	for i := range m {
		a[i] = append([]float64(nil), m[i]...)
	}
	var l float64
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		l += math.Log(math.Abs(a[c][c]))
		for r := c + 1; r < n; r++ {
			f := a[r][c] / a[c][c]
			for k := c; k < n; k++ {
				a[r][k] -= f * a[c][k]
			}
		}
	}
	return l
}

// TestSpectralIdentityParams: zero parameters give the identity map, U′ = U
// to 1e-14 and logJ = 0 to 1e-13, on random matrices and at the centre
// elements; with random parameters the centre elements are fixed points.
func TestSpectralIdentityParams(t *testing.T) {
	s := rng.New(41)
	for _, c := range spectralCases {
		sp := NewSpectral(c.n, c.knots, c.features)
		zero := make([]float64, sp.NumParams())
		p := randomParams(&s, sp, 1)
		us := [][]complex128{}
		for range 200 {
			us = append(us, randomSU(&s, c.n))
		}
		for k := range c.n {
			us = append(us, centre(c.n, k))
		}
		out := make([]complex128, c.n*c.n)
		var worst, worstL float64
		for _, u := range us {
			l := sp.Forward(out, u, zero)
			worst = max(worst, maxDiff(out, u))
			worstL = max(worstL, math.Abs(l))
		}
		t.Logf("%v: zero parameters: |U′ − U| ≤ %.2g, |logJ| ≤ %.2g", c, worst, worstL)
		if worst > 1e-14 || worstL > 1e-13 {
			t.Errorf("%v: zero parameters are not the identity: %.3g, logJ %.3g", c, worst, worstL)
		}
		for k := range c.n {
			z := centre(c.n, k)
			l := sp.Forward(out, z, p)
			if d := maxDiff(out, z); d > 1e-14 || math.IsNaN(l) || math.IsInf(l, 0) {
				t.Errorf("%v: centre element %d moves by %.3g (logJ %g)", c, k, d, l)
			}
		}
	}
}

// minGap returns the smallest distance |e^{iθ_i} − e^{iθ_j}| between two
// eigenvalues.
func minGap(theta []float64) float64 {
	g := math.Inf(1)
	for i := range theta {
		for j := i + 1; j < len(theta); j++ {
			g = min(g, 2*math.Abs(math.Sin((theta[i]-theta[j])/2)))
		}
	}
	return g
}

// TestSpectralInverse: with random parameters (N(0, 0.5²); the inverse
// loses digits like 1/h′, and N(0, 1) already gives slopes of 1e-5), Inverse(Forward(U)) = U to
// 1e-12 for random U, U near the centre elements and U with a nearly
// degenerate pair (SU(3)); θ′ lies in the cell; logJ_inv = −logJ to
// 1e-12 + 1e-14/g, g the smallest eigenvalue gap of U and U′ (an eigenvalue
// gap g is only known to ~1e-16 absolute from the matrix, and logJ depends
// on log g).
func TestSpectralInverse(t *testing.T) {
	s := rng.New(42)
	for _, c := range spectralCases {
		sp := NewSpectral(c.n, c.knots, c.features)
		out, back := make([]complex128, c.n*c.n), make([]complex128, c.n*c.n)
		th, thp := make([]float64, c.n), make([]float64, c.n)
		v := make([]complex128, c.n*c.n)
		var worst, worstL, worstGap float64
		for i := range 600 {
			p := randomParams(&s, sp, 0.5)
			var u []complex128
			switch {
			case i%3 == 0 || (i%3 == 2 && c.n == 2):
				u = randomSU(&s, c.n)
			case i%3 == 1: // near a centre element
				u = expAlgebra(&s, c.n, math.Pow(10, -1-float64(i%7)))
				Mul(u, centre(c.n, i%c.n), u)
			default: // a nearly degenerate pair in SU(3)
				x := 2 * math.Pi * s.Float64()
				y := x + 1e-7*s.Norm()
				u = withSpectrum(&s, []float64{x, y, -x - y})
			}
			l := sp.Forward(out, u, p)
			li := sp.Inverse(back, out, p)
			Eigen(v, th, u)
			sp.Angles(thp, th, p)
			if err := inCell(thp); err != nil {
				t.Fatalf("%v: θ′: %v", c, err)
			}
			worst = max(worst, maxDiff(back, u))
			g := min(minGap(th), minGap(thp))
			if d := math.Abs(l + li); d > 1e-12+1e-14/g {
				t.Errorf("%v: logJ + logJ_inv = %.3g at eigenvalue gap %.3g", c, d, g)
			} else if g > 1e-3 {
				worstL = max(worstL, d)
			} else {
				worstGap = max(worstGap, d*g)
			}
		}
		t.Logf("%v: |Inverse(Forward(U)) − U| ≤ %.2g; |logJ + logJ_inv| ≤ %.2g (gap > 1e-3), ≤ %.2g/gap (below)",
			c, worst, worstL, worstGap)
		if worst > 1e-12 {
			t.Errorf("%v: round trip off by %.3g", c, worst)
		}
	}
}

// TestSpectralLogJacobian: logJ against log|det ∂ε′/∂ε| of the map in the
// charts ε ↦ U exp(i Σ ε_a T_a) and ε′ ↦ U′ exp(i Σ ε′_a T_a), in which the
// Haar density is the same constant at ε = 0 (left invariance), by central
// differences (step 1e-5; 3×3 for SU(2), 8×8 for SU(3)), to 1e-6; and the
// same for the inverse. Dropping the Weyl factor from logJ would miss by
// O(1).
func TestSpectralLogJacobian(t *testing.T) {
	s := rng.New(43)
	const h = 1e-5
	for _, c := range spectralCases {
		sp := NewSpectral(c.n, c.knots, c.features)
		dim := c.n*c.n - 1
		out := make([]complex128, c.n*c.n)
		var worst, worstInv float64
		for range 8 {
			p := randomParams(&s, sp, 0.7)
			u := randomSU(&s, c.n)
			for _, inverse := range []bool{false, true} {
				f := sp.Forward
				if inverse {
					f = sp.Inverse
				}
				l := f(out, u, p)
				base := append([]complex128(nil), out...)
				jac := make([][]float64, dim)
				for r := range jac {
					jac[r] = make([]float64, dim)
				}
				eps := make([]float64, dim)
				for a := range dim {
					eps[a] = h
					f(out, chart(u, eps), p)
					ep := chartCoords(base, out)
					eps[a] = -h
					f(out, chart(u, eps), p)
					em := chartCoords(base, out)
					eps[a] = 0
					for r := range dim {
						jac[r][a] = (ep[r] - em[r]) / (2 * h)
					}
				}
				d := math.Abs(logAbsDet(jac) - l)
				if inverse {
					worstInv = max(worstInv, d)
				} else {
					worst = max(worst, d)
				}
			}
		}
		t.Logf("%v: |logJ − log|det J_chart|| ≤ %.2g (forward), %.2g (inverse)", c, worst, worstInv)
		if worst > 1e-6 || worstInv > 1e-6 {
			t.Errorf("%v: log-Jacobian off by %.3g (forward), %.3g (inverse)", c, worst, worstInv)
		}
	}
}

// TestSpectralEquivariance: F(W U W†) = W F(U) W† to 1e-12 with equal
// log-Jacobians (1e-12), for random U, W and parameters (N(0, 0.5²)),
// forward and inverse.
func TestSpectralEquivariance(t *testing.T) {
	s := rng.New(44)
	for _, c := range spectralCases {
		sp := NewSpectral(c.n, c.knots, c.features)
		n2 := c.n * c.n
		a, b, wu := make([]complex128, n2), make([]complex128, n2), make([]complex128, n2)
		var worst, worstL float64
		for range 300 {
			p := randomParams(&s, sp, 0.5)
			u, w := randomSU(&s, c.n), randomSU(&s, c.n)
			conj := func(dst, x []complex128) { // dst = W x W†
				Mul(dst, w, x)
				MulAdj(dst, dst, w)
			}
			conj(wu, u)
			for _, f := range []func(dst, u []complex128, params []float64) float64{sp.Forward, sp.Inverse} {
				l1 := f(a, u, p)
				conj(a, a)
				l2 := f(b, wu, p)
				worst = max(worst, maxDiff(a, b))
				worstL = max(worstL, math.Abs(l1-l2))
			}
		}
		t.Logf("%v: |F(WUW†) − W F(U) W†| ≤ %.2g, |Δ logJ| ≤ %.2g", c, worst, worstL)
		if worst > 1e-12 || worstL > 1e-12 {
			t.Errorf("%v: equivariance broken by %.3g (logJ %.3g)", c, worst, worstL)
		}
	}
}

// TestSpectralBoundary: at degenerate eigenvalues the map is continuous and
// the log-Jacobian finite: for U on an edge of the cell (a degenerate pair),
// at the identity and (SU(2)) at −1, a perturbation of size δ = 1e-9 moves
// U′ by less than 100 δ and logJ by less than 1e-6; at the identity
// logJ = (N²−1) log h′(0) exactly.
func TestSpectralBoundary(t *testing.T) {
	s := rng.New(45)
	for _, c := range spectralCases {
		sp := NewSpectral(c.n, c.knots, c.features)
		n2 := c.n * c.n
		var us [][]complex128
		us = append(us, centre(c.n, 0))
		if c.n == 2 {
			us = append(us, centre(2, 1))
		}
		for range 20 {
			phi := make([]float64, c.n)
			if c.n == 3 {
				x := math.Pi * (2*s.Float64() - 1)
				phi = []float64{x, x, -2 * x} // θ_1 = θ_2 or θ_2 = θ_3 or, mod 2π, θ_1 − θ_3 = 2π
			} else {
				phi = []float64{0, 0} // the degenerate SU(2) elements are ±1 only
			}
			us = append(us, withSpectrum(&s, phi))
		}
		out, outp := make([]complex128, n2), make([]complex128, n2)
		var worst, worstL float64
		for _, u := range us {
			p := randomParams(&s, sp, 1)
			l := sp.Forward(out, u, p)
			if math.IsNaN(l) || math.IsInf(l, 0) {
				t.Fatalf("%v: logJ = %g at a degenerate U", c, l)
			}
			for range 5 {
				up := expAlgebra(&s, c.n, 1e-9)
				Mul(up, u, up)
				lp := sp.Forward(outp, up, p)
				worst = max(worst, maxDiff(out, outp)/1e-9)
				worstL = max(worstL, math.Abs(l-lp))
			}
		}
		p := randomParams(&s, sp, 1)
		l := sp.Forward(out, centre(c.n, 0), p)
		_, _, v := sp.block(p, 0)
		d0, _ := softplusLn2(v[0])
		if want := float64(n2-1) * math.Log(d0); math.Abs(l-want) > 1e-13 {
			t.Errorf("%v: logJ(1) = %.16g, want (N²−1) log h′(0) = %.16g", c, l, want)
		}
		t.Logf("%v: at degenerate U: |ΔU′|/δ ≤ %.3g, |ΔlogJ| ≤ %.2g", c, worst, worstL)
		if worst > 100 || worstL > 1e-6 {
			t.Errorf("%v: not continuous at degenerate eigenvalues: |ΔU′|/δ = %.3g, |ΔlogJ| = %.3g", c, worst, worstL)
		}
	}
}

// softplusLn2 is the spline's slope parametrisation D = log(1 + e^{βv})/β,
// β = ln 2, and dD/dv.
func softplusLn2(v float64) (d, dv float64) {
	b := math.Ln2
	return math.Log1p(math.Exp(b*v)) / b, 1 / (1 + math.Exp(-b*v))
}

// reDot returns Re Tr(g† m) = Σ_ij Re(conj(g_ij) m_ij).
func reDot(g, m []complex128) float64 {
	var s float64
	for i := range g {
		s += real(g[i])*real(m[i]) + imag(g[i])*imag(m[i])
	}
	return s
}

// vjpErr is |fd − an| relative to 1 + |an|.
func vjpErr(fd, an float64) float64 { return math.Abs(fd-an) / (1 + math.Abs(an)) }

// TestSpectralAnglesVJP: AnglesVJP and InverseAnglesVJP against central
// differences (step 1e-6) of L = g·θ′ + g_l logJ in the free angle
// directions and in every parameter, at random points of the cell with
// random parameters and cotangents, to 1e-6 relative; at the identity,
// the input cotangent h′(0)·g against a one-sided difference (the
// log-Jacobian has a kink there, so g_l = 0 for it) and the parameter
// cotangent of 8 log h′(0) (SU(3)).
func TestSpectralAnglesVJP(t *testing.T) {
	s := rng.New(46)
	const h = 1e-6
	for _, c := range spectralCases {
		sp := NewSpectral(c.n, c.knots, c.features)
		n := c.n
		v := make([]complex128, n*n)
		var worstIn, worstPar float64
		for it := range 24 {
			inverse := it%2 == 1
			p := randomParams(&s, sp, 0.5)
			th := make([]float64, n)
			Eigen(v, th, randomSU(&s, n))
			if inverse { // the inverse's input is a θ′
				sp.Angles(th, th, p)
			}
			gOut := make([]float64, n)
			for i := range gOut {
				gOut[i] = s.Norm()
			}
			gl := s.Norm()
			out := make([]float64, n)
			loss := func(th, p []float64) float64 {
				var l float64
				if inverse {
					l = sp.InverseAngles(out, th, p)
				} else {
					l = sp.Angles(out, th, p)
				}
				l *= gl
				for i := range out {
					l += gOut[i] * out[i]
				}
				return l
			}
			gIn, gP := make([]float64, n), make([]float64, len(p))
			if inverse {
				sp.InverseAnglesVJP(gIn, th, p, gOut, gl, gP)
			} else {
				sp.AnglesVJP(gIn, th, p, gOut, gl, gP)
			}
			var sum float64
			for _, x := range gIn {
				sum += x
			}
			if math.Abs(sum) > 1e-12 {
				t.Errorf("%v: input cotangent %v does not sum to zero (%g)", c, gIn, sum)
			}
			for k := range n - 1 { // direction e_k − e_N
				tp, tm := append([]float64(nil), th...), append([]float64(nil), th...)
				tp[k] += h
				tp[n-1] -= h
				tm[k] -= h
				tm[n-1] += h
				fd := (loss(tp, p) - loss(tm, p)) / (2 * h)
				worstIn = max(worstIn, vjpErr(fd, gIn[k]-gIn[n-1]))
			}
			for j := range p {
				pp, pm := append([]float64(nil), p...), append([]float64(nil), p...)
				pp[j] += h
				pm[j] -= h
				fd := (loss(th, pp) - loss(th, pm)) / (2 * h)
				worstPar = max(worstPar, vjpErr(fd, gP[j]))
			}
		}
		t.Logf("%v: angle VJPs vs finite differences: inputs %.2g, parameters %.2g", c, worstIn, worstPar)
		if worstIn > 1e-6 || worstPar > 1e-6 {
			t.Errorf("%v: angle VJP errors %.3g (inputs), %.3g (parameters)", c, worstIn, worstPar)
		}

		// At the identity.
		p := randomParams(&s, sp, 0.5)
		zero, out := make([]float64, n), make([]float64, n)
		gOut := []float64{0.3, -1.1, 0.5}[:n]
		gIn, gP := make([]float64, n), make([]float64, len(p))
		sp.AnglesVJP(gIn, zero, p, gOut, 0, nil)
		dir := []float64{1, 0, -1}[:n] // into the cell
		if n == 2 {
			dir = []float64{1, -1}
		}
		const h1 = 1e-8
		step := make([]float64, n)
		for i := range step {
			step[i] = h1 * dir[i]
		}
		sp.Angles(out, step, p)
		var fd, an float64
		for i := range out {
			fd += gOut[i] * out[i] / h1
			an += gIn[i] * dir[i]
		}
		if e := vjpErr(fd, an); e > 1e-6 {
			t.Errorf("%v: input cotangent at the identity: %.10g, one-sided difference %.10g", c, an, fd)
		}
		sp.AnglesVJP(gIn, zero, p, gOut, 1, gP)
		for j := range p {
			pp, pm := append([]float64(nil), p...), append([]float64(nil), p...)
			pp[j] += h
			pm[j] -= h
			fd := (sp.Angles(out, zero, pp) - sp.Angles(out, zero, pm)) / (2 * h)
			if e := vjpErr(fd, gP[j]); e > 1e-6 {
				t.Errorf("%v: parameter %d cotangent at the identity %.10g, finite differences %.10g", c, j, gP[j], fd)
			}
		}
	}
}

// TestSpectralMatrixVJP: ForwardVJP and InverseVJP against central
// differences (step 1e-6; 1e-9 at the identity) of L = Re Tr(G† F(U)) + g_l logJ in the chart
// U exp(iεT_a), a = 1…N²−1, and in every parameter, for random U,
// parameters, complex G and g_l, to 1e-7 relative; the input cotangent lies
// in the tangent space (U†gU traceless anti-Hermitian to 1e-14). At the
// identity (g_l = 0 for the input part: logJ has a kink there) to 1e-6.
// G is not a class-function gradient, so the eigenvector part of the chain
// rule is exercised; the cotangent at fixed V alone (EigenCotangent,
// AnglesVJP, V diag(i e^{iθ} ḡθ) V†) misses by more than 1e-2.
func TestSpectralMatrixVJP(t *testing.T) {
	s := rng.New(47)
	const h = 1e-6
	for _, c := range spectralCases {
		sp := NewSpectral(c.n, c.knots, c.features)
		n, n2 := c.n, c.n*c.n
		dim := n2 - 1
		out := make([]complex128, n2)
		var worstIn, worstID, worstPar, worstTan float64
		leastFixed := math.Inf(1)
		for it := range 16 {
			inverse := it%2 == 1
			identity := it >= 14
			p := randomParams(&s, sp, 0.5)
			u := randomSU(&s, n)
			if identity {
				u = centre(n, 0)
			}
			g := randomMatrix(&s, n)
			gl := s.Norm()
			f, vjp := sp.Forward, sp.ForwardVJP
			if inverse {
				f, vjp = sp.Inverse, sp.InverseVJP
			}
			loss := func(u []complex128, p []float64, gl float64) float64 {
				l := f(out, u, p)
				return reDot(g, out) + gl*l
			}
			gU := make([]complex128, n2)
			gPar := make([]float64, len(p))
			glIn := gl
			if identity {
				glIn = 0
			}
			vjp(gU, u, p, g, glIn, nil)
			// Tangent: U†gU ∈ su(N).
			m := make([]complex128, n2)
			AdjMul(m, u, gU)
			ta := make([]complex128, n2)
			TA(ta, m)
			worstTan = max(worstTan, maxDiff(ta, m))
			eps := make([]float64, dim)
			gen := make([]complex128, n2)
			hu := h
			if identity { // the map is θ′ = h′(0)θ + O(|θ|θ) there: the error of the difference is O(step)
				hu = 1e-9
			}
			for a := range dim {
				eps[a] = hu
				lp := loss(chart(u, eps), p, glIn)
				eps[a] = -hu
				lm := loss(chart(u, eps), p, glIn)
				eps[a] = 0
				// dU = U i T_a: the cotangent pairs as Re Tr(gU† U iT_a).
				eps[a] = 1
				AlgebraElement(gen, eps)
				eps[a] = 0
				Mul(m, u, gen)
				if e := vjpErr((lp-lm)/(2*hu), reDot(gU, m)); identity {
					worstID = max(worstID, e)
				} else {
					worstIn = max(worstIn, e)
				}
			}
			if !inverse && !identity { // the angle part alone: wrong for this G
				v, th, thp := make([]complex128, n2), make([]float64, n), make([]float64, n)
				gth, gthp := make([]float64, n), make([]float64, n)
				Eigen(v, th, u)
				sp.Angles(thp, th, p)
				EigenCotangent(gthp, v, thp, g)
				sp.AnglesVJP(gth, th, p, gthp, gl, nil)
				d := make([]complex128, n2)
				for i := range n {
					d[i*n+i] = 1i * cmplx.Rect(gth[i], th[i])
				}
				fixed := make([]complex128, n2)
				Mul(fixed, v, d)
				MulAdj(fixed, fixed, v)
				var worstFixed float64
				for a := range dim {
					eps[a] = h
					lp := loss(chart(u, eps), p, gl)
					eps[a] = -h
					lm := loss(chart(u, eps), p, gl)
					eps[a] = 1
					AlgebraElement(gen, eps)
					eps[a] = 0
					Mul(m, u, gen)
					worstFixed = max(worstFixed, vjpErr((lp-lm)/(2*h), reDot(fixed, m)))
				}
				leastFixed = min(leastFixed, worstFixed)
				if worstFixed < 1e-2 {
					t.Errorf("%v: the fixed-V cotangent alone agrees with finite differences (%.3g): the test does not see the eigenvector part", c, worstFixed)
				}
			}
			vjp(gU, u, p, g, gl, gPar)
			for j := range p {
				pp, pm := append([]float64(nil), p...), append([]float64(nil), p...)
				pp[j] += h
				pm[j] -= h
				fd := (loss(u, pp, gl) - loss(u, pm, gl)) / (2 * h)
				worstPar = max(worstPar, vjpErr(fd, gPar[j]))
			}
		}
		t.Logf("%v: matrix VJPs vs finite differences: inputs %.2g (at the identity %.2g), parameters %.2g; tangent projection %.2g; fixed-V part alone ≥ %.2g",
			c, worstIn, worstID, worstPar, worstTan, leastFixed)
		if worstIn > 1e-7 || worstID > 1e-6 || worstPar > 1e-7 || worstTan > 1e-14 {
			t.Errorf("%v: matrix VJP errors %.3g (inputs), %.3g (identity), %.3g (parameters), %.3g (tangent)",
				c, worstIn, worstID, worstPar, worstTan)
		}
	}
}

// TestEigenCotangent: ∂/∂θ_i of Re Tr(G† V diag(e^{iθ}) V†) at fixed V by
// central differences, to 1e-8.
func TestEigenCotangent(t *testing.T) {
	s := rng.New(48)
	const h = 1e-6
	for _, n := range []int{2, 3} {
		v, m := make([]complex128, n*n), make([]complex128, n*n)
		th, gth := make([]float64, n), make([]float64, n)
		var worst float64
		for range 50 {
			Eigen(v, th, randomSU(&s, n))
			g := randomMatrix(&s, n)
			EigenCotangent(gth, v, th, g)
			for i := range n {
				th[i] += h
				FromEigen(m, v, th)
				lp := reDot(g, m)
				th[i] -= 2 * h
				FromEigen(m, v, th)
				lm := reDot(g, m)
				th[i] += h
				worst = max(worst, vjpErr((lp-lm)/(2*h), gth[i]))
			}
		}
		t.Logf("SU(%d): EigenCotangent vs finite differences: %.2g", n, worst)
		if worst > 1e-8 {
			t.Errorf("SU(%d): EigenCotangent off by %.3g", n, worst)
		}
	}
}

// TestSpectralHaarDensity: Haar samples pushed through the map with random
// parameters (N(0, 0.5²)) have the density that logJ predicts, checked on
// the class function f = Re Tr U′ with 10⁵ samples in two ways, each within
// 4σ: (i) reweighting, ⟨f(U′) e^{logJ(U)}⟩ = ∫dU f = 0 (Haar); (ii) the
// plain mean ⟨f(U′)⟩ equals ∫dU f(U) e^{logJ_inv(U)} by Weyl quadrature
// (m = 4000 points for SU(2), 320 per angle for SU(3); the density is only
// continuous with kinks, so the rule converges slowly: m = 160 and 320
// differ by 7e-4 (SU(2)) and 2e-5 (SU(3)), against errors of the mean of
// 3e-3 and 2e-3). The flowed mean itself is many σ away from the Haar value,
// and the same checks with the Weyl factor left out of the log-Jacobian
// fail by more than 8σ.
func TestSpectralHaarDensity(t *testing.T) {
	const samples = 100000
	for ci, c := range spectralCases[:2] {
		sp := NewSpectral(c.n, c.knots, c.features)
		n, n2 := c.n, c.n*c.n
		ps := rng.New(49, uint64(ci))
		p := randomParams(&ps, sp, 0.5)
		s := rng.New(50, uint64(ci))
		u, out, v := make([]complex128, n2), make([]complex128, n2), make([]complex128, n2)
		th, thp := make([]float64, n), make([]float64, n)
		plain, rew, rewNoWeyl := make([]float64, samples), make([]float64, samples), make([]float64, samples)
		for i := range samples {
			Haar(u, &s)
			l := sp.Forward(out, u, p)
			f := real(Trace(out))
			Eigen(v, th, u)
			Eigen(v, thp, out)
			plain[i] = f
			rew[i] = f * math.Exp(l)
			rewNoWeyl[i] = f * math.Exp(l-LogWeylFactor(thp)+LogWeylFactor(th))
		}
		canon := make([]float64, n)
		predict := func(weyl bool) float64 {
			m := 320 // m^{N−1} points
			if n == 2 {
				m = 4000
			}
			if !weyl { // a rough value is enough for the negative control
				m /= 4
			}
			return WeylIntegral(n, m, func(theta []float64) float64 {
				if WeylFactor(theta) < 1e-20 { // (numerically) degenerate: zero weight
					return 0
				}
				copy(canon, theta)
				CanonicalAngles(canon, nil)
				l := sp.InverseAngles(canon, canon, p) // canon is now θ = F⁻¹(θ′)
				if !weyl {
					l -= LogWeylFactor(canon) - LogWeylFactor(theta)
				}
				return real(traceOf(theta, 1)) * math.Exp(l)
			})
		}
		z := func(x []float64, want float64) float64 {
			m, e := stats.MeanErr(x, 1)
			return (m - want) / e
		}
		want := predict(true)
		zPlain, zRew := z(plain, want), z(rew, 0)
		zHaar := z(plain, 0)
		zBadRew, zBadPlain := z(rewNoWeyl, 0), z(plain, predict(false))
		t.Logf("%v: ⟨Re Tr U′⟩ predicted %.5f: z = %.2f; reweighted to Haar: z = %.2f; Haar value 0: z = %.1f; without the Weyl factor: z = %.1f (reweighted), %.1f (predicted)",
			c, want, zPlain, zRew, zHaar, zBadRew, zBadPlain)
		if !(math.Abs(zPlain) < 4 && math.Abs(zRew) < 4) {
			t.Errorf("%v: flowed Haar samples do not have the density of logJ: z = %.2f (mean), %.2f (reweighted)", c, zPlain, zRew)
		}
		if !(math.Abs(zHaar) > 8 && math.Abs(zBadRew) > 8 && math.Abs(zBadPlain) > 8) {
			t.Errorf("%v: the test cannot tell: z = %.1f (Haar value), %.1f, %.1f (no Weyl factor)", c, zHaar, zBadRew, zBadPlain)
		}
	}
}

// Benchmarks of the spectral map per matrix (SU(3), K = 8 knots, M = 2
// features; SU(2), K = 8), on a pool of Haar matrices with fixed random
// parameters. Run: go test -run '^$' -bench Spectral ./sun
func benchSpectral(b *testing.B, n, features int, op string) {
	pool := benchSU(n)
	sp := NewSpectral(n, 8, features)
	ps := rng.New(96)
	p := randomParams(&ps, sp, 0.5)
	dst, g := make([]complex128, n*n), make([]complex128, n*n)
	gp := make([]float64, len(p))
	for i := range g {
		g[i] = complex(float64(i%3)-1, float64(i%2))
	}
	if op == "inverse" || op == "inverseVJP" { // invert images of Haar matrices
		for _, u := range pool {
			sp.Forward(u, u, p)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		u := pool[i%benchPool]
		switch op {
		case "forward":
			sp.Forward(dst, u, p)
		case "inverse":
			sp.Inverse(dst, u, p)
		case "forwardVJP":
			sp.ForwardVJP(dst, u, p, g, 0.5, gp)
		case "inverseVJP":
			sp.InverseVJP(dst, u, p, g, 0.5, gp)
		}
		i++
	}
}

func BenchmarkSpectralForwardSU3(b *testing.B)    { benchSpectral(b, 3, 2, "forward") }
func BenchmarkSpectralInverseSU3(b *testing.B)    { benchSpectral(b, 3, 2, "inverse") }
func BenchmarkSpectralForwardVJPSU3(b *testing.B) { benchSpectral(b, 3, 2, "forwardVJP") }
func BenchmarkSpectralInverseVJPSU3(b *testing.B) { benchSpectral(b, 3, 2, "inverseVJP") }
func BenchmarkSpectralForwardSU2(b *testing.B)    { benchSpectral(b, 2, 0, "forward") }
func BenchmarkSpectralInverseSU2(b *testing.B)    { benchSpectral(b, 2, 0, "inverse") }
