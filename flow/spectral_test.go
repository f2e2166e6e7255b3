package flow

import (
	"math"
	"testing"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/nn"
	"github.com/normflow/normflow-go/rng"
	"github.com/normflow/normflow-go/sun"
)

var _ Layer = (*Spectral)(nil)

// Layers under test: SU(2) K = 8; SU(3) K = 8, M = 2; SU(3) K = 5, M = 0.
func spectralCases(t *testing.T) []*Spectral {
	t.Helper()
	var out []*Spectral
	for _, c := range [][3]int{{2, 8, 0}, {3, 8, 2}, {3, 5, 0}} {
		l, err := NewSpectral("s", c[0], c[1], c[2])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

// haarMatrices returns k Haar matrices of SU(n), interleaved.
func haarMatrices(n, k int, seed uint64) []float64 {
	n2 := n * n
	x := make([]float64, k*2*n2)
	u := make([]complex128, n2)
	for i := range k {
		s := rng.New(seed, uint64(i))
		sun.Haar(u, &s)
		sun.ToInterleaved(x[i*2*n2:(i+1)*2*n2], u)
	}
	return x
}

// randomParams fills ps with N(0, scale²) values.
func randomParams(ps []*nn.Param, seed uint64, scale float64) {
	s := rng.New(seed)
	for _, p := range ps {
		for i := range p.Value {
			p.Value[i] = scale * s.Norm()
		}
	}
}

// moveMatrix sets matrix k of x (interleaved) to U·exp(i Σ_a ε_a T_a).
func moveMatrix(x []float64, n, k int, eps []float64) {
	n2 := n * n
	u, e := make([]complex128, n2), make([]complex128, n2)
	sun.FromInterleaved(u, x[k*2*n2:(k+1)*2*n2])
	sun.AlgebraElement(e, eps)
	sun.Exp(e, e)
	sun.Mul(u, u, e)
	sun.ToInterleaved(x[k*2*n2:(k+1)*2*n2], u)
}

// chartCoords returns ε with U0†U = exp(i Σ ε_a T_a) + O(ε³) (the
// coefficients of TA(U0†U)) for matrix k of x and x0.
func chartCoords(x0, x []float64, n, k int) []float64 {
	n2 := n * n
	u0, u := make([]complex128, n2), make([]complex128, n2)
	sun.FromInterleaved(u0, x0[k*2*n2:(k+1)*2*n2])
	sun.FromInterleaved(u, x[k*2*n2:(k+1)*2*n2])
	sun.AdjMul(u, u0, u)
	w := make([]float64, n2-1)
	sun.AlgebraCoeffs(w, u)
	return w
}

func runPass(l Layer, tape *Tape, x []float64, batch int, inverse bool) (y, logJ []float64) {
	y, logJ = make([]float64, len(x)), make([]float64, batch)
	if inverse {
		l.Inverse(tape, x, y, logJ)
	} else {
		l.Forward(tape, x, y, logJ)
	}
	return y, logJ
}

// TestSpectralIdentityAndRoundTrip: zero parameters are the identity (to
// 1e-14, logJ 0); with N(0, 0.5²) parameters Inverse(Forward(x)) = x to
// 1e-12 and the log-Jacobians cancel to 1e-11 (4 configurations of 3 Haar
// matrices).
func TestSpectralIdentityAndRoundTrip(t *testing.T) {
	for _, l := range spectralCases(t) {
		const batch, m = 4, 3
		x := haarMatrices(l.n, batch*m, 1)
		y, lj := runPass(l, nil, x, batch, false)
		for i := range x {
			if math.Abs(y[i]-x[i]) > 1e-14 {
				t.Fatalf("SU(%d): zero parameters move x[%d] by %g", l.n, i, y[i]-x[i])
			}
		}
		for _, v := range lj {
			if math.Abs(v) > 1e-13 {
				t.Fatalf("SU(%d): zero parameters give logJ %g", l.n, v)
			}
		}
		randomParams(l.Params(), 2, 0.5)
		y, lf := runPass(l, nil, x, batch, false)
		z, li := runPass(l, nil, y, batch, true)
		var dx, dl, moved float64
		for i := range x {
			dx = max(dx, math.Abs(z[i]-x[i]))
			moved = max(moved, math.Abs(y[i]-x[i]))
		}
		for b := range lf {
			dl = max(dl, math.Abs(lf[b]+li[b]))
		}
		if dx > 1e-12 || dl > 1e-11 || moved < 1e-2 {
			t.Errorf("SU(%d) K=%d M=%d: round trip %.2g, logJ sum %.2g, the map moves x by %.2g", l.n, l.knots, l.features, dx, dl, moved)
		}
		t.Logf("SU(%d) K=%d M=%d: round trip %.2g, logJ + logJ_inv %.2g", l.n, l.knots, l.features, dx, dl)
	}
}

// TestSpectralLogJacobian: logJ (forward and inverse) equals log|det| of
// the (N²−1)-dimensional central-difference Jacobian of the map in the
// charts U e^{iε·T} → U′ e^{iε′·T}, where Haar measure has the same
// constant density at ε = 0: to 1e-7.
func TestSpectralLogJacobian(t *testing.T) {
	for _, l := range spectralCases(t) {
		randomParams(l.Params(), 3, 0.5)
		n, d := l.n, l.n*l.n-1
		for _, inverse := range []bool{false, true} {
			for trial := range 3 {
				x := haarMatrices(n, 1, uint64(10+trial))
				y, lj := runPass(l, nil, x, 1, inverse)
				jac := make([]float64, d*d)
				const h = 1e-5
				for b := range d {
					eps := make([]float64, d)
					eps[b] = h
					xp := append([]float64(nil), x...)
					moveMatrix(xp, n, 0, eps)
					eps[b] = -h
					xm := append([]float64(nil), x...)
					moveMatrix(xm, n, 0, eps)
					yp, _ := runPass(l, nil, xp, 1, inverse)
					ym, _ := runPass(l, nil, xm, 1, inverse)
					cp, cm := chartCoords(y, yp, n, 0), chartCoords(y, ym, n, 0)
					for a := range d {
						jac[a*d+b] = (cp[a] - cm[a]) / (2 * h)
					}
				}
				fd := logAbsDet(jac, d)
				if trial == 0 {
					t.Logf("SU(%d) K=%d M=%d inverse=%v: logJ %.10f, finite differences %.10f", n, l.knots, l.features, inverse, lj[0], fd)
				}
				if math.Abs(fd-lj[0]) > 1e-7 {
					t.Errorf("SU(%d) K=%d M=%d inverse=%v trial %d: logJ %.12f, finite differences %.12f", n, l.knots, l.features, inverse, trial, lj[0], fd)
				}
			}
		}
	}
}

// logAbsDet returns log|det a| of the d×d matrix a (row-major) by Gaussian
// elimination with partial pivoting.
func logAbsDet(a []float64, d int) float64 {
	a = append([]float64(nil), a...)
	var s float64
	for c := range d {
		p := c
		for r := c + 1; r < d; r++ {
			if math.Abs(a[r*d+c]) > math.Abs(a[p*d+c]) {
				p = r
			}
		}
		for j := range d {
			a[c*d+j], a[p*d+j] = a[p*d+j], a[c*d+j]
		}
		s += math.Log(math.Abs(a[c*d+c]))
		for r := c + 1; r < d; r++ {
			f := a[r*d+c] / a[c*d+c]
			for j := c; j < d; j++ {
				a[r*d+j] -= f * a[c*d+j]
			}
		}
	}
	return s
}

// TestSpectralEquivariance: F(W U W†) = W F(U) W† to 1e-12 and the same
// logJ to 1e-12 for random W, forward and inverse.
func TestSpectralEquivariance(t *testing.T) {
	for _, l := range spectralCases(t) {
		randomParams(l.Params(), 4, 0.5)
		n, n2 := l.n, l.n*l.n
		const batch, m = 3, 2
		x := haarMatrices(n, batch*m, 5)
		ws := haarMatrices(n, batch*m, 6)
		conj := func(f []float64) []float64 {
			out := make([]float64, len(f))
			u, w := make([]complex128, n2), make([]complex128, n2)
			for k := range batch * m {
				sun.FromInterleaved(u, f[k*2*n2:(k+1)*2*n2])
				sun.FromInterleaved(w, ws[k*2*n2:(k+1)*2*n2])
				sun.Mul(u, w, u)
				sun.MulAdj(u, u, w)
				sun.ToInterleaved(out[k*2*n2:(k+1)*2*n2], u)
			}
			return out
		}
		for _, inverse := range []bool{false, true} {
			y, lj := runPass(l, nil, x, batch, inverse)
			yc, ljc := runPass(l, nil, conj(x), batch, inverse)
			want := conj(y)
			var d, dl float64
			for i := range yc {
				d = max(d, math.Abs(yc[i]-want[i]))
			}
			for b := range lj {
				dl = max(dl, math.Abs(lj[b]-ljc[b]))
			}
			if d > 1e-12 || dl > 1e-12 {
				t.Errorf("SU(%d) inverse=%v: F(WUW†) − W F(U) W† = %.2g, logJ differs by %.2g", n, inverse, d, dl)
			}
		}
	}
}

// vjpCheck compares the taped VJP of a pass with central differences of
// L = Σ_k Re Tr(G_k† U′_k) + Σ_b g_b logJ_b: along U_k → U_k e^{iεT^a} for
// every matrix and generator (the returned cotangent must give
// Re Tr(dx_k† U_k iT^a)), and along every parameter. It returns the
// largest differences.
func vjpCheck(t *testing.T, n, batch, m int, x []float64, pass func(tape *Tape, x, y, logJ []float64) func(dy, dlogJ, dx []float64), ps []*nn.Param, grads *nn.Grads, seed uint64) (worstX, worstP float64) {
	t.Helper()
	n2, d := n*n, n*n-1
	s := rng.New(seed)
	gy := make([]float64, len(x))
	for i := range gy {
		gy[i] = s.Norm()
	}
	gl := make([]float64, batch)
	for i := range gl {
		gl[i] = s.Norm()
	}
	loss := func(x []float64) float64 {
		y, lj := make([]float64, len(x)), make([]float64, batch)
		pass(nil, x, y, lj)
		var l float64
		for i := range y {
			l += gy[i] * y[i]
		}
		for b := range lj {
			l += gl[b] * lj[b]
		}
		return l
	}
	tape := NewTape(grads)
	y, lj := make([]float64, len(x)), make([]float64, batch)
	back := pass(tape, x, y, lj)
	dx := make([]float64, len(x))
	back(gy, gl, dx)
	const h = 1e-6
	gens := sun.Generators(n)
	u, g := make([]complex128, n2), make([]complex128, n2)
	for k := range batch * m {
		sun.FromInterleaved(u, x[k*2*n2:(k+1)*2*n2])
		sun.FromInterleaved(g, dx[k*2*n2:(k+1)*2*n2])
		for a := range d {
			eps := make([]float64, d)
			eps[a] = h
			xp := append([]float64(nil), x...)
			moveMatrix(xp, n, k, eps)
			eps[a] = -h
			xm := append([]float64(nil), x...)
			moveMatrix(xm, n, k, eps)
			fd := (loss(xp) - loss(xm)) / (2 * h)
			// Re Tr(G† U iT^a) = Σ_ij Re(conj(G_ij) (U iT^a)_ij).
			var got float64
			for i := range n {
				for j := range n {
					var z complex128
					for l := range n {
						z += u[i*n+l] * gens[a][l*n+j]
					}
					z *= 1i
					got += real(g[i*n+j])*real(z) + imag(g[i*n+j])*imag(z)
				}
			}
			worstX = max(worstX, math.Abs(fd-got)/(1+math.Abs(fd)))
		}
	}
	for _, p := range ps {
		gp := grads.Of(p)
		for i := range p.Value {
			old := p.Value[i]
			p.Value[i] = old + h
			lp := loss(x)
			p.Value[i] = old - h
			lm := loss(x)
			p.Value[i] = old
			fd := (lp - lm) / (2 * h)
			worstP = max(worstP, math.Abs(fd-gp[i])/(1+math.Abs(fd)))
		}
	}
	return worstX, worstP
}

// TestSpectralVJP: the taped VJPs of Forward and Inverse against central
// differences, for the input (in the chart U e^{iεT}, every matrix and
// generator) and every parameter, to 1e-6 relative.
func TestSpectralVJP(t *testing.T) {
	for _, l := range spectralCases(t) {
		randomParams(l.Params(), 7, 0.5)
		ps, err := nn.NewParamSet(l.Params())
		if err != nil {
			t.Fatal(err)
		}
		const batch, m = 2, 2
		x := haarMatrices(l.n, batch*m, 8)
		for _, inverse := range []bool{false, true} {
			pass := func(tape *Tape, x, y, logJ []float64) func(dy, dlogJ, dx []float64) {
				if inverse {
					l.Inverse(tape, x, y, logJ)
				} else {
					l.Forward(tape, x, y, logJ)
				}
				if tape == nil {
					return nil
				}
				return tape.Backward
			}
			wx, wp := vjpCheck(t, l.n, batch, m, x, pass, l.Params(), nn.NewGrads(ps), 9)
			if wx > 1e-6 || wp > 1e-6 {
				t.Errorf("SU(%d) K=%d M=%d inverse=%v: input VJP off by %.2g, parameter VJP by %.2g", l.n, l.knots, l.features, inverse, wx, wp)
			}
			t.Logf("SU(%d) K=%d M=%d inverse=%v: input VJP %.2g, parameter VJP %.2g", l.n, l.knots, l.features, inverse, wx, wp)
		}
	}
}

// TestSpectralContext: with one context feature per matrix fed through a
// per-matrix perceptron (kernel-1 convolution, float64), the VJPs of Apply
// (input matrices, context, P and every net weight) agree with central
// differences to 1e-6; the inverse with the same context undoes the map;
// a zero last layer with P = 0 is the identity; equivariance holds at fixed
// context.
func TestSpectralContext(t *testing.T) {
	for _, c := range [][3]int{{2, 6, 0}, {3, 5, 1}} {
		n, knots, feats := c[0], c[1], c[2]
		const batch, m = 2, 3
		np := (feats + 1) * (3*knots - 2)
		lat, _ := lattice.New(m)
		net, err := nn.NewNet("ctx", lat, nn.NetSpec{In: 1, Out: np, Hidden: []int{4}, Kernel: 1,
			Activation: []string{"tanh"}, Bias: true, Precision: "float64"}, 3)
		if err != nil {
			t.Fatal(err)
		}
		l, err := NewSpectralContext("sc", n, knots, feats, net)
		if err != nil {
			t.Fatal(err)
		}
		randomParams([]*nn.Param{l.P}, 11, 0.3)
		x := haarMatrices(n, batch*m, 12)
		ctx := make([]float64, batch*m)
		s := rng.New(13)
		for i := range ctx {
			ctx[i] = s.Norm()
		}
		for _, inverse := range []bool{false, true} {
			ps, _ := nn.NewParamSet(l.Params())
			grads := nn.NewGrads(ps)
			var dctx []float64
			pass := func(tape *Tape, x, y, logJ []float64) func(dy, dlogJ, dx []float64) {
				back := l.Apply(tape, x, ctx, y, logJ, inverse)
				if tape == nil {
					return nil
				}
				return func(dy, dlogJ, dx []float64) {
					dctx = make([]float64, len(ctx))
					back(dy, dlogJ, dx, dctx, grads)
				}
			}
			wx, wp := vjpCheck(t, n, batch, m, x, pass, l.Params(), grads, 14)
			// The context, by central differences of the same loss.
			sg := rng.New(14)
			gy, gl := make([]float64, len(x)), make([]float64, batch)
			for i := range gy {
				gy[i] = sg.Norm()
			}
			for i := range gl {
				gl[i] = sg.Norm()
			}
			loss := func() float64 {
				y, lj := make([]float64, len(x)), make([]float64, batch)
				l.Apply(nil, x, ctx, y, lj, inverse)
				var v float64
				for i := range y {
					v += gy[i] * y[i]
				}
				for b := range lj {
					v += gl[b] * lj[b]
				}
				return v
			}
			var wc float64
			const h = 1e-6
			for i := range ctx {
				old := ctx[i]
				ctx[i] = old + h
				lp := loss()
				ctx[i] = old - h
				lm := loss()
				ctx[i] = old
				fd := (lp - lm) / (2 * h)
				wc = max(wc, math.Abs(fd-dctx[i])/(1+math.Abs(fd)))
			}
			if wx > 1e-6 || wp > 1e-6 || wc > 1e-6 {
				t.Errorf("SU(%d) inverse=%v: VJP off by %.2g (input), %.2g (parameters), %.2g (context)", n, inverse, wx, wp, wc)
			}
			t.Logf("SU(%d) K=%d M=%d inverse=%v: VJP input %.2g, parameters %.2g, context %.2g", n, knots, feats, inverse, wx, wp, wc)
		}
		y, lj := make([]float64, len(x)), make([]float64, batch)
		l.Apply(nil, x, ctx, y, lj, false)
		z, li := make([]float64, len(x)), make([]float64, batch)
		l.Apply(nil, y, ctx, z, li, true)
		var d, moved float64
		for i := range x {
			d = max(d, math.Abs(z[i]-x[i]))
			moved = max(moved, math.Abs(y[i]-x[i]))
		}
		for b := range lj {
			d = max(d, math.Abs(lj[b]+li[b]))
		}
		if d > 1e-11 || moved < 1e-2 {
			t.Errorf("SU(%d): context round trip %.2g (the map moves x by %.2g)", n, d, moved)
		}
		// A zero last layer and P = 0: the identity.
		net0, _ := nn.NewNet("ctx", lat, nn.NetSpec{In: 1, Out: np, Hidden: []int{4}, Kernel: 1,
			Activation: []string{"tanh"}, Bias: true, Precision: "float64", ZeroLast: true}, 3)
		l0, _ := NewSpectralContext("sc", n, knots, feats, net0)
		l0.Apply(nil, x, ctx, y, lj, false)
		for i := range x {
			if math.Abs(y[i]-x[i]) > 1e-14 {
				t.Fatalf("SU(%d): zero-initialised context layer moves x by %g", n, y[i]-x[i])
			}
		}
	}
	// Wrong channel count: an error naming it.
	lat, _ := lattice.New(2)
	net, _ := nn.NewNet("ctx", lat, nn.NetSpec{In: 1, Out: 5, Kernel: 1}, 1)
	if _, err := NewSpectralContext("sc", 3, 5, 1, net); err == nil {
		t.Errorf("5 output channels for 26 parameters: no error")
	}
}

// TestSpectralErrors: bad settings are one-line errors naming the value.
func TestSpectralErrors(t *testing.T) {
	for _, c := range [][3]int{{4, 8, 0}, {3, 1, 0}, {2, 8, 1}, {3, 8, -1}} {
		if _, err := NewSpectral("s", c[0], c[1], c[2]); err == nil {
			t.Errorf("NewSpectral(n=%d, knots=%d, features=%d): no error", c[0], c[1], c[2])
		}
	}
}
