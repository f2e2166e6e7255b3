package sun

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"

	"github.com/normflow/normflow-go/rng"
)

// TestCellSquareRoundTrip: θ → u → θ and u → θ → u are the identity to
// 1e-14 on the canonical angles of random SU(N) matrices and on random
// points of the square; SquareToCell lands in the cell, and the two
// log-determinants are opposite.
func TestCellSquareRoundTrip(t *testing.T) {
	s := rng.New(31)
	for _, n := range []int{2, 3} {
		var worstTheta, worstU, worstDet float64
		u, back := make([]float64, n-1), make([]float64, n-1)
		th, th2 := make([]float64, n), make([]float64, n)
		v := make([]complex128, n*n)
		for range 1000 {
			Eigen(v, th, randomSU(&s, n))
			l1 := CellToSquare(u, th)
			for k := range u {
				if u[k] < 0 || u[k] > 1 {
					t.Fatalf("N=%d: u = %v outside the square", n, u)
				}
			}
			l2 := SquareToCell(th2, u)
			worstDet = max(worstDet, math.Abs(l1+l2))
			for k := range th {
				worstTheta = max(worstTheta, math.Abs(th2[k]-th[k]))
			}
			for k := range u {
				u[k] = s.Float64()
			}
			SquareToCell(th, u)
			if err := inCell(th); err != nil {
				t.Fatalf("N=%d: SquareToCell(%v): %v", n, u, err)
			}
			CellToSquare(back, th)
			for k := range u {
				worstU = max(worstU, math.Abs(back[k]-u[k]))
			}
		}
		t.Logf("N=%d: round trips θ→u→θ %.2g, u→θ→u %.2g; log det sum %.2g", n, worstTheta, worstU, worstDet)
		if worstTheta > 1e-14 || worstU > 1e-14 || worstDet > 1e-14 {
			t.Errorf("N=%d: round trip errors %.3g (θ), %.3g (u), %.3g (log det)", n, worstTheta, worstU, worstDet)
		}
	}
}

// TestCellSquareBoundary: the square's edges and corners go to the cell's:
// u_1 = 0 → the identity, (1, 0) → ω·1, (1, 1) → ω²·1, u_2 = 0 → θ_1 = θ_2,
// u_2 = 1 → θ_2 = θ_3, u_1 = 1 → θ_1 − θ_3 = 2π; SU(2): 0 → 1, 1 → −1.
func TestCellSquareBoundary(t *testing.T) {
	th := make([]float64, 3)
	near := func(got, want []float64) bool {
		for k := range got {
			if math.Abs(got[k]-want[k]) > 1e-15 {
				return false
			}
		}
		return true
	}
	third := 2 * math.Pi / 3
	for _, c := range []struct {
		u, want []float64
	}{
		{[]float64{0, 0.3}, []float64{0, 0, 0}},
		{[]float64{1, 0}, []float64{third, third, -2 * third}},
		{[]float64{1, 1}, []float64{2 * third, -third, -third}},
	} {
		if SquareToCell(th, c.u); !near(th, c.want) {
			t.Errorf("SquareToCell(%v) = %v, want %v", c.u, th, c.want)
		}
	}
	for _, x := range []float64{0.1, 0.5, 0.9} {
		SquareToCell(th, []float64{x, 0})
		if th[0] != th[1] {
			t.Errorf("u = (%g, 0): θ = %v, want θ_1 = θ_2", x, th)
		}
		SquareToCell(th, []float64{x, 1})
		if th[1] != th[2] {
			t.Errorf("u = (%g, 1): θ = %v, want θ_2 = θ_3", x, th)
		}
		SquareToCell(th, []float64{1, x})
		if d := th[0] - th[2] - 2*math.Pi; math.Abs(d) > 1e-15 {
			t.Errorf("u = (1, %g): θ_1 − θ_3 − 2π = %g", x, d)
		}
	}
	th2 := make([]float64, 2)
	if SquareToCell(th2, []float64{1}); th2[0] != math.Pi || th2[1] != -math.Pi {
		t.Errorf("SU(2) u = 1: θ = %v, want (π, −π)", th2)
	}
	u := make([]float64, 2)
	if CellToSquare(u, []float64{0, 0, 0}); u[0] != 0 || u[1] != 0.5 {
		t.Errorf("SU(3) identity: u = %v, want (0, ½)", u)
	}
}

// TestCellSquareJacobian: SquareToCell's log|det ∂(θ_1, θ_2)/∂u| against
// the determinant of the central-difference Jacobian (step 1e-6) to 1e-8,
// and the Haar volume of the cell in the square coordinates,
// ∫_{[0,1]²} Δ(θ(u)) |det ∂θ/∂u| du / (2π)² = 1 (SU(3); the torus holds 3! = 6
// copies of the cell, so this is the Weyl normalisation) and
// ∫₀¹ Δ π du / (2π) = 1 (SU(2)), by Gauss–Legendre to 1e-13: the map covers
// the cell once, with the stated Jacobian.
func TestCellSquareJacobian(t *testing.T) {
	s := rng.New(32)
	const h = 1e-6
	th, tp, tm := make([]float64, 3), make([]float64, 3), make([]float64, 3)
	var worst float64
	for range 200 {
		u := []float64{0.01 + 0.98*s.Float64(), 0.01 + 0.98*s.Float64()}
		ld := SquareToCell(th, u)
		var j [2][2]float64
		for c := range 2 {
			up := append([]float64(nil), u...)
			um := append([]float64(nil), u...)
			up[c] += h
			um[c] -= h
			SquareToCell(tp, up)
			SquareToCell(tm, um)
			for r := range 2 {
				j[r][c] = (tp[r] - tm[r]) / (2 * h)
			}
		}
		fd := math.Log(math.Abs(j[0][0]*j[1][1] - j[0][1]*j[1][0]))
		worst = max(worst, math.Abs(fd-ld))
	}
	t.Logf("SU(3) cell Jacobian: worst |log det − finite differences| = %.2g", worst)
	if worst > 1e-8 {
		t.Errorf("SU(3) cell Jacobian off by %.3g", worst)
	}

	x, w := make([]float64, 40), make([]float64, 40)
	quad.Legendre{}.FixedLocations(x, w, 0, 1)
	var vol3, vol2 float64
	for i := range x {
		th2 := make([]float64, 2)
		jd := math.Exp(SquareToCell(th2, []float64{x[i]}))
		vol2 += w[i] * WeylFactor(th2) * jd / (2 * math.Pi)
		for k := range x {
			jd := math.Exp(SquareToCell(th, []float64{x[i], x[k]}))
			vol3 += w[i] * w[k] * WeylFactor(th) * jd / (4 * math.Pi * math.Pi)
		}
	}
	t.Logf("Haar volume of the cell in square coordinates: SU(2) %.16g, SU(3) %.16g", vol2, vol3)
	if math.Abs(vol2-1) > 1e-13 || math.Abs(vol3-1) > 1e-13 {
		t.Errorf("Haar volumes %.16g (SU(2)), %.16g (SU(3)), want 1", vol2, vol3)
	}
}
