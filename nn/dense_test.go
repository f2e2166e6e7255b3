package nn

import (
	"math"
	"testing"
)

func TestDense(t *testing.T) {
	for ci, c := range []struct {
		in, out, batch int
		bias           bool
	}{{1, 1, 1, true}, {5, 3, 4, true}, {3, 7, 2, false}, {6, 2, 70, true}} {
		d := Dense{In: c.in, Out: c.out}
		r := newRand(uint64(300 + ci))
		x := randn(r, c.batch*c.in, 1)
		w := randn(r, c.in*c.out, 1)
		var bias []float64
		if c.bias {
			bias = randn(r, c.out, 1)
		}
		// forward against the definition
		y := make([]float64, c.batch*c.out)
		DenseForward(d, c.batch, x, w, bias, y)
		for b := 0; b < c.batch; b++ {
			for o := 0; o < c.out; o++ {
				want := 0.0
				if bias != nil {
					want = bias[o]
				}
				for i := 0; i < c.in; i++ {
					want += w[o*c.in+i] * x[b*c.in+i]
				}
				if got := y[b*c.out+o]; !(math.Abs(got-want) <= 1e-12*(1+math.Abs(want))) {
					t.Fatalf("case %d: y[%d,%d] = %.15g, want %.15g", ci, b, o, got, want)
				}
			}
		}
		y32 := make([]float32, len(y))
		var b32 []float32
		if bias != nil {
			b32 = to32(bias)
		}
		DenseForward(d, c.batch, to32(x), to32(w), b32, y32)
		for i := range y {
			if !(math.Abs(float64(y32[i])-y[i]) <= 1e-5*(1+maxAbs(y))) {
				t.Fatalf("case %d: float32 y[%d] = %g, float64 %g", ci, i, y32[i], y[i])
			}
		}
		// VJPs against finite differences of L = Σ dy·y
		dy := randn(r, len(y), 1)
		loss := func() float64 {
			DenseForward(d, c.batch, x, w, bias, y)
			return dot(dy, y)
		}
		dx := randn(r, len(x), 1) // overwritten
		DenseInputVJP(d, c.batch, dy, w, dx)
		checkFD(t, "dense dx", x, dx, loss, 0.1, 1e-9)
		dw0 := randn(r, len(w), 1)
		dw := append([]float64(nil), dw0...)
		var db, db0 []float64
		if bias != nil {
			db0 = randn(r, c.out, 1)
			db = append([]float64(nil), db0...)
		}
		DenseParamVJP(d, c.batch, x, dy, dw, db)
		for i := range dw {
			dw[i] -= dw0[i]
		}
		checkFD(t, "dense dW", w, dw, loss, 0.1, 1e-9)
		if bias != nil {
			for i := range db {
				db[i] -= db0[i]
			}
			checkFD(t, "dense dbias", bias, db, loss, 0.1, 1e-9)
		}
	}
}
