package sun

import (
	"math"
	"math/cmplx"
)

// Eigen decomposes a special unitary u (N = 2 or 3) as
//
//	U = V diag(e^{iθ_1}, …, e^{iθ_N}) V†,
//
// writing the unitary V into v (column k, v[i*N+k], is the eigenvector of
// e^{iθ_k}) and the eigen-angles into theta (length N) in the canonical cell
// θ_1 ≥ … ≥ θ_N, Σθ = 0, θ_1 − θ_N ≤ 2π (see the package documentation and
// CanonicalAngles). The angles are Rayleigh quotients θ_k = arg(v_k† U v_k),
// accurate to rounding even at (nearly) degenerate eigenvalues, where the
// eigenvectors are any orthonormal basis of the (nearly) degenerate space
// and V diag(e^{iθ}) V† still reconstructs U to rounding.
//
// SU(2), in closed form: U = a₀ + i a·σ with a₀ = cos θ, |a| = sin θ,
// θ = atan2(|a|, a₀) ∈ [0, π]; V holds the eigenvectors of n·σ, n = a/|a|,
// for +1 and −1 (V = 1 when a = 0, i.e. U = ±1).
//
// SU(3): shift and scale, A = (U − μ)/‖U − μ‖_F with μ = Tr U/3, so that
// eigenvalues that are all nearly equal (U near a centre element) become
// well separated; solve the characteristic cubic of A (Cardano) for the
// eigenvalue farthest from the other two and polish it by Newton's method;
// its eigenvector is the largest cross product of two rows of A − α (the
// rows are orthogonal to it under the bilinear product); in the orthogonal
// complement, spanned by w₁, w₂, the 2×2 block B = W†UW is diagonalised in
// closed form, which stays accurate when its two eigenvalues nearly or
// exactly coincide.
func Eigen(v []complex128, theta []float64, u []complex128) {
	n := sameDim(v, u)
	if len(theta) != n {
		panic("sun: Eigen: theta must have length N")
	}
	switch n {
	case 2:
		eigen2(v, theta, u)
		return
	case 3:
		eigen3(v, theta, u)
	default:
		panic("sun: Eigen: only N = 2 and N = 3 are implemented")
	}
}

func eigen2(v []complex128, theta []float64, u []complex128) {
	// U = [[α, β], [−β*, α*]] with α = a₀ + i a₃, β = a₂ + i a₁; average the
	// two copies of each so that a slightly non-special U is read sensibly.
	al := (u[0] + cmplx.Conj(u[3])) / 2
	be := (u[1] - cmplx.Conj(u[2])) / 2
	a0, a1, a2, a3 := real(al), imag(be), real(be), imag(al)
	s := math.Sqrt(a1*a1 + a2*a2 + a3*a3)
	th := math.Atan2(s, a0)
	theta[0], theta[1] = th, -th
	if s == 0 {
		Identity(v)
		return
	}
	n1, n2, n3 := a1/s, a2/s, a3/s
	// Eigenvector of n·σ = [[n₃, n₁ − in₂], [n₁ + in₂, −n₃]] for +1, from
	// whichever column of 1 + n·σ is longer.
	var x0, x1 complex128
	if n3 >= 0 {
		f := 1 / math.Sqrt(2*(1+n3))
		x0, x1 = complex((1+n3)*f, 0), complex(n1*f, n2*f)
	} else {
		f := 1 / math.Sqrt(2*(1-n3))
		x0, x1 = complex(n1*f, -n2*f), complex((1-n3)*f, 0)
	}
	// The −1 eigenvector is (−x₁*, x₀*).
	v[0], v[1] = x0, -cmplx.Conj(x1)
	v[2], v[3] = x1, cmplx.Conj(x0)
}

func eigen3(v []complex128, theta []float64, u []complex128) {
	U := [9]complex128(u)
	mu := (U[0] + U[4] + U[8]) / 3
	A := U
	A[0] -= mu
	A[4] -= mu
	A[8] -= mu
	sc := frob(A[:])
	var V [9]complex128 // columns are the eigenvectors
	if sc == 0 {
		Identity(V[:])
	} else {
		f := complex(1/sc, 0)
		for i := range A {
			A[i] *= f
		}
		// Characteristic polynomial α³ − e₁α² + e₂α − e₃.
		e1 := A[0] + A[4] + A[8]
		e2 := A[0]*A[4] - A[1]*A[3] + A[0]*A[8] - A[2]*A[6] + A[4]*A[8] - A[5]*A[7]
		e3 := Det(A[:])
		r := cubicRoots(e1, e2, e3)
		best, gap := 0, -1.0 // squared distances
		for k := range 3 {
			g := min(abs2(r[k]-r[(k+1)%3]), abs2(r[k]-r[(k+2)%3]))
			if g > gap {
				best, gap = k, g
			}
		}
		alpha := r[best]
		for range 3 { // Newton on the cubic; the root is simple and isolated
			p := ((alpha-e1)*alpha+e2)*alpha - e3
			dp := (3*alpha-2*e1)*alpha + e2
			// |α| ≤ ‖A‖ = 1: stop if a step leaves that disc (or is not
			// a number), as it can when A is only rounding noise.
			next := alpha - p/dp
			if !(abs2(next) <= 4) {
				break
			}
			alpha = next
		}
		M := A
		M[0] -= alpha
		M[4] -= alpha
		M[8] -= alpha
		x := nullVector3(M)
		w1, w2 := complement3(x)
		// B = W†UW.
		var b [4]complex128
		for i, wi := range [2][3]complex128{w1, w2} {
			for j, wj := range [2][3]complex128{w1, w2} {
				var s complex128
				for p := range 3 {
					var t complex128
					for q := range 3 {
						t += U[p*3+q] * wj[q]
					}
					s += cmplx.Conj(wi[p]) * t
				}
				b[i*2+j] = s
			}
		}
		y0, y1 := eigenNormal2(b)
		for i := range 3 {
			V[i*3+0] = y0[0]*w1[i] + y0[1]*w2[i]
			V[i*3+1] = y1[0]*w1[i] + y1[1]*w2[i]
			V[i*3+2] = x[i]
		}
	}
	// Rayleigh quotients e^{iθ_k} ∝ v_k† U v_k, then the canonical cell.
	var th [3]float64
	for k := range 3 {
		var s complex128
		for p := range 3 {
			var t complex128
			for q := range 3 {
				t += U[p*3+q] * V[q*3+k]
			}
			s += cmplx.Conj(V[p*3+k]) * t
		}
		th[k] = cmplx.Phase(s)
	}
	var perm [3]int
	CanonicalAngles(th[:], perm[:])
	copy(theta, th[:])
	for i := range 3 {
		for k := range 3 {
			v[i*3+k] = V[i*3+perm[k]]
		}
	}
}

// cubicRoots returns the three roots of α³ − e₁α² + e₂α − e₃ by Cardano's
// formula: α = β + e₁/3 with β³ + pβ + q = 0, p = e₂ − e₁²/3,
// q = −2e₁³/27 + e₁e₂/3 − e₃, β = C ω^k − p/(3C ω^k) with
// C³ = −q/2 ± √(q²/4 + p³/27), the sign taken that makes |C| largest.
func cubicRoots(e1, e2, e3 complex128) [3]complex128 {
	h := e1 / 3
	p := e2 - e1*h
	q := -2*h*h*h + h*e2 - e3
	d := cmplx.Sqrt(q*q/4 + p*p*p/27)
	c3 := -q/2 + d
	if m := -q/2 - d; abs2(m) > abs2(c3) {
		c3 = m
	}
	var r [3]complex128
	if c3 == 0 { // p = q = 0: a triple root
		return [3]complex128{h, h, h}
	}
	c := cmplx.Pow(c3, 1.0/3)
	pc := p / (3 * c)
	om := complex(-0.5, math.Sqrt(3)/2) // ω; 1/ω = ω*
	for k := range 3 {
		r[k] = c - pc + h
		c *= om
		pc *= cmplx.Conj(om)
	}
	return r
}

// nullVector3 returns a unit vector x with M x = 0 for a 3×3 M of rank 2:
// the longest cross product r_i × r_j of two rows, which is orthogonal to
// both under the bilinear product Σ_k r_k x_k. If every cross product
// vanishes (M = 0), it returns (1, 0, 0).
func nullVector3(m [9]complex128) [3]complex128 {
	cross := func(a, b []complex128) [3]complex128 {
		return [3]complex128{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
	}
	best, bn := [3]complex128{1, 0, 0}, 0.0
	for _, ij := range [3][2]int{{0, 1}, {0, 2}, {1, 2}} {
		c := cross(m[3*ij[0]:3*ij[0]+3], m[3*ij[1]:3*ij[1]+3])
		if n := abs2(c[0]) + abs2(c[1]) + abs2(c[2]); n > bn {
			best, bn = c, n
		}
	}
	if bn == 0 {
		return best
	}
	f := complex(1/math.Sqrt(bn), 0)
	return [3]complex128{best[0] * f, best[1] * f, best[2] * f}
}

// complement3 returns w₁, w₂ such that (x, w₁, w₂) is orthonormal, for a
// unit x: w₁ from the unit vector e_i least aligned with x, w₂ = (x × w₁)*.
func complement3(x [3]complex128) (w1, w2 [3]complex128) {
	i := 0
	for k := 1; k < 3; k++ {
		if abs2(x[k]) < abs2(x[i]) {
			i = k
		}
	}
	c := cmplx.Conj(x[i]) // ⟨x, e_i⟩
	for k := range 3 {
		w1[k] = -c * x[k]
	}
	w1[i]++
	normalise(w1[:])
	w2 = [3]complex128{
		cmplx.Conj(x[1]*w1[2] - x[2]*w1[1]),
		cmplx.Conj(x[2]*w1[0] - x[0]*w1[2]),
		cmplx.Conj(x[0]*w1[1] - x[1]*w1[0]),
	}
	normalise(w2[:])
	return w1, w2
}

func normalise(x []complex128) {
	var s float64
	for _, v := range x {
		s += abs2(v)
	}
	f := complex(1/math.Sqrt(s), 0)
	for i := range x {
		x[i] *= f
	}
}

// eigenNormal2 returns orthonormal eigenvectors of a normal 2×2 matrix
// B = [[a, b], [c, d]]. With m = (a+d)/2, h = (a−d)/2 and
// δ = √(h² + bc) (the sign chosen with Re(h*δ) ≥ 0), (h + δ, c) is the
// eigenvector of m + δ and the longer of the two candidates; the other
// eigenvector is orthogonal to it. The differences h and bc are small when
// the eigenvalues nearly coincide and are used as they are, so no
// cancellation happens; for B ∝ 1 the basis vectors are returned.
func eigenNormal2(b [4]complex128) (x, y [2]complex128) {
	h := (b[0] - b[3]) / 2
	d := cmplx.Sqrt(h*h + b[1]*b[2])
	if real(cmplx.Conj(h)*d) < 0 {
		d = -d
	}
	x = [2]complex128{h + d, b[2]}
	n := abs2(x[0]) + abs2(x[1])
	if n == 0 || math.IsInf(1/n, 0) {
		x = [2]complex128{1, 0}
	} else {
		f := complex(1/math.Sqrt(n), 0)
		x[0] *= f
		x[1] *= f
	}
	y = [2]complex128{-cmplx.Conj(x[1]), cmplx.Conj(x[0])}
	return x, y
}

// CanonicalAngles maps eigen-angles of an element of SU(N) (any lifts: each
// θ_k is only defined mod 2π, and Σθ_k ≡ 0 mod 2π) in place to the
// canonical cell θ_1 ≥ θ_2 ≥ … ≥ θ_N, Σθ = 0, θ_1 − θ_N ≤ 2π: reduce each
// angle to φ_k ∈ [0, 2π), sort, take m = round(Σφ/2π) (∈ {0, …, N}) and
// subtract 2π from the m largest; the rounding residue of Σθ is then
// removed evenly. If perm is not nil (length N), perm[k] is the input index
// of output angle k. The result depends only on the set of eigenvalues, so
// it is invariant under conjugation and under permutations of the input.
func CanonicalAngles(theta []float64, perm []int) {
	n := len(theta)
	var bufPhi [8]float64
	var bufIdx [8]int
	phi, idx := bufPhi[:0], bufIdx[:0]
	if n > len(bufPhi) {
		phi, idx = make([]float64, 0, n), make([]int, 0, n)
	}
	var sum float64
	for k, t := range theta {
		p := math.Mod(t, 2*math.Pi)
		if p < 0 {
			p += 2 * math.Pi
		}
		sum += p
		// Insertion sort, descending and stable.
		j := len(phi)
		phi, idx = append(phi, p), append(idx, k)
		for ; j > 0 && phi[j-1] < p; j-- {
			phi[j], idx[j] = phi[j-1], idx[j-1]
		}
		phi[j], idx[j] = p, k
	}
	m := min(max(int(math.Round(sum/(2*math.Pi))), 0), n)
	// Subtracting 2π from the m largest makes them the smallest: the result
	// in descending order is φ_{m+1}, …, φ_N, φ_1 − 2π, …, φ_m − 2π.
	sum = 0
	for k := range n {
		i := (k + m) % n
		theta[k] = phi[i]
		if i < m {
			theta[k] -= 2 * math.Pi
		}
		sum += theta[k]
		if perm != nil {
			perm[k] = idx[i]
		}
	}
	for k := range theta {
		theta[k] -= sum / float64(n)
	}
}

// FromEigen sets dst = V diag(e^{iθ_1}, …, e^{iθ_N}) V†, the inverse of
// Eigen (v holds the eigenvectors as columns, theta the N angles). dst must
// not alias v.
func FromEigen(dst, v []complex128, theta []float64) {
	n := sameDim(dst, v)
	if len(theta) != n {
		panic("sun: FromEigen: theta must have length N")
	}
	var buf [9]complex128
	e := buf[:0]
	if n <= len(buf) {
		e = buf[:n]
	} else {
		e = make([]complex128, n)
	}
	for k, t := range theta {
		e[k] = cmplx.Rect(1, t)
	}
	for i := range n {
		for j := range n {
			var s complex128
			for k := range n {
				s += v[i*n+k] * e[k] * cmplx.Conj(v[j*n+k])
			}
			dst[i*n+j] = s
		}
	}
}
