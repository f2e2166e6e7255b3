package sun

import (
	"math"
	"math/cmplx"
	"testing"

	"github.com/normflow/normflow-go/rng"
)

// randomMatrix returns an N×N matrix of standard complex normal entries.
func randomMatrix(s *rng.Stream, n int) []complex128 {
	m := make([]complex128, n*n)
	for i := range m {
		m[i] = complex(s.Norm(), s.Norm()) / math.Sqrt2
	}
	return m
}

// randomSU returns an element of SU(N) by reunitarising a random matrix
// (not Haar distributed; Haar sampling has its own tests).
func randomSU(s *rng.Stream, n int) []complex128 {
	m := randomMatrix(s, n)
	Reunitarise(m)
	return m
}

// maxDiff is max_i |a_i − b_i|.
func maxDiff(a, b []complex128) float64 {
	var d float64
	for i := range a {
		d = max(d, cmplx.Abs(a[i]-b[i]))
	}
	return d
}

// naiveMul is the textbook triple loop on explicitly adjointed copies.
func naiveMul(a, b []complex128, adjA, adjB bool) []complex128 {
	n := Dim(a)
	x, y := append([]complex128(nil), a...), append([]complex128(nil), b...)
	if adjA {
		for i := range n {
			for j := range n {
				x[i*n+j] = cmplx.Conj(a[j*n+i])
			}
		}
	}
	if adjB {
		for i := range n {
			for j := range n {
				y[i*n+j] = cmplx.Conj(b[j*n+i])
			}
		}
	}
	c := make([]complex128, n*n)
	for i := range n {
		for j := range n {
			for k := range n {
				c[i*n+j] += x[i*n+k] * y[k*n+j]
			}
		}
	}
	return c
}

func TestDimAndMat(t *testing.T) {
	for n := 1; n <= 5; n++ {
		if got := Dim(make([]complex128, n*n)); got != n {
			t.Fatalf("Dim of %d entries = %d, want %d", n*n, got, n)
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("Dim accepted a slice of length 5")
			}
		}()
		Dim(make([]complex128, 5))
	}()
	field := make([]complex128, 4*9) // [batch 2, sites 2, 3, 3]
	for i := range field {
		field[i] = complex(float64(i), 0)
	}
	m := Mat(field, 3, 3)
	if len(m) != 9 || cap(m) != 9 || m[0] != 27 || m[8] != 35 {
		t.Fatalf("Mat(field, 3, 3) = %v (cap %d)", m, cap(m))
	}
}

// Products, adjoint, trace and determinant against naive loops, N = 2…4,
// also with dst aliasing an input.
func TestProducts(t *testing.T) {
	s := rng.New(1)
	for n := 2; n <= 4; n++ {
		for range 20 {
			a, b := randomMatrix(&s, n), randomMatrix(&s, n)
			for _, c := range []struct {
				name       string
				f          func(dst, a, b []complex128)
				adjA, adjB bool
			}{{"Mul", Mul, false, false}, {"MulAdj", MulAdj, false, true}, {"AdjMul", AdjMul, true, false}} {
				want := naiveMul(a, b, c.adjA, c.adjB)
				got := make([]complex128, n*n)
				c.f(got, a, b)
				if d := maxDiff(got, want); d > 1e-14 {
					t.Fatalf("N=%d %s: differs from the triple loop by %g", n, c.name, d)
				}
				x := append([]complex128(nil), a...)
				c.f(x, x, b)
				y := append([]complex128(nil), b...)
				c.f(y, a, y)
				if maxDiff(x, want) > 1e-14 || maxDiff(y, want) > 1e-14 {
					t.Fatalf("N=%d %s: wrong when dst aliases an input", n, c.name)
				}
			}
			ad := make([]complex128, n*n)
			Adj(ad, a)
			for i := range n {
				for j := range n {
					if ad[i*n+j] != cmplx.Conj(a[j*n+i]) {
						t.Fatalf("N=%d Adj wrong at (%d,%d)", n, i, j)
					}
				}
			}
			Adj(ad, ad)
			if maxDiff(ad, a) != 0 {
				t.Fatalf("N=%d Adj in place twice is not the identity", n)
			}
			var tr complex128
			for i := range n {
				tr += a[i*n+i]
			}
			if Trace(a) != tr {
				t.Fatalf("N=%d Trace", n)
			}
			// det(AB) = det A det B, and closed forms against LU.
			ab := naiveMul(a, b, false, false)
			if d := cmplx.Abs(Det(ab) - Det(a)*Det(b)); d > 1e-13*(1+cmplx.Abs(Det(ab))) {
				t.Fatalf("N=%d det(AB) − det A det B = %g", n, d)
			}
			if d := cmplx.Abs(Det(a) - detLU(a)); d > 1e-14*(1+cmplx.Abs(Det(a))) {
				t.Fatalf("N=%d closed-form det − LU det = %g", n, d)
			}
		}
	}
	id := make([]complex128, 9)
	Identity(id)
	if Trace(id) != 3 || Det(id) != 1 || id[1] != 0 {
		t.Fatalf("Identity = %v", id)
	}
}

// TestReunitarise: random non-unitary matrices land in SU(N); elements of
// SU(N) are left alone; a perturbed element moves back by O(perturbation).
func TestReunitarise(t *testing.T) {
	s := rng.New(2)
	for n := 2; n <= 4; n++ {
		for range 100 {
			u := randomMatrix(&s, n)
			Reunitarise(u)
			if e := UnitarityError(u); e > 2e-15 {
				t.Fatalf("N=%d: Reunitarise left U†U − 1, det − 1 at %g", n, e)
			}
			v := append([]complex128(nil), u...)
			Reunitarise(v)
			if d := maxDiff(u, v); d > 1e-14 {
				t.Fatalf("N=%d: Reunitarise moved an SU(N) element by %g", n, d)
			}
			for i := range v {
				v[i] += 1e-8 * complex(s.Norm(), s.Norm())
			}
			Reunitarise(v)
			if d := maxDiff(u, v); d > 1e-7 {
				t.Fatalf("N=%d: a 1e-8 perturbation was projected %g away", n, d)
			}
		}
	}
	if UnitarityError([]complex128{1, 0, 0, -1}) < 1.9 {
		t.Fatal("UnitarityError does not see det = −1")
	}
}

// TestDriftWithReprojection multiplies 10⁶ random SU(N) factors (10⁵ with
// -short) onto U, reprojecting every 100 steps; U stays in SU(N) to 1e-13 at every
// reprojection and at the end.
// Without reprojection the drift is logged for comparison.
func TestDriftWithReprojection(t *testing.T) {
	steps := 1_000_000
	if testing.Short() {
		steps = 100_000
	}
	const every = 100
	for _, n := range []int{2, 3} {
		s := rng.New(3, uint64(n))
		pool := make([][]complex128, 256)
		for i := range pool {
			pool[i] = randomSU(&s, n)
		}
		u, raw := make([]complex128, n*n), make([]complex128, n*n)
		Identity(u)
		Identity(raw)
		var worst float64
		for k := 1; k <= steps; k++ {
			r := pool[s.Uint64()%uint64(len(pool))]
			Mul(u, u, r)
			Mul(raw, raw, r)
			if k%every == 0 {
				worst = max(worst, UnitarityError(u))
				Reunitarise(u)
			}
		}
		e := UnitarityError(u)
		t.Logf("N=%d, %d products: with reprojection every %d: final %.2g, worst before a reprojection %.2g; without: %.2g",
			n, steps, every, e, worst, UnitarityError(raw))
		if e > 1e-13 || worst > 1e-13 {
			t.Fatalf("N=%d: drift %g (worst %g) after %d products", n, e, worst, steps)
		}
	}
}
