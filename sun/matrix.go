package sun

import (
	"fmt"
	"math"
	"math/cmplx"
)

// Dim returns N for an N×N matrix m stored row-major in a slice of length N².
// It panics if len(m) is not a positive square.
func Dim(m []complex128) int {
	switch len(m) {
	case 4:
		return 2
	case 9:
		return 3
	}
	n := int(math.Sqrt(float64(len(m))) + 0.5)
	if n == 0 || n*n != len(m) {
		panic(fmt.Sprintf("sun: a slice of length %d is not an N×N matrix", len(m)))
	}
	return n
}

// Mat returns the k-th N×N matrix of a field stored as [..., N, N] (e.g.
// [batch, sites…, N, N]): field[k·N² : (k+1)·N²], a view, not a copy. Its
// capacity is capped so that an append cannot run into the next matrix.
func Mat(field []complex128, k, n int) []complex128 {
	n2 := n * n
	return field[k*n2 : (k+1)*n2 : (k+1)*n2]
}

// sameDim returns the common N of the matrices, or panics.
func sameDim(ms ...[]complex128) int {
	n := Dim(ms[0])
	for _, m := range ms[1:] {
		if len(m) != len(ms[0]) {
			panic(fmt.Sprintf("sun: matrices of lengths %d and %d", len(ms[0]), len(m)))
		}
	}
	return n
}

// Identity sets dst = 1.
func Identity(dst []complex128) {
	n := Dim(dst)
	clear(dst)
	for i := range n {
		dst[i*n+i] = 1
	}
}

// Mul sets dst = a·b, (ab)_ij = Σ_k a_ik b_kj. dst may alias a or b.
func Mul(dst, a, b []complex128) {
	switch sameDim(dst, a, b) {
	case 2:
		x, y := [4]complex128(a), [4]complex128(b)
		d := (*[4]complex128)(dst)
		d[0] = x[0]*y[0] + x[1]*y[2]
		d[1] = x[0]*y[1] + x[1]*y[3]
		d[2] = x[2]*y[0] + x[3]*y[2]
		d[3] = x[2]*y[1] + x[3]*y[3]
	case 3:
		x, y := [9]complex128(a), [9]complex128(b)
		d := (*[9]complex128)(dst)
		d[0] = x[0]*y[0] + x[1]*y[3] + x[2]*y[6]
		d[1] = x[0]*y[1] + x[1]*y[4] + x[2]*y[7]
		d[2] = x[0]*y[2] + x[1]*y[5] + x[2]*y[8]
		d[3] = x[3]*y[0] + x[4]*y[3] + x[5]*y[6]
		d[4] = x[3]*y[1] + x[4]*y[4] + x[5]*y[7]
		d[5] = x[3]*y[2] + x[4]*y[5] + x[5]*y[8]
		d[6] = x[6]*y[0] + x[7]*y[3] + x[8]*y[6]
		d[7] = x[6]*y[1] + x[7]*y[4] + x[8]*y[7]
		d[8] = x[6]*y[2] + x[7]*y[5] + x[8]*y[8]
	default:
		mulGeneral(dst, a, b, false, false)
	}
}

// MulAdj sets dst = a·b†, (ab†)_ij = Σ_k a_ik conj(b_jk). dst may alias a or b.
func MulAdj(dst, a, b []complex128) {
	switch sameDim(dst, a, b) {
	case 3:
		x, y := [9]complex128(a), [9]complex128(b)
		for i := range y {
			y[i] = cmplx.Conj(y[i])
		}
		d := (*[9]complex128)(dst)
		d[0] = x[0]*y[0] + x[1]*y[1] + x[2]*y[2]
		d[1] = x[0]*y[3] + x[1]*y[4] + x[2]*y[5]
		d[2] = x[0]*y[6] + x[1]*y[7] + x[2]*y[8]
		d[3] = x[3]*y[0] + x[4]*y[1] + x[5]*y[2]
		d[4] = x[3]*y[3] + x[4]*y[4] + x[5]*y[5]
		d[5] = x[3]*y[6] + x[4]*y[7] + x[5]*y[8]
		d[6] = x[6]*y[0] + x[7]*y[1] + x[8]*y[2]
		d[7] = x[6]*y[3] + x[7]*y[4] + x[8]*y[5]
		d[8] = x[6]*y[6] + x[7]*y[7] + x[8]*y[8]
	default:
		mulGeneral(dst, a, b, false, true)
	}
}

// AdjMul sets dst = a†·b, (a†b)_ij = Σ_k conj(a_ki) b_kj. dst may alias a or b.
func AdjMul(dst, a, b []complex128) {
	switch sameDim(dst, a, b) {
	case 3:
		x, y := [9]complex128(a), [9]complex128(b)
		for i := range x {
			x[i] = cmplx.Conj(x[i])
		}
		d := (*[9]complex128)(dst)
		d[0] = x[0]*y[0] + x[3]*y[3] + x[6]*y[6]
		d[1] = x[0]*y[1] + x[3]*y[4] + x[6]*y[7]
		d[2] = x[0]*y[2] + x[3]*y[5] + x[6]*y[8]
		d[3] = x[1]*y[0] + x[4]*y[3] + x[7]*y[6]
		d[4] = x[1]*y[1] + x[4]*y[4] + x[7]*y[7]
		d[5] = x[1]*y[2] + x[4]*y[5] + x[7]*y[8]
		d[6] = x[2]*y[0] + x[5]*y[3] + x[8]*y[6]
		d[7] = x[2]*y[1] + x[5]*y[4] + x[8]*y[7]
		d[8] = x[2]*y[2] + x[5]*y[5] + x[8]*y[8]
	default:
		mulGeneral(dst, a, b, true, false)
	}
}

// mulGeneral sets dst = op(a)·op(b) for any N, op = † where asked; it works
// through a temporary so that dst may alias an input.
func mulGeneral(dst, a, b []complex128, adjA, adjB bool) {
	n := Dim(dst)
	var buf [16]complex128
	t := buf[:0]
	if n*n <= len(buf) {
		t = buf[:n*n]
	} else {
		t = make([]complex128, n*n)
	}
	for i := range n {
		for j := range n {
			var s complex128
			for k := range n {
				x, y := a[i*n+k], b[k*n+j]
				if adjA {
					x = cmplx.Conj(a[k*n+i])
				}
				if adjB {
					y = cmplx.Conj(b[j*n+k])
				}
				s += x * y
			}
			t[i*n+j] = s
		}
	}
	copy(dst, t)
}

// Adj sets dst = a† (conjugate transpose). dst may alias a.
func Adj(dst, a []complex128) {
	n := sameDim(dst, a)
	for i := range n {
		dst[i*n+i] = cmplx.Conj(a[i*n+i])
		for j := i + 1; j < n; j++ {
			x, y := a[i*n+j], a[j*n+i]
			dst[i*n+j], dst[j*n+i] = cmplx.Conj(y), cmplx.Conj(x)
		}
	}
}

// Trace returns Tr a = Σ_i a_ii.
func Trace(a []complex128) complex128 {
	n := Dim(a)
	var s complex128
	for i := range n {
		s += a[i*n+i]
	}
	return s
}

// Det returns det a: the closed forms for N = 2, 3 (a_00 a_11 − a_01 a_10,
// and the expansion along the first row), LU with partial pivoting for
// larger N.
func Det(a []complex128) complex128 {
	switch Dim(a) {
	case 2:
		return a[0]*a[3] - a[1]*a[2]
	case 3:
		return a[0]*(a[4]*a[8]-a[5]*a[7]) - a[1]*(a[3]*a[8]-a[5]*a[6]) + a[2]*(a[3]*a[7]-a[4]*a[6])
	}
	return detLU(a)
}

// detLU is det a by Gaussian elimination with partial pivoting.
func detLU(a []complex128) complex128 {
	return detPivot(append([]complex128(nil), a...), Dim(a), cmplx.Abs)
}

// detPivot is the determinant of the n×n row-major matrix m (overwritten) by
// Gaussian elimination with partial pivoting on abs: complex matrices for
// Det, real ones for the character coefficients' Bessel determinants.
func detPivot[T float64 | complex128](m []T, n int, abs func(T) float64) T {
	det := T(1)
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if abs(m[r*n+c]) > abs(m[p*n+c]) {
				p = r
			}
		}
		if m[p*n+c] == 0 {
			return 0
		}
		if p != c {
			for j := range n {
				m[c*n+j], m[p*n+j] = m[p*n+j], m[c*n+j]
			}
			det = -det
		}
		piv := m[c*n+c]
		det *= piv
		for r := c + 1; r < n; r++ {
			f := m[r*n+c] / piv
			for j := c + 1; j < n; j++ {
				m[r*n+j] -= f * m[c*n+j]
			}
		}
	}
	return det
}

// UnitarityError returns how far u is from SU(N): the larger of
// max_ij |(U†U − 1)_ij| and |det U − 1|.
func UnitarityError(u []complex128) float64 {
	return max(unitaryError(u), cmplx.Abs(Det(u)-1))
}

// Reunitarise projects a non-singular u in place back onto SU(N), to undo
// the round-off drift of long products: modified Gram–Schmidt on the rows,
//
//	r_i ← r_i − Σ_{j<i} ⟨r_j, r_i⟩ r_j,   r_i ← r_i/|r_i|,   ⟨x, y⟩ = Σ_k conj(x_k) y_k,
//
// with the projection done twice ("twice is enough", so that an
// ill-conditioned input still comes out orthonormal to rounding), leaves a
// unitary matrix with det = e^{iφ}; dividing by the principal N-th root of
// the determinant, U ← e^{−iφ/N} U with φ ∈ (−π, π], makes det U = 1. For
// an input within δ of SU(N) the result is within O(δ) of it; an element of
// SU(N) is left unchanged up to rounding.
func Reunitarise(u []complex128) {
	n := Dim(u)
	for i := range n {
		ri := u[i*n : (i+1)*n]
		for range 2 { // a second pass restores orthogonality lost to cancellation
			for j := range i {
				rj := u[j*n : (j+1)*n]
				var p complex128
				for k := range n {
					p += cmplx.Conj(rj[k]) * ri[k]
				}
				for k := range n {
					ri[k] -= p * rj[k]
				}
			}
		}
		var s float64
		for _, x := range ri {
			s += real(x)*real(x) + imag(x)*imag(x)
		}
		f := complex(1/math.Sqrt(s), 0)
		for k := range ri {
			ri[k] *= f
		}
	}
	ph := cmplx.Rect(1, -cmplx.Phase(Det(u))/float64(n))
	for k := range u {
		u[k] *= ph
	}
}

// frob is the Frobenius norm √(Σ_ij |m_ij|²).
func frob(m []complex128) float64 {
	var s float64
	for _, v := range m {
		s += abs2(v)
	}
	return math.Sqrt(s)
}
