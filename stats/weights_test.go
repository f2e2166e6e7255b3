package stats

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/normflow/normflow-go/internal/within"
)

var (
	inf  = math.Inf(1)
	ninf = math.Inf(-1)
	nan  = math.NaN()
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 1)) }

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func relClose(a, b, rtol float64) bool { return math.Abs(a-b) <= rtol*math.Abs(b) }

func TestLogSumExp(t *testing.T) {
	tests := []struct {
		name string
		x    []float64
		want float64
	}{
		{"empty", nil, ninf},
		{"all -Inf", []float64{ninf, ninf}, ninf},
		{"single", []float64{3.5}, 3.5},
		{"two zeros", []float64{0, 0}, math.Ln2},
		{"large", []float64{1000, 1000, 1000}, 1000 + math.Log(3)},
		{"small", []float64{-1000, -1000}, -1000 + math.Ln2},
		{"with -Inf", []float64{ninf, 2, ninf}, 2},
		{"+Inf", []float64{1, inf}, inf},
		{"mixed", []float64{math.Log(1), math.Log(2), math.Log(3.5)}, math.Log(6.5)},
	}
	for _, tc := range tests {
		got := LogSumExp(tc.x)
		if math.IsInf(tc.want, 0) {
			if got != tc.want {
				t.Errorf("%s: LogSumExp = %v, want %v", tc.name, got, tc.want)
			}
			continue
		}
		if !near(got, tc.want, 1e-12*math.Max(1, math.Abs(tc.want))) {
			t.Errorf("%s: LogSumExp = %.17g, want %.17g", tc.name, got, tc.want)
		}
	}
	for _, x := range [][]float64{{nan}, {1, nan}, {inf, nan}, {ninf, nan}} {
		if got := LogSumExp(x); !math.IsNaN(got) {
			t.Errorf("LogSumExp(%v) = %v, want NaN", x, got)
		}
	}
	// Against the naive formula for moderate random values.
	r := newRand(11)
	x := make([]float64, 257)
	naive := 0.0
	for i := range x {
		x[i] = 5 * r.NormFloat64()
		naive += math.Exp(x[i])
	}
	if got := LogSumExp(x); !near(got, math.Log(naive), 1e-12) {
		t.Errorf("LogSumExp random = %.17g, naive %.17g", got, math.Log(naive))
	}
}

func TestESSExact(t *testing.T) {
	// Equal weights, arbitrary offset → 1.
	for _, c := range []float64{0, -1234.5, 700, 1e5} {
		lw := []float64{c, c, c, c, c}
		if got := ESS(lw); !near(got, 1, 1e-15) {
			t.Errorf("ESS(equal %v) = %v, want 1", c, got)
		}
	}
	// One dominant weight → 1/N.
	lw := []float64{ninf, ninf, 3, ninf}
	if got := ESS(lw); got != 0.25 {
		t.Errorf("ESS(one weight) = %v, want 0.25", got)
	}
	lw = []float64{0, -800, -900, -1000, -750}
	if got := ESS(lw); !near(got, 0.2, 1e-15) {
		t.Errorf("ESS(dominant) = %v, want 0.2", got)
	}
	// w = 1,1,2,2: (6)²/(4·10) = 0.9, independent of the offset.
	for _, c := range []float64{0, 1000, -1000} {
		l2 := math.Log(2)
		lw = []float64{c, c, c + l2, c + l2}
		if got := ESS(lw); !near(got, 0.9, 1e-12) {
			t.Errorf("ESS(1,1,2,2 · e^%v) = %v, want 0.9", c, got)
		}
	}
	// +Inf entries dominate.
	if got := ESS([]float64{inf, 0, inf, 5}); got != 0.5 {
		t.Errorf("ESS with two +Inf = %v, want 0.5", got)
	}
	for name, lw := range map[string][]float64{
		"empty": nil, "NaN": {0, nan, 1}, "all -Inf": {ninf, ninf},
	} {
		if got := ESS(lw); !math.IsNaN(got) {
			t.Errorf("ESS(%s) = %v, want NaN", name, got)
		}
	}
}

// For logw ~ N(μ, s²) the large-N ESS is E[w]²/E[w²] = exp(−s²).
func TestESSLogNormal(t *testing.T) {
	const n = 200000
	const s = 0.5
	r := newRand(2)
	lw := make([]float64, n)
	for i := range lw {
		lw[i] = 3 + s*r.NormFloat64()
	}
	want := math.Exp(-s * s)
	// Relative fluctuations of the estimate are O(few/√N) ≈ 1e-2 at most.
	if got := ESS(lw); !relClose(got, want, 0.01) {
		t.Errorf("ESS = %v, want %v", got, want)
	}
}

func TestLogZExact(t *testing.T) {
	for _, c := range []float64{0, -3.25, 1234.5, -1e4} {
		lw := make([]float64, 37)
		for i := range lw {
			lw[i] = c
		}
		est, err := LogZ(lw)
		if est != c || err != 0 {
			t.Errorf("LogZ(const %v) = (%v, %v), want (%v, 0)", c, est, err, c)
		}
	}
	// Compare with brute-force leave-one-out recomputation, including a
	// dominant weight and -Inf entries.
	r := newRand(3)
	lw := make([]float64, 25)
	for i := range lw {
		lw[i] = 2 * r.NormFloat64()
	}
	lw[7] = 40
	lw[3] = ninf
	n := len(lw)
	theta := make([]float64, n)
	for i := range theta {
		rest := append(append([]float64{}, lw[:i]...), lw[i+1:]...)
		theta[i] = LogSumExp(rest) - math.Log(float64(n-1))
	}
	wantErr := jackknifeSpread(theta)
	est, err := LogZ(lw)
	if !near(est, LogSumExp(lw)-math.Log(float64(n)), 1e-12) {
		t.Errorf("LogZ est = %v", est)
	}
	if !relClose(err, wantErr, 1e-10) {
		t.Errorf("LogZ err = %.17g, brute force %.17g", err, wantErr)
	}
	// One weight dominating by e^1000: dropping it must not underflow.
	est, err = LogZ([]float64{1000, 0, 0, 0})
	if !near(est, 1000-math.Log(4), 1e-12) || math.IsNaN(err) || math.IsInf(err, 0) {
		t.Errorf("LogZ(dominant) = (%v, %v)", est, err)
	}
	// theta = {0 + log 3 − log 3 (×1), 1000 − log 3 (×3)}: spread √(3/4·Σ) exactly.
	th := []float64{0, 1000 - math.Log(3), 1000 - math.Log(3), 1000 - math.Log(3)}
	if want := jackknifeSpread(th); !relClose(err, want, 1e-12) {
		t.Errorf("LogZ(dominant) err = %v, want %v", err, want)
	}
}

func TestLogZSpecial(t *testing.T) {
	if est, err := LogZ(nil); !math.IsNaN(est) || !math.IsNaN(err) {
		t.Errorf("LogZ(nil) = (%v, %v), want NaN", est, err)
	}
	if est, err := LogZ([]float64{0, nan, 1}); !math.IsNaN(est) || !math.IsNaN(err) {
		t.Errorf("LogZ(NaN) = (%v, %v), want NaN", est, err)
	}
	if est, err := LogZ([]float64{2.5}); est != 2.5 || !math.IsNaN(err) {
		t.Errorf("LogZ(single) = (%v, %v), want (2.5, NaN)", est, err)
	}
	if est, err := LogZ([]float64{ninf, ninf}); !math.IsInf(est, -1) || !math.IsNaN(err) {
		t.Errorf("LogZ(all -Inf) = (%v, %v), want (-Inf, NaN)", est, err)
	}
	if est, err := LogZ([]float64{1, inf}); !math.IsInf(est, 1) || !math.IsNaN(err) {
		t.Errorf("LogZ(+Inf) = (%v, %v), want (+Inf, NaN)", est, err)
	}
}

// logw = log w with w log-normal, E[w] = 1: log Z = 0, and the error of
// log Ẑ is ≈ sqrt(Var w / N) = sqrt((e^{s²} − 1)/N) (delta method).
func TestLogZStatistical(t *testing.T) {
	const n = 20000
	const s = 0.5
	r := newRand(4)
	lw := make([]float64, n)
	for i := range lw {
		lw[i] = -s*s/2 + s*r.NormFloat64()
	}
	est, err := LogZ(lw)
	want := math.Sqrt((math.Exp(s*s) - 1) / n)
	// The relative noise of the error estimate is ≈ sqrt((κ−1)/(4N)) with
	// kurtosis κ of w (≈ 8 here) → ~1%; allow 8%.
	if !relClose(err, want, 0.08) {
		t.Errorf("LogZ err = %v, want ≈ %v", err, want)
	}
	within.Sigmas(t, "LogZ est", est, 0, want, 5)
}
