package prior

import (
	"math"
	"math/cmplx"
	"testing"

	"github.com/normflow/normflow-go/internal/within"
	"github.com/normflow/normflow-go/rng"
	"github.com/normflow/normflow-go/sun"
)

// TestHaarSUMoments: configurations of 3 matrices drawn from per-sample
// streams are special unitary to 1e-14, and ⟨Tr U⟩ = 0 (real and
// imaginary parts; SU(2) traces are real), ⟨|Tr U|²⟩ = 1 within 4σ of the sample errors
// (3·10⁴ configurations, SU(2) and SU(3)); LogProb and GradLogProb are 0.
func TestHaarSUMoments(t *testing.T) {
	for _, n := range []int{2, 3} {
		p, err := NewHaarSU(n, 3)
		if err != nil {
			t.Fatal(err)
		}
		const samples = 30000
		x := make([]float64, p.Size())
		u := make([]complex128, n*n)
		var re, im, abs2 []float64
		var worst float64
		for i := range samples {
			s := rng.New(21, uint64(i))
			p.Sample(&s, x)
			for m := range 3 {
				sun.FromInterleaved(u, x[m*2*n*n:(m+1)*2*n*n])
				worst = max(worst, sun.UnitarityError(u), cmplx.Abs(sun.Det(u)-1))
				tr := sun.Trace(u)
				re, im = append(re, real(tr)), append(im, imag(tr))
				abs2 = append(abs2, real(tr)*real(tr)+imag(tr)*imag(tr))
			}
		}
		if worst > 1e-14 {
			t.Errorf("SU(%d): unitarity or det error %.2g", n, worst)
		}
		for _, c := range []struct {
			name string
			x    []float64
			want float64
		}{{"<Re Tr U>", re, 0}, {"<Im Tr U>", im, 0}, {"<|Tr U|²>", abs2, 1}} {
			m, e := meanErr(c.x)
			if n == 2 && c.name == "<Im Tr U>" { // Tr of SU(2) is real
				if math.Abs(m) > 1e-15 {
					t.Errorf("SU(2) <Im Tr U> = %g, want 0", m)
				}
				continue
			}
			within.Sigmas(t, c.name, m, c.want, e, 4)
			t.Logf("SU(%d) %s = %.4f ± %.4f (exact %g)", n, c.name, m, e, c.want)
		}
		out, g := []float64{7, 7}, make([]float64, 2*p.Size())
		for i := range g {
			g[i] = 1
		}
		p.LogProb(make([]float64, 2*p.Size()), out)
		p.GradLogProb(make([]float64, 2*p.Size()), g)
		for _, v := range append(out, g...) {
			if v != 0 {
				t.Fatalf("SU(%d): LogProb or GradLogProb not 0: %v", n, v)
			}
		}
	}
	if _, err := NewHaarSU(1, 1); err == nil {
		t.Errorf("NewHaarSU(1, 1): no error")
	}
}

func meanErr(x []float64) (mean, err float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	var v2 float64
	for _, v := range x {
		v2 += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(v2 / float64(len(x)-1) / float64(len(x)))
}
