package sun

import (
	"math"
	"math/cmplx"
)

// The special-unitary polar projection of a complex N×N matrix (N = 2, 3),
// the covariant reference of the stapled-link coupling (docs/sun.md §10.7):
// A = Q H with Q unitary and H Hermitian positive, and
//
//	P(A) = Q · e^{−iα/N},   α = arg det Q ∈ (−π/2, 3π/2],
//
// so det P = 1. The N roots of det Q differ by centre elements; the branch
// cut of α lies on the negative imaginary axis, not the negative real one,
// because in 2-d the staple sum of SU(3), U₁ + U₂ = U₁(1 + V), has the real
// determinant Π_j 2cos(θ_j/2) of either sign, which a cut at α = π would
// split by rounding. Under A → g A h† (g, h ∈ SU(N)) Q → g Q h† and det Q is
// unchanged, so P → g P h†. Q comes from Newton's iteration for the polar
// factor (Higham, "Computing the polar decomposition — with applications",
// SIAM J. Sci. Stat. Comput. 7 (1986) 1160; "Functions of Matrices" §8.3),
//
//	X₀ = A / |det A|^{1/N},   X_{k+1} = ½ (X_k + X_k^{−†}),
//
// which converges quadratically for non-singular A; the determinant
// normalisation of X₀ leaves Q unchanged (Q(cA) = Q(A), c > 0) and makes the
// product of the singular values 1. PolarSUVJP backpropagates through the
// same iterates, so its cotangent is exact for the computed P.

// PolarMaxIter caps the Newton iterations of PolarSU: from the determinant-
// normalised start a singular value σ ≫ 1 roughly halves per step until the
// quadratic phase, so 40 steps converge for condition numbers up to ~1e10.
const PolarMaxIter = 40

// polarTol is the Frobenius norm of the last Newton step at which the
// iteration stops: in the quadratic phase the error of X_{k+1} is
// O(‖X_{k+1} − X_k‖²), far below rounding.
const polarTol = 1e-10

// Polar holds the Newton iterates X₀ … X_k of one polar projection, so
// that PolarSU and PolarSUVJP can be called many times without clearing
// them again; the zero value is ready. Not safe for concurrent use.
type Polar struct {
	x     [PolarMaxIter + 1][9]complex128
	k     int     // index of the last iterate
	scale float64 // |det A|^{1/N}
}

// iterate runs the Newton iteration on a and reports whether it converged
// to a unitary matrix (false for singular or non-finite a). With keep it
// stores every iterate in x[0 … k]; without, it alternates between x[0]
// and x[1] and sets k to the slot of the last one.
func (it *Polar) iterate(a []complex128, keep bool) bool {
	n := Dim(a)
	n2 := n * n
	d := cmplx.Abs(Det(a))
	if !(d > 0) || math.IsInf(d, 0) {
		return false
	}
	it.scale = math.Pow(d, 1/float64(n))
	s := complex(1/it.scale, 0)
	for i, v := range a {
		it.x[0][i] = v * s
	}
	var yb [9]complex128
	y := yb[:n2]
	slot := func(k int) int {
		if keep {
			return k
		}
		return k % 2
	}
	for k := range PolarMaxIter {
		x, next := it.x[slot(k)][:n2], it.x[slot(k+1)][:n2]
		if !invAdj(y, x) {
			return false
		}
		var step float64
		for i := range next {
			nv := 0.5 * (x[i] + y[i])
			step += abs2(nv - x[i])
			next[i] = nv
		}
		if math.IsNaN(step) || math.IsInf(step, 0) {
			return false
		}
		if math.Sqrt(step) < polarTol {
			it.k = slot(k + 1)
			return unitaryError(next) < 1e-12
		}
	}
	return false
}

// unitaryError is max_ij |(X†X − 1)_ij|.
func unitaryError(x []complex128) float64 {
	n := Dim(x)
	var e float64
	for i := range n {
		for j := range n {
			var s complex128
			for k := range n {
				s += cmplx.Conj(x[k*n+i]) * x[k*n+j]
			}
			if i == j {
				s--
			}
			e = max(e, cmplx.Abs(s))
		}
	}
	return e
}

// Adjugate sets dst to the adjugate (transposed cofactor matrix) of a (N =
// 2, 3), so that a·adj(a) = det(a)·1 and d det a = Tr(adj(a) da); dst must
// not alias a.
func Adjugate(dst, a []complex128) {
	switch sameDim(dst, a) {
	case 2:
		dst[0], dst[1], dst[2], dst[3] = a[3], -a[1], -a[2], a[0]
	case 3:
		dst[0] = a[4]*a[8] - a[5]*a[7]
		dst[1] = a[2]*a[7] - a[1]*a[8]
		dst[2] = a[1]*a[5] - a[2]*a[4]
		dst[3] = a[5]*a[6] - a[3]*a[8]
		dst[4] = a[0]*a[8] - a[2]*a[6]
		dst[5] = a[2]*a[3] - a[0]*a[5]
		dst[6] = a[3]*a[7] - a[4]*a[6]
		dst[7] = a[1]*a[6] - a[0]*a[7]
		dst[8] = a[0]*a[4] - a[1]*a[3]
	default:
		panic("sun: Adjugate: N must be 2 or 3")
	}
}

// invAdj sets dst = a^{−†} = (adj(a)/det a)† and reports false for a
// singular (or non-finite) a.
func invAdj(dst, a []complex128) bool {
	n := Dim(a)
	var cb [9]complex128
	c := cb[:n*n]
	Adjugate(c, a)
	d := Det(a)
	if d == 0 || cmplx.IsNaN(d) || cmplx.IsInf(d) {
		return false
	}
	r := 1 / d
	for i := range n {
		for j := range n {
			dst[i*n+j] = cmplx.Conj(c[j*n+i] * r)
		}
	}
	return true
}

// DetPhase is arg z on the branch (−π/2, 3π/2] of PolarSU.
func DetPhase(z complex128) float64 {
	a := cmplx.Phase(z)
	if a <= -math.Pi/2 {
		a += 2 * math.Pi
	}
	return a
}

// PolarSU sets dst to P(A) ∈ SU(N), the unitary polar factor of a with its
// determinant phase removed (see above), and returns true. For a singular
// or non-finite a (measure zero among staple sums), or if the iteration
// does not converge, it sets dst to the identity and returns false: never
// NaN. dst may alias a.
func PolarSU(dst, a []complex128) (ok bool) {
	var it Polar
	return it.SU(dst, a)
}

// SU is PolarSU with it as the scratch of the iteration.
func (it *Polar) SU(dst, a []complex128) bool { return it.su(dst, a, false) }

func (it *Polar) su(dst, a []complex128, keep bool) bool {
	n := sameDim(dst, a)
	if n != 2 && n != 3 {
		panic("sun: PolarSU: N must be 2 or 3")
	}
	if !it.iterate(a, keep) {
		Identity(dst)
		return false
	}
	q := it.x[it.k][:n*n]
	c := cmplx.Rect(1, -DetPhase(Det(q))/float64(n))
	for i := range dst {
		dst[i] = q[i] * c
	}
	return true
}

// PolarSUVJP writes into gA the cotangent of a for the cotangent gP of
// P = PolarSU(a) (matrix cotangents G = ∂L/∂Re + i ∂L/∂Im, dL = Re Tr(G†
// dM)), through the Newton iterates:
//
//	P = X_k c, c = e^{−iα/N}, α = arg det X_k:
//	  G_{X_k} = c̄ G_P + κ·i X_k^{−†},   κ = Im(c Tr(G_P† X_k)) / N
//	  (dα = Im Tr(X_k^{−1} dX_k));
//	X_{j+1} = ½ (X_j + X_j^{−†}):   G_{X_j} = ½ (G − Y G† Y),  Y = X_j^{−†}
//	  (d X^{−†} = −X^{−†} dX† X^{−†});
//	X₀ = A/s, s = |det A|^{1/N}:   G_A = G₀/s − κ₀ A^{−†},  κ₀ = Re Tr(G₀† A)/(N s).
//
// Where PolarSU fell back to the identity, gA is zero. gA must not alias a
// or gP.
func PolarSUVJP(gA, a, gP []complex128) {
	var it Polar
	it.VJP(gA, a, gP)
}

// VJP is PolarSUVJP with it as the store of the iterates.
func (it *Polar) VJP(gA, a, gP []complex128) {
	n := sameDim(gA, a, gP)
	var pb [9]complex128
	if !it.su(pb[:n*n], a, true) {
		clear(gA)
		return
	}
	n2 := n * n
	var gb, yb, tb [9]complex128
	g, y, t := gb[:n2], yb[:n2], tb[:n2]
	q := it.x[it.k][:n2]
	c := cmplx.Rect(1, -DetPhase(Det(q))/float64(n))
	var tr complex128 // Tr(G_P† X_k)
	for i := range q {
		tr += cmplx.Conj(gP[i]) * q[i]
	}
	kappa := imag(c*tr) / float64(n)
	invAdj(y, q)
	for i := range g {
		g[i] = cmplx.Conj(c)*gP[i] + complex(0, kappa)*y[i]
	}
	for j := it.k - 1; j >= 0; j-- {
		invAdj(y, it.x[j][:n2])
		// t = Y G† Y
		Adj(t, g)
		Mul(t, y, t)
		Mul(t, t, y)
		for i := range g {
			g[i] = 0.5 * (g[i] - t[i])
		}
	}
	var ga complex128 // Tr(G₀† A)
	for i := range a {
		ga += cmplx.Conj(g[i]) * a[i]
	}
	k0 := real(ga) / (float64(n) * it.scale)
	invAdj(y, a)
	for i := range gA {
		gA[i] = g[i]/complex(it.scale, 0) - complex(k0, 0)*y[i]
	}
}
