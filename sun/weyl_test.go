package sun

import (
	"math"
	"math/cmplx"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"
)

// traceOf returns Tr U^p = Σ_k e^{ipθ_k} from eigen-angles.
func traceOf(theta []float64, p int) complex128 {
	var s complex128
	for _, t := range theta {
		s += cmplx.Rect(1, float64(p)*t)
	}
	return s
}

// TestWeylIntegral: the Weyl measure is normalised and gives the Haar
// moments ⟨|Tr U|²⟩ = 1, ⟨|Tr U|⁴⟩ = 2 (N ≥ 2), ⟨(Tr U)^N⟩ = 1 and
// ⟨Tr U⟩ = 0, to 1e-13 on a small grid (the integrands are
// trigonometric polynomials, which the trapezoid rule integrates exactly
// once m exceeds their degree).
func TestWeylIntegral(t *testing.T) {
	for _, n := range []int{2, 3, 4} {
		m := 16
		for _, c := range []struct {
			name  string
			exact float64
			f     func([]float64) float64
		}{
			{"1", 1, func([]float64) float64 { return 1 }},
			{"|Tr U|²", 1, func(th []float64) float64 { return abs2(traceOf(th, 1)) }},
			{"|Tr U|⁴", 2, func(th []float64) float64 { return abs2(traceOf(th, 1)) * abs2(traceOf(th, 1)) }},
			{"Re (Tr U)^N", 1, func(th []float64) float64 {
				return real(cmplx.Pow(traceOf(th, 1), complex(float64(n), 0)))
			}},
			{"Re Tr U", 0, func(th []float64) float64 { return real(traceOf(th, 1)) }},
			{"Im Tr U", 0, func(th []float64) float64 { return imag(traceOf(th, 1)) }},
		} {
			if got := WeylIntegral(n, m, c.f); math.Abs(got-c.exact) > 1e-13 {
				t.Errorf("N=%d: Weyl ⟨%s⟩ = %.16g, want %g", n, c.name, got, c.exact)
			}
		}
	}
}

// The SU(2) case of WeylIntegral is (2/π)∫₀^π sin²θ f(θ) dθ, here by
// 40-point Gauss–Legendre, for f = e^{β cos θ} (a class function: Re Tr U
// = 2 cos θ).
func TestWeylIntegralSU2(t *testing.T) {
	x, w := make([]float64, 40), make([]float64, 40)
	quad.Legendre{}.FixedLocations(x, w, 0, math.Pi)
	for _, beta := range []float64{0.5, 2, 6} {
		var gl float64
		for i := range x {
			gl += w[i] * 2 / math.Pi * math.Pow(math.Sin(x[i]), 2) * math.Exp(beta*math.Cos(x[i]))
		}
		tr := WeylIntegral(2, 48, func(th []float64) float64 { return math.Exp(beta / 2 * real(traceOf(th, 1))) })
		if math.Abs(tr-gl) > 1e-13*gl {
			t.Errorf("β = %g: trapezoid %.16g, Gauss–Legendre on [0, π] %.16g", beta, tr, gl)
		}
	}
}

func TestWeylFactor(t *testing.T) {
	th := []float64{2.1, -0.4, -1.7}
	// |e^{ia} − e^{ib}|² directly.
	want := 1.0
	for i := range th {
		for j := i + 1; j < len(th); j++ {
			want *= abs2(cmplx.Rect(1, th[i]) - cmplx.Rect(1, th[j]))
		}
	}
	if got := WeylFactor(th); math.Abs(got-want) > 1e-14*want {
		t.Fatalf("WeylFactor = %g, want %g", got, want)
	}
	if got := LogWeylFactor(th); math.Abs(got-math.Log(want)) > 1e-14 {
		t.Fatalf("LogWeylFactor = %g, want %g", got, math.Log(want))
	}
	if !math.IsInf(LogWeylFactor([]float64{1, 1, -2}), -1) {
		t.Fatal("LogWeylFactor at degenerate angles is not −Inf")
	}
}
