package within

import (
	"math"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failed int
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failed++
}

func TestSigmas(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		got, want, err, k float64
		pass              bool
	}{
		{1.0, 1.1, 0.03, 4, true},
		{1.0, 1.13, 0.03, 4, false},
		{1.0, 0.88, 0.03, 4, true},
		{nan, 1, 0.1, 4, false},
		{1, nan, 0.1, 4, false},
		{1, 1, nan, 4, false},
		{1, 1, 0, 4, false},
		{1, 1, -0.1, 4, false},
		{inf, inf, 0.1, 4, false},
		{1, 1, inf, 4, false},
		{1, 1, 0.1, 0, false},
		{1, 1, 0.1, nan, false},
	}
	for _, c := range cases {
		r := &recorder{TB: t}
		ok := Sigmas(r, "x", c.got, c.want, c.err, c.k)
		if ok != c.pass || (r.failed == 0) != c.pass {
			t.Errorf("Sigmas(%v, %v, %v, %v) = %v with %d failures, want pass %v", c.got, c.want, c.err, c.k, ok, r.failed, c.pass)
		}
	}
}

func TestAgree(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		a, aErr, b, bErr float64
		pass             bool
	}{
		{1.0, 0.03, 1.2, 0.04, true},   // 0.2 ≤ 4·0.05
		{1.0, 0.03, 1.21, 0.04, false}, // 0.21 > 0.2
		{1.0, 0, 1.0, 0.04, false},
		{1.0, 0.03, 1.0, 0, false},
		{nan, 0.03, 1.0, 0.04, false},
		{1.0, 0.03, nan, 0.04, false},
		{1.0, nan, 1.0, 0.04, false},
	}
	for _, c := range cases {
		r := &recorder{TB: t}
		if ok := Agree(r, "x", c.a, c.aErr, c.b, c.bErr, 4); ok != c.pass || (r.failed == 0) != c.pass {
			t.Errorf("Agree(%v ± %v, %v ± %v) = %v, want %v", c.a, c.aErr, c.b, c.bErr, ok, c.pass)
		}
	}
}
