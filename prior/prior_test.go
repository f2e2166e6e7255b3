package prior

import (
	"math"
	"testing"

	"github.com/normflow/normflow-go/internal/within"
	"github.com/normflow/normflow-go/rng"
)

func TestNormalLogProbAndGrad(t *testing.T) {
	p, err := NewNormal(0.3, 1.7, 3)
	if err != nil {
		t.Fatal(err)
	}
	x := []float64{0.1, -2, 3.5, 1, 1, 1}
	out := make([]float64, 2)
	p.LogProb(x, out)
	for b := 0; b < 2; b++ {
		want := 0.0
		for _, z := range x[3*b : 3*b+3] {
			want += math.Log(math.Exp(-(z-0.3)*(z-0.3)/(2*1.7*1.7)) / (1.7 * math.Sqrt(2*math.Pi)))
		}
		if !(math.Abs(out[b]-want) <= 1e-12) {
			t.Errorf("log r = %g, want %g", out[b], want)
		}
	}
	g := make([]float64, len(x))
	p.GradLogProb(x, g)
	const h = 1e-6
	for i := range x {
		old := x[i]
		x[i] = old + h
		p.LogProb(x, out)
		lp := out[i/3]
		x[i] = old - h
		p.LogProb(x, out)
		lm := out[i/3]
		x[i] = old
		if fd := (lp - lm) / (2 * h); !(math.Abs(fd-g[i]) <= 1e-6) {
			t.Errorf("grad[%d] = %g, finite difference %g", i, g[i], fd)
		}
	}
}

func TestNormalSampleMoments(t *testing.T) {
	p, _ := NewNormal(-1, 2, 1)
	s := rng.New(9)
	const n = 100000
	x := make([]float64, n)
	p.Sample(&s, x)
	var m, v float64
	for _, z := range x {
		m += z
	}
	m /= n
	for _, z := range x {
		v += (z - m) * (z - m)
	}
	v /= n - 1
	within.Sigmas(t, "mean", m, -1, 2/math.Sqrt(n), 5)
	within.Sigmas(t, "variance", v, 4, 4*math.Sqrt(2.0/n), 5)
}

func TestUniform(t *testing.T) {
	p, err := NewUniform(-1, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	s := rng.New(1)
	x := make([]float64, 2000)
	p.Sample(&s, x)
	out := make([]float64, 1000)
	p.LogProb(x, out)
	for _, l := range out {
		if !(math.Abs(l+2*math.Log(4)) <= 1e-12) {
			t.Fatalf("log r inside = %g, want %g", l, -2*math.Log(4))
		}
	}
	p.LogProb([]float64{0, 3.5}, out[:1])
	if !math.IsInf(out[0], -1) {
		t.Errorf("log r outside = %g, want -Inf", out[0])
	}
}

func TestRejectsBadParameters(t *testing.T) {
	if _, err := NewNormal(0, 0, 1); err == nil {
		t.Error("scale 0 accepted")
	}
	if _, err := NewNormal(0, 1, 0); err == nil {
		t.Error("size 0 accepted")
	}
	if _, err := NewUniform(1, 1, 1); err == nil {
		t.Error("empty interval accepted")
	}
}
