package sun

import "math"

// The canonical cell of SU(2) and SU(3) and the unit square (docs/sun.md §9).
//
// SU(2): the cell is θ = θ_1 = −θ_2 ∈ [0, π] and u = θ/π ∈ [0, 1].
//
// SU(3): with the gaps
//
//	a = θ_1 − θ_2 ≥ 0,   b = θ_2 − θ_3 ≥ 0,   c = 2π − (θ_1 − θ_3) ≥ 0,   a + b + c = 2π,
//
// the cell is the triangle a, b, c ≥ 0 (corners: a = b = 0 the identity,
// a = c = 0 the centre element ω·1, b = c = 0 the centre element ω²·1), and
//
//	u_1 = (a + b)/2π = (θ_1 − θ_3)/2π,   u_2 = a/(a + b),
//	a = 2π u_1 u_2,   b = 2π u_1 (1 − u_2),   c = 2π (1 − u_1),
//	θ_1 = (2a + b)/3,   θ_2 = (b − a)/3,   θ_3 = −(a + 2b)/3.
//
// u_1 is a radius measured from the identity corner, u_2 the position on the
// segment of constant θ_1 − θ_3 (parallel to the edge c = 0); the edge
// u_1 = 0 of the square collapses onto the identity, as r = 0 does in polar
// coordinates. |det ∂(θ_1, θ_2)/∂(u_1, u_2)| = (2π)² u_1 / 3.

const twoPi = 2 * math.Pi

// log3Over4Pi2 is log(3/(2π)²), the constant in the SU(3) cell Jacobian.
var log3Over4Pi2 = math.Log(3 / (twoPi * twoPi))

// CellToSquare maps eigen-angles θ in the canonical cell (length N = 2 or
// 3, as from Eigen or CanonicalAngles) to the unit-square coordinates u
// (length N−1) and returns log|det ∂u/∂(θ_1, …, θ_{N−1})| (θ_N = −Σ the
// others):
//
//	SU(2): u = θ_1/π,                                   log det = −log π;
//	SU(3): u_1 = (θ_1 − θ_3)/2π, u_2 = (θ_1 − θ_2)/(θ_1 − θ_3),
//	       log det = log(3/(2π)²) − log u_1               (+Inf at u_1 = 0).
//
// At the identity of SU(3) (θ_1 = θ_3) u_2 is not determined; it is set to
// ½. Angles outside the cell by rounding are clamped onto it.
func CellToSquare(u, theta []float64) (logDet float64) {
	switch len(theta) {
	case 2:
		if len(u) != 1 {
			panic("sun: CellToSquare: SU(2) needs len(u) = 1")
		}
		u[0] = su2CellToSquare(theta)
		return -math.Log(math.Pi)
	case 3:
		if len(u) != 2 {
			panic("sun: CellToSquare: SU(3) needs len(u) = 2")
		}
		u[0], u[1] = su3CellToSquare(theta)
		return log3Over4Pi2 - math.Log(u[0])
	}
	panic("sun: CellToSquare: only N = 2 and N = 3 are implemented")
}

// SquareToCell is the inverse of CellToSquare: it writes the canonical
// angles θ (length N) of the point u ∈ [0, 1]^{N−1} and returns
// log|det ∂(θ_1, …, θ_{N−1})/∂u| (SU(2): log π; SU(3): log((2π)² u_1/3),
// −Inf at u_1 = 0).
func SquareToCell(theta, u []float64) (logDet float64) {
	switch len(theta) {
	case 2:
		if len(u) != 1 {
			panic("sun: SquareToCell: SU(2) needs len(u) = 1")
		}
		su2SquareToCell(theta, u[0])
		return math.Log(math.Pi)
	case 3:
		if len(u) != 2 {
			panic("sun: SquareToCell: SU(3) needs len(u) = 2")
		}
		su3SquareToCell(theta, u[0], u[1])
		return math.Log(u[0]) - log3Over4Pi2
	}
	panic("sun: SquareToCell: only N = 2 and N = 3 are implemented")
}

func clamp01(x float64) float64 { return min(max(x, 0), 1) }

func su2CellToSquare(theta []float64) float64 {
	u, _ := su2Square(theta)
	return u
}

// su2Square returns u = θ_1/π and its complement v = 1 − u, the latter
// from π − θ_1 where that is the smaller, so that both keep their relative
// accuracy.
func su2Square(theta []float64) (u, v float64) {
	u = clamp01(theta[0] / math.Pi)
	if u <= 0.5 {
		return u, 1 - u
	}
	v = clamp01((math.Pi - theta[0]) / math.Pi)
	return 1 - v, v
}

func su2SquareToCell(theta []float64, u float64) {
	theta[0] = math.Pi * u
	theta[1] = -theta[0]
}

// su3CellToSquare returns (u_1, u_2); u_2 = ½ at the identity.
func su3CellToSquare(theta []float64) (u1, u2 float64) {
	u1, _, u2, _ = su3Square(theta)
	return u1, u2
}

// su3Square returns u_1, u_2 and their complements v_1 = 1 − u_1 =
// c/2π, v_2 = 1 − u_2 = b/(a+b), each of a pair computed directly where
// it is the smaller so that both keep their relative accuracy near the
// edges; (u_1, u_2) = (0, ½) at the identity.
func su3Square(theta []float64) (u1, v1, u2, v2 float64) {
	a := max(theta[0]-theta[1], 0)
	b := max(theta[1]-theta[2], 0)
	s := a + b
	if s == 0 {
		return 0, 1, 0.5, 0.5
	}
	if s <= math.Pi {
		u1 = s / twoPi
		v1 = 1 - u1
	} else {
		v1 = clamp01((twoPi - s) / twoPi)
		u1 = 1 - v1
	}
	if a <= b {
		u2 = a / s
		v2 = 1 - u2
	} else {
		v2 = b / s
		u2 = 1 - v2
	}
	return u1, v1, u2, v2
}

// su3SquareToCell writes θ for (u_1, u_2) through the gaps a and b.
func su3SquareToCell(theta []float64, u1, u2 float64) {
	su3FromSquare(theta, u1, u2, 1-u2)
}

// su3FromSquare writes θ for (u_1, u_2) given also v_2 = 1 − u_2:
// a = 2πu_1u_2, b = 2πu_1v_2, θ = ((2a + b)/3, (b − a)/3, −(a + 2b)/3), so
// that a = 0 or b = 0 gives exactly equal angles.
func su3FromSquare(theta []float64, u1, u2, v2 float64) {
	s := twoPi * u1
	a := s * u2
	b := s * v2
	theta[0] = (2*a + b) / 3
	theta[1] = (b - a) / 3
	theta[2] = -(a + 2*b) / 3
}
