package sun

import (
	"math"
	"math/cmplx"
)

// The generalised Gell-Mann basis of su(N), in the order that gives the
// Pauli matrices for N = 2 and the Gell-Mann matrices λ^1…λ^8 for N = 3:
// for k = 1, …, N−1 in turn, for j = 0, …, k−1 the symmetric and the
// antisymmetric generator of the pair (j, k), then the diagonal generator
// with entries 1 (k times), −k, 0, … — all divided by 2 so that
// Tr(T^a T^b) = δ^{ab}/2. Indices j, k count from 0.
type generatorKind uint8

const (
	symmetric     generatorKind = iota // (E_jk + E_kj)/2, like σ^1
	antisymmetric                      // (−i E_jk + i E_kj)/2, like σ^2
	diagonal                           // c_k (Σ_{l<k} E_ll − k E_kk)/2, c_k = √(2/(k(k+1))), like σ^3
)

type generator struct {
	kind generatorKind
	j, k int
	c    float64 // c_k of a diagonal generator
}

// basis lists the N²−1 generators of su(N).
func basis(n int) []generator {
	g := make([]generator, 0, n*n-1)
	for k := 1; k < n; k++ {
		for j := range k {
			g = append(g, generator{kind: symmetric, j: j, k: k}, generator{kind: antisymmetric, j: j, k: k})
		}
		g = append(g, generator{kind: diagonal, k: k, c: math.Sqrt(2 / float64(k*(k+1)))})
	}
	return g
}

var basis2, basis3 = basis(2), basis(3)

func basisOf(n int) []generator {
	switch n {
	case 2:
		return basis2
	case 3:
		return basis3
	}
	return basis(n)
}

// Generators returns the N²−1 generators T^a of su(N) as fresh N×N
// matrices: Hermitian, traceless, Tr(T^a T^b) = δ^{ab}/2. For N = 2 they are
// σ^a/2 (Pauli), for N = 3 λ^a/2 (Gell-Mann, in the usual order λ^1…λ^8),
// for larger N the generalised Gell-Mann matrices divided by 2 (symmetric and
// antisymmetric off-diagonal pairs, then the diagonal
// √(2/(k(k+1))) diag(1, …, 1, −k, 0, …)/2, for each k = 1…N−1).
func Generators(n int) [][]complex128 {
	g := basisOf(n)
	t := make([][]complex128, len(g))
	w := make([]float64, len(g))
	for a := range g {
		// T^a = X/i for the algebra element X with ω^b = δ^{ab}.
		w[a] = 1
		x := make([]complex128, n*n)
		AlgebraElement(x, w)
		for i := range x {
			x[i] *= -1i
		}
		t[a] = x
		w[a] = 0
	}
	return t
}

// AlgebraElement sets dst = X = i Σ_a ω^a T^a, the traceless anti-Hermitian
// N×N matrix with real coefficients ω (length N²−1) on the generators of
// Generators.
func AlgebraElement(dst []complex128, w []float64) {
	n := Dim(dst)
	g := basisOf(n)
	if len(w) != len(g) {
		panic("sun: AlgebraElement: need N²−1 coefficients")
	}
	clear(dst)
	for a, t := range g {
		h := w[a] / 2
		switch t.kind {
		case symmetric: // i T = i(E_jk + E_kj)/2
			dst[t.j*n+t.k] += complex(0, h)
			dst[t.k*n+t.j] += complex(0, h)
		case antisymmetric: // i T = (E_jk − E_kj)/2
			dst[t.j*n+t.k] += complex(h, 0)
			dst[t.k*n+t.j] -= complex(h, 0)
		case diagonal: // i T = i c (Σ_{l<k} E_ll − k E_kk)/2
			for l := range t.k {
				dst[l*n+l] += complex(0, t.c*h)
			}
			dst[t.k*n+t.k] -= complex(0, t.c*h*float64(t.k))
		}
	}
}

// AlgebraCoeffs sets ω^a = 2 Im Tr(T^a M) for a = 1…N²−1 (w of length
// N²−1). For M = i Σ_b ω^b T^b it inverts AlgebraElement; for any M it gives
// the coefficients of TA(M), since Tr(T^a TA(M)) = i Im Tr(T^a M).
func AlgebraCoeffs(w []float64, m []complex128) {
	n := Dim(m)
	g := basisOf(n)
	if len(w) != len(g) {
		panic("sun: AlgebraCoeffs: need N²−1 coefficients")
	}
	for a, t := range g {
		var tr complex128 // Tr(T^a M)
		switch t.kind {
		case symmetric:
			tr = (m[t.k*n+t.j] + m[t.j*n+t.k]) / 2
		case antisymmetric:
			tr = 1i * (m[t.j*n+t.k] - m[t.k*n+t.j]) / 2
		case diagonal:
			var s complex128
			for l := range t.k {
				s += m[l*n+l]
			}
			tr = complex(t.c/2, 0) * (s - complex(float64(t.k), 0)*m[t.k*n+t.k])
		}
		w[a] = 2 * imag(tr)
	}
}

// TA sets dst to the traceless anti-Hermitian part of m,
//
//	TA(M) = (M − M†)/2 − Tr(M − M†)/(2N) · 1,
//
// the projection onto su(N) (docs/sun.md §1). dst may alias m.
func TA(dst, m []complex128) {
	n := sameDim(dst, m)
	var tr float64 // Im Tr M; Tr(M − M†)/2 = i Im Tr M
	for i := range n {
		tr += imag(m[i*n+i])
	}
	tr /= float64(n)
	for i := range n {
		dst[i*n+i] = complex(0, imag(m[i*n+i])-tr)
		for j := i + 1; j < n; j++ {
			x, y := m[i*n+j], m[j*n+i]
			d := (x - cmplx.Conj(y)) / 2
			dst[i*n+j], dst[j*n+i] = d, -cmplx.Conj(d)
		}
	}
}
