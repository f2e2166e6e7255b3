package sun

import (
	"fmt"
	"math"
	"math/cmplx"
	"testing"

	"github.com/normflow/normflow-go/rng"
)

// centre returns the centre element e^{2πik/N}·1 of SU(N).
func centre(n, k int) []complex128 {
	u := make([]complex128, n*n)
	for i := range n {
		u[i*n+i] = cmplx.Rect(1, 2*math.Pi*float64(k)/float64(n))
	}
	return u
}

// expAlgebra returns exp(ε X̂) for a random unit-norm algebra element X̂.
func expAlgebra(s *rng.Stream, n int, eps float64) []complex128 {
	w := make([]float64, n*n-1)
	for a := range w {
		w[a] = s.Norm()
	}
	x := make([]complex128, n*n)
	AlgebraElement(x, w)
	f := complex(eps/frob(x), 0)
	for i := range x {
		x[i] *= f
	}
	Exp(x, x)
	return x
}

// withSpectrum returns W diag(e^{iφ}) W† for a random unitary W.
func withSpectrum(s *rng.Stream, phi []float64) []complex128 {
	n := len(phi)
	w := randomSU(s, n)
	u := make([]complex128, n*n)
	FromEigen(u, w, phi)
	return u
}

// inCell reports whether θ lies in the canonical cell to rounding.
func inCell(theta []float64) error {
	n := len(theta)
	var sum float64
	for k, t := range theta {
		sum += t
		if k > 0 && t > theta[k-1]+1e-15 {
			return fmt.Errorf("angles %v not in descending order", theta)
		}
	}
	if math.Abs(sum) > 1e-14 {
		return fmt.Errorf("angles %v sum to %g", theta, sum)
	}
	if theta[0]-theta[n-1] > 2*math.Pi+1e-14 {
		return fmt.Errorf("angles %v spread over more than 2π", theta)
	}
	if n == 2 && (theta[0] < 0 || theta[0] > math.Pi) {
		return fmt.Errorf("SU(2) angle %g outside [0, π]", theta[0])
	}
	return nil
}

// checkEigen decomposes u and returns the reconstruction error
// max|V e^{iθ} V† − U|, the unitarity error max|V†V − 1| of V, the angles,
// and whether they lie in the canonical cell.
func checkEigen(u []complex128) (rec, unit float64, theta []float64, err error) {
	n := Dim(u)
	v := make([]complex128, n*n)
	theta = make([]float64, n)
	Eigen(v, theta, u)
	r := make([]complex128, n*n)
	FromEigen(r, v, theta)
	rec = maxDiff(r, u)
	AdjMul(r, v, v)
	for i := range n {
		r[i*n+i]--
	}
	unit = maxDiff(r, make([]complex128, n*n))
	return rec, unit, theta, inCell(theta)
}

// TestEigen: V e^{iθ} V† reconstructs U to 1e-13 and V is unitary to 1e-13
// for random U, for U near the centre elements (U = z exp(εX), ε = 1e-3,
// 1e-6, 1e-9), exactly at them, and for a (nearly) degenerate pair of
// eigenvalues in SU(3); the angles lie in the canonical cell, equal the
// canonical form of a known spectrum to 1e-13 and are invariant under
// conjugation U → ΩUΩ† to 1e-13.
func TestEigen(t *testing.T) {
	s := rng.New(6)
	var worstRec, worstUnit, worstAngle float64
	for _, n := range []int{2, 3} {
		type testCase struct {
			name string
			u    []complex128
			phi  []float64 // known spectrum, or nil
		}
		var cases []testCase
		for range 2000 {
			cases = append(cases, testCase{"random", randomSU(&s, n), nil})
		}
		for k := range n {
			cases = append(cases, testCase{fmt.Sprintf("centre %d", k), centre(n, k), nil})
			for _, eps := range []float64{1e-3, 1e-6, 1e-9, 1e-12} {
				for range 50 {
					u := expAlgebra(&s, n, eps)
					Mul(u, centre(n, k), u)
					cases = append(cases, testCase{fmt.Sprintf("centre %d · exp(%g X)", k, eps), u, nil})
				}
			}
		}
		for range 200 {
			phi := make([]float64, n)
			var sum float64
			for k := range n - 1 {
				phi[k] = 2 * math.Pi * (s.Float64() - 0.5)
				sum += phi[k]
			}
			phi[n-1] = -sum
			cases = append(cases, testCase{"known spectrum", withSpectrum(&s, phi), phi})
		}
		if n == 3 {
			for _, a := range []float64{0.3, 1, 2, math.Pi / 3, 2 * math.Pi / 3, 3} {
				phi := []float64{a, a, -2 * a}
				for range 20 {
					u := withSpectrum(&s, phi)
					cases = append(cases, testCase{fmt.Sprintf("pair at %g", a), u, phi})
					for _, eps := range []float64{1e-6, 1e-9} {
						p := expAlgebra(&s, n, eps)
						Mul(p, p, u)
						cases = append(cases, testCase{fmt.Sprintf("pair at %g · exp(%g X)", a, eps), p, nil})
					}
				}
			}
		} else {
			for _, a := range []float64{0, 1e-9, 1, math.Pi - 1e-9, math.Pi} {
				phi := []float64{a, -a}
				cases = append(cases, testCase{fmt.Sprintf("angle %g", a), withSpectrum(&s, phi), phi})
			}
		}
		for _, c := range cases {
			rec, unit, theta, err := checkEigen(c.u)
			if err != nil {
				t.Fatalf("N=%d %s: %v", n, c.name, err)
			}
			if rec > 1e-13 || unit > 1e-13 {
				t.Fatalf("N=%d %s: reconstruction error %g, V†V − 1 = %g\nU = %v", n, c.name, rec, unit, c.u)
			}
			worstRec, worstUnit = max(worstRec, rec), max(worstUnit, unit)
			if c.phi != nil {
				want := append([]float64(nil), c.phi...)
				CanonicalAngles(want, nil)
				for k := range want {
					if d := math.Abs(theta[k] - want[k]); d > 1e-13 {
						t.Fatalf("N=%d %s: angles %v, want %v", n, c.name, theta, want)
					} else {
						worstAngle = max(worstAngle, d)
					}
				}
			}
			// Conjugation invariance.
			om := randomSU(&s, n)
			cu := make([]complex128, n*n)
			Mul(cu, om, c.u)
			MulAdj(cu, cu, om)
			_, _, ctheta, _ := checkEigen(cu)
			for k := range theta {
				if d := math.Abs(theta[k] - ctheta[k]); d > 1e-13 {
					t.Fatalf("N=%d %s: angles %v, of ΩUΩ† %v", n, c.name, theta, ctheta)
				} else {
					worstAngle = max(worstAngle, d)
				}
			}
		}
	}
	t.Logf("largest reconstruction error %.2g, V†V − 1 %.2g, angle error %.2g", worstRec, worstUnit, worstAngle)
}

// TestCentreAngles: the centre elements sit at the corners of the cell.
func TestCentreAngles(t *testing.T) {
	third := 2 * math.Pi / 3
	want := map[[2]int][]float64{
		{2, 0}: {0, 0}, {2, 1}: {math.Pi, -math.Pi},
		{3, 0}: {0, 0, 0}, {3, 1}: {third, third, -2 * third}, {3, 2}: {2 * third, -third, -third},
	}
	for nk, w := range want {
		_, _, theta, err := checkEigen(centre(nk[0], nk[1]))
		if err != nil {
			t.Fatal(err)
		}
		for k := range w {
			if math.Abs(theta[k]-w[k]) > 1e-14 {
				t.Fatalf("N=%d centre %d: angles %v, want %v", nk[0], nk[1], theta, w)
			}
		}
	}
}

// TestCanonicalAngles: the canonical form does not depend on the order of
// the input angles or on shifts by 2π, and perm says where each came from.
func TestCanonicalAngles(t *testing.T) {
	s := rng.New(7)
	for _, n := range []int{2, 3, 4} {
		for range 1000 {
			phi := make([]float64, n)
			var sum float64
			for k := range n - 1 {
				phi[k] = 4 * math.Pi * (s.Float64() - 0.5)
				sum += phi[k]
			}
			phi[n-1] = -sum + 2*math.Pi*float64(s.Intn(5)-2)
			a := append([]float64(nil), phi...)
			perm := make([]int, n)
			CanonicalAngles(a, perm)
			if err := inCell(a); err != nil {
				t.Fatalf("N=%d: %v from %v", n, err, phi)
			}
			for k := range n {
				d := math.Remainder(a[k]-phi[perm[k]], 2*math.Pi)
				if math.Abs(d) > 1e-13 {
					t.Fatalf("N=%d: output %d = %g does not come from input %d = %g", n, k, a[k], perm[k], phi[perm[k]])
				}
			}
			b := make([]float64, n)
			for k := range n {
				b[k] = phi[(k+1)%n] + 2*math.Pi*float64(s.Intn(3)-1)
			}
			CanonicalAngles(b, nil)
			for k := range n {
				if math.Abs(a[k]-b[k]) > 1e-13 {
					t.Fatalf("N=%d: %v and a permuted, shifted copy give %v and %v", n, phi, a, b)
				}
			}
		}
	}
}
