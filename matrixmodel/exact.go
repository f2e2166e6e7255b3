package matrixmodel

import (
	"fmt"
	"math"

	"github.com/normflow/normflow-go/sun"
)

// Exact results of the power form p(U) ∝ exp((β/N) Re Tr Σ_k c_k U^k) on
// one matrix, by Weyl integration (docs/sun.md §7, §11): the density is a
// class function, so for a class function f
//
//	⟨f⟩ = ∫ Δ(θ) e^{−S(θ)} f(θ) dθ / ∫ Δ(θ) e^{−S(θ)} dθ,   Re Tr U^k = Σ_i cos kθ_i,
//
// with the periodic trapezoid rule of sun.WeylIntegral on m points per
// angle (spectrally accurate: the integrands are analytic and periodic).
// Independent matrices on a lattice have the same one-matrix expectation
// values.

// Expect returns ⟨f⟩ for the power form with SU(n), β and coeffs (c_1, …)
// by quadrature on m points per free angle (m^{N−1} evaluations).
func Expect(n int, beta float64, coeffs []float64, m int, f func(theta []float64) float64) float64 {
	if len(coeffs) == 0 || n < 2 || m < 1 {
		panic(fmt.Sprintf("matrixmodel: Expect: n = %d, %d coefficients, m = %d", n, len(coeffs), m))
	}
	// The weight relative to its bound e^{β Σ|c_k|} (|Re Tr U^k| ≤ N), so
	// that it cannot overflow.
	var bound float64
	for _, c := range coeffs {
		bound += math.Abs(c)
	}
	bound *= math.Abs(beta)
	w := func(theta []float64) float64 {
		return math.Exp(beta/float64(n)*ReTrPowers(theta, coeffs) - bound)
	}
	num := sun.WeylIntegral(n, m, func(theta []float64) float64 { return w(theta) * f(theta) })
	den := sun.WeylIntegral(n, m, w)
	return num / den
}

// ReTrPowers returns Re Tr Σ_k c_k U^k = Σ_k c_k Σ_i cos kθ_i for U with
// eigen-angles theta.
func ReTrPowers(theta, coeffs []float64) float64 {
	var t float64
	for k, c := range coeffs {
		for _, th := range theta {
			t += c * math.Cos(float64(k+1)*th)
		}
	}
	return t
}

// MeanTrace returns ⟨(1/N) Re Tr U⟩ of the power form (Expect). For
// coeffs = [1] it equals sun.MeanTrace(n, β), the character series.
func MeanTrace(n int, beta float64, coeffs []float64, m int) float64 {
	return Expect(n, beta, coeffs, m, func(theta []float64) float64 {
		return ReTrPowers(theta, []float64{1}) / float64(n)
	})
}

// MeanTrace returns the exact ⟨(1/N) Re Tr U⟩ of one matrix of a: by
// quadrature on 256 points per angle for the power form; the staple form
// has it for G = 1 only (sun.MeanTrace), and MeanTrace reports an error
// for another G.
func (a *Action) MeanTrace() (float64, error) {
	if a.G == nil {
		return MeanTrace(a.n, a.Beta, a.Coeffs, 256), nil
	}
	for i := range a.n {
		for j := range a.n {
			want := complex(0, 0)
			if i == j {
				want = 1
			}
			if a.G[i*a.n+j] != want {
				return math.NaN(), fmt.Errorf("matrix action: the exact ⟨Re Tr U⟩/N is implemented for G = 1 only")
			}
		}
	}
	return sun.MeanTrace(a.n, a.Beta), nil
}

// SeriesMeanTrace returns ⟨(1/N) Re Tr U_x⟩ of each configuration of phi
// [batch, sites…, N, N, 2], averaged over the sites x: the series a chain's
// error analysis needs.
func (a *Action) SeriesMeanTrace(phi []float64) []float64 {
	n2 := a.n * a.n
	size := a.FieldSize()
	out := make([]float64, len(phi)/size)
	v := a.lat.Volume()
	for b := range out {
		var s float64
		for x := range v {
			m := phi[b*size+x*2*n2 : b*size+(x+1)*2*n2]
			for i := range a.n {
				s += m[2*(i*a.n+i)]
			}
		}
		out[b] = s / float64(a.n*v)
	}
	return out
}

// LogZ returns ln Z = ln ∫dU exp((β/N) Re Tr Σ_k c_k U^k) (normalised Haar
// measure, one matrix) by the quadrature of Expect; for coeffs = [1] it is
// ln c_0(β) (sun.CharacterCoeff of the trivial representation).
func LogZ(n int, beta float64, coeffs []float64, m int) float64 {
	var bound float64
	for _, c := range coeffs {
		bound += math.Abs(c)
	}
	bound *= math.Abs(beta)
	z := sun.WeylIntegral(n, m, func(theta []float64) float64 {
		return math.Exp(beta/float64(n)*ReTrPowers(theta, coeffs) - bound)
	})
	return math.Log(z) + bound
}
