package flow

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/normflow/normflow-go/nn"
	"gonum.org/v1/gonum/mat"
)

// The checks below apply to any Layer: they are the contract every bijection
// of this package must pass on tiny shapes (docs/architecture.md §1.1).

// pass runs the forward (inverse=false) or inverse map of l on x.
func pass(l Layer, inverse bool, tape *Tape, x []float64, batch int) (y, logJ []float64) {
	y = make([]float64, len(x))
	logJ = make([]float64, batch)
	if inverse {
		l.Inverse(tape, x, y, logJ)
	} else {
		l.Forward(tape, x, y, logJ)
	}
	return y, logJ
}

// checkInverse: inverse(forward(x)) = x and the log-Jacobians cancel.
func checkInverse(t *testing.T, l Layer, x []float64, batch int, tol float64) {
	t.Helper()
	y, lf := pass(l, false, nil, x, batch)
	xr, li := pass(l, true, nil, y, batch)
	for i := range x {
		if !(math.Abs(xr[i]-x[i]) <= tol*(1+math.Abs(x[i]))) {
			t.Fatalf("inverse(forward(x))[%d] = %.15g, x = %.15g", i, xr[i], x[i])
		}
	}
	for b := range lf {
		if !(math.Abs(lf[b]+li[b]) <= tol*(1+math.Abs(lf[b]))) {
			t.Fatalf("sample %d: forward logJ %.15g + inverse logJ %.15g ≠ 0", b, lf[b], li[b])
		}
	}
}

// checkLogJ: each sample's log-Jacobian equals log|det| of the full Jacobian
// ∂y/∂x built by central finite differences (forward and inverse maps).
func checkLogJ(t *testing.T, l Layer, x []float64, batch int, tol float64) {
	t.Helper()
	for _, inverse := range []bool{false, true} {
		_, logJ := pass(l, inverse, nil, x, batch)
		for b := 0; b < batch; b++ {
			ld := fdLogDet(l, inverse, x, batch, b, 1e-6)
			if !(math.Abs(ld-logJ[b]) <= tol*(1+math.Abs(ld))) {
				t.Errorf("inverse=%v sample %d: logJ = %.10g, log|det J| by finite differences = %.10g", inverse, b, logJ[b], ld)
			}
		}
	}
}

// fdLogDet is log|det| of the Jacobian of sample b of the map (forward or
// inverse) of l at x, by central finite differences with step h.
func fdLogDet(l Layer, inverse bool, x []float64, batch, b int, h float64) float64 {
	f := len(x) / batch
	jac := mat.NewDense(f, f, nil)
	for j := 0; j < f; j++ {
		xp := append([]float64(nil), x...)
		xm := append([]float64(nil), x...)
		xp[b*f+j] += h
		xm[b*f+j] -= h
		yp, _ := pass(l, inverse, nil, xp, batch)
		ym, _ := pass(l, inverse, nil, xm, batch)
		for i := 0; i < f; i++ {
			jac.Set(i, j, (yp[b*f+i]-ym[b*f+i])/(2*h))
		}
	}
	var lu mat.LU
	lu.Factorize(jac)
	ld, _ := lu.LogDet()
	return ld
}

// checkVJP: the taped VJP against central finite differences of
// L = Σ dout·y + Σ dlogJ·logJ, for the input and for every parameter.
func checkVJP(t *testing.T, l Layer, x []float64, batch int, r *rand.Rand, tol float64) {
	t.Helper()
	set, err := nn.NewParamSet(l.Params())
	if err != nil {
		t.Fatal(err)
	}
	dout := make([]float64, len(x))
	for i := range dout {
		dout[i] = r.NormFloat64()
	}
	dlogJ := make([]float64, batch)
	for i := range dlogJ {
		dlogJ[i] = r.NormFloat64()
	}
	objective := func(inverse bool, x []float64) float64 {
		y, logJ := pass(l, inverse, nil, x, batch)
		var s float64
		for i := range y {
			s += dout[i] * y[i]
		}
		for b := range logJ {
			s += dlogJ[b] * logJ[b]
		}
		return s
	}
	const h = 1e-6
	for _, inverse := range []bool{false, true} {
		grads := nn.NewGrads(set)
		tape := NewTape(grads)
		pass(l, inverse, tape, x, batch)
		din := make([]float64, len(x))
		tape.Backward(dout, dlogJ, din)
		for i := range x {
			xp := append([]float64(nil), x...)
			xm := append([]float64(nil), x...)
			xp[i] += h
			xm[i] -= h
			fd := (objective(inverse, xp) - objective(inverse, xm)) / (2 * h)
			if !(math.Abs(fd-din[i]) <= tol*(1+math.Abs(fd))) {
				t.Errorf("inverse=%v: ∂L/∂x[%d] = %.10g, finite difference %.10g", inverse, i, din[i], fd)
			}
		}
		for _, p := range set.Params {
			g := grads.Of(p)
			for k := range p.Value {
				old := p.Value[k]
				p.Value[k] = old + h
				lp := objective(inverse, x)
				p.Value[k] = old - h
				lm := objective(inverse, x)
				p.Value[k] = old
				fd := (lp - lm) / (2 * h)
				if !(math.Abs(fd-g[k]) <= tol*(1+math.Abs(fd))) {
					t.Errorf("inverse=%v: ∂L/∂%s[%d] = %.10g, finite difference %.10g", inverse, p.Name, k, g[k], fd)
				}
			}
		}
	}
}

// randomize sets every parameter to a normal deviate times scale.
func randomize(l Layer, r *rand.Rand, scale float64) {
	for _, p := range l.Params() {
		for i := range p.Value {
			p.Value[i] = scale * r.NormFloat64()
		}
	}
}

func randn(r *rand.Rand, n int, scale float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = scale * r.NormFloat64()
	}
	return x
}
