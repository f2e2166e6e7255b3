package sun

import (
	"math"
	"math/cmplx"
)

// Exp sets dst = exp(X) ∈ SU(N) for a traceless anti-Hermitian X
// (X = iεP with P = Σ_a p^a T^a Hermitian), N = 2 or 3; other N panic.
// dst may alias x.
//
// SU(2): X = i a·σ, and X² = −|a|²·1 with |a|² = ½ Σ_ij |X_ij|², so
//
//	exp(X) = cos|a| · 1 + (sin|a|/|a|) · X.
//
// SU(3): with Q = −iX Hermitian and traceless, Cayley–Hamilton
// (Q³ = c₁Q + c₀) gives exp(iQ) = f₀ + f₁Q + f₂Q², c₀ = det Q,
// c₁ = ½ Tr Q², with the coefficients of Morningstar & Peardon
// (hep-lat/0311018): for c₀ ≥ 0,
//
//	θ = arccos(c₀/c₀max), c₀max = 2(c₁/3)^{3/2},  u = √(c₁/3) cos(θ/3),  w = √c₁ sin(θ/3),
//	f_j = h_j/(9u² − w²),  ξ₀(w) = sin w / w,
//	h₀ = (u² − w²) e^{2iu} + e^{−iu} [8u² cos w + 2iu(3u² + w²) ξ₀(w)],
//	h₁ = 2u e^{2iu} − e^{−iu} [2u cos w − i(3u² − w²) ξ₀(w)],
//	h₂ = e^{2iu} − e^{−iu} [cos w + 3iu ξ₀(w)],
//
// and f_j(−c₀, c₁) = (−1)^j f_j(c₀, c₁)* for c₀ < 0. ξ₀ comes from its
// Taylor series for |w| < 0.05, and c₀/c₀max is clamped to [−1, 1] (it can
// leave it by rounding at degenerate eigenvalues, where θ = 0 or π). For
// small Q (c₁ < 0.05) the h_j cancel to O(c₁) and lose relative accuracy;
// there the f_j come instead from the exponential series reduced by
// Cayley–Hamilton, Q^{k+1} = d_k c₀ + (a_k + d_k c₁) Q + b_k Q² for
// Q^k = a_k + b_k Q + d_k Q², which keeps exp(X) − 1 accurate to rounding
// relative to |X| however small X is.
func Exp(dst, x []complex128) {
	switch sameDim(dst, x) {
	case 2:
		exp2(dst, x)
	case 3:
		exp3(dst, x)
	default:
		panic("sun: Exp: only N = 2 and N = 3 are implemented")
	}
}

func abs2(z complex128) float64 { return real(z)*real(z) + imag(z)*imag(z) }

func exp2(dst, x []complex128) {
	a := math.Sqrt((abs2(x[0]) + abs2(x[1]) + abs2(x[2]) + abs2(x[3])) / 2)
	c, s := math.Cos(a), sinc(a)
	d := (*[4]complex128)(dst)
	d[0] = complex(c, 0) + complex(s, 0)*x[0]
	d[1] = complex(s, 0) * x[1]
	d[2] = complex(s, 0) * x[2]
	d[3] = complex(c, 0) + complex(s, 0)*x[3]
}

// sinc is sin(a)/a, by its Taylor series for |a| < 0.05 (next term
// a⁸/9! < 1.1e-16).
func sinc(a float64) float64 {
	if math.Abs(a) < 0.05 {
		a2 := a * a
		return 1 - a2/6*(1-a2/20*(1-a2/42*(1-a2/72)))
	}
	return math.Sin(a) / a
}

func exp3(dst, x []complex128) {
	var q [9]complex128 // Q = −iX
	for i, v := range x[:9] {
		q[i] = complex(imag(v), -real(v))
	}
	var q2 [9]complex128
	Mul(q2[:], q[:], q[:])
	c1 := 0.0
	for _, v := range q {
		c1 += abs2(v)
	}
	c1 /= 2
	c0 := real(Det(q[:]))
	f0, f1, f2 := expCoeffs3(c0, c1)
	d := (*[9]complex128)(dst)
	for i := range d {
		d[i] = f1*q[i] + f2*q2[i]
	}
	d[0] += f0
	d[4] += f0
	d[8] += f0
}

// expCoeffs3 returns f₀, f₁, f₂ with exp(iQ) = f₀ + f₁Q + f₂Q² for a
// traceless Hermitian 3×3 Q with c₀ = det Q and c₁ = ½ Tr Q² (see Exp).
func expCoeffs3(c0, c1 float64) (f0, f1, f2 complex128) {
	if c1 < 0.05 {
		// Σ_k (iQ)^k/k! with Q^k = a + bQ + dQ²; the eigenvalues of Q are
		// below √(4c₁/3) < 0.26 in modulus, so 18 terms reach rounding.
		a, b, d := complex(1, 0), complex(0, 0), complex(0, 0)
		t := complex(1, 0) // i^k/k!
		for k := 0; k <= 18; k++ {
			f0 += t * a
			f1 += t * b
			f2 += t * d
			a, b, d = d*complex(c0, 0), a+d*complex(c1, 0), b
			t *= complex(0, 1/float64(k+1))
		}
		return f0, f1, f2
	}
	neg := c0 < 0
	c0 = math.Abs(c0)
	c0max := 2 * math.Pow(c1/3, 1.5)
	theta := math.Acos(min(c0/c0max, 1))
	u := math.Sqrt(c1/3) * math.Cos(theta/3)
	w := math.Sqrt(c1) * math.Sin(theta/3)
	xi0 := sinc(w)
	cw := math.Cos(w)
	u2, w2 := u*u, w*w
	e2iu := cmplx.Rect(1, 2*u)
	emiu := cmplx.Rect(1, -u)
	h0 := complex(u2-w2, 0)*e2iu + emiu*complex(8*u2*cw, 2*u*(3*u2+w2)*xi0)
	h1 := complex(2*u, 0)*e2iu - emiu*complex(2*u*cw, -(3*u2-w2)*xi0)
	h2 := e2iu - emiu*complex(cw, 3*u*xi0)
	r := complex(1/(9*u2-w2), 0)
	f0, f1, f2 = h0*r, h1*r, h2*r
	if neg {
		f0, f1, f2 = cmplx.Conj(f0), -cmplx.Conj(f1), cmplx.Conj(f2)
	}
	return f0, f1, f2
}
