package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 1)) }

// randn returns n normal deviates times scale.
func randn(r *rand.Rand, n int, scale float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = scale * r.NormFloat64()
	}
	return x
}

func to32(x []float64) []float32 {
	y := make([]float32, len(x))
	Convert(y, x)
	return y
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// checkFD compares the analytic cotangent got of the variables v with central
// finite differences of step h of the scalar objective f (which reads v). For
// a map linear in v the differences are exact up to rounding at any h.
func checkFD(t *testing.T, what string, v, got []float64, f func() float64, h, tol float64) {
	t.Helper()
	if len(got) != len(v) {
		t.Fatalf("%s: %d cotangents for %d variables", what, len(got), len(v))
	}
	bad := 0
	for k := range v {
		old := v[k]
		v[k] = old + h
		fp := f()
		v[k] = old - h
		fm := f()
		v[k] = old
		fd := (fp - fm) / (2 * h)
		if !(math.Abs(fd-got[k]) <= tol*(1+math.Abs(fd))) {
			t.Errorf("%s[%d]: VJP %.12g, finite difference %.12g", what, k, got[k], fd)
			if bad++; bad > 5 {
				t.FailNow()
			}
		}
	}
}

// maxAbs is max_i |x_i|.
func maxAbs(x []float64) float64 {
	var m float64
	for _, v := range x {
		m = max(m, math.Abs(v))
	}
	return m
}
