package sun

import (
	"math"
	"math/cmplx"
	"testing"

	"github.com/normflow/normflow-go/rng"
)

const sqrt3 = 1.7320508075688772935

// Pauli and Gell-Mann matrices, written out.
var (
	pauli = [][]complex128{
		{0, 1, 1, 0},
		{0, -1i, 1i, 0},
		{1, 0, 0, -1},
	}
	gellMann = [][]complex128{
		{0, 1, 0, 1, 0, 0, 0, 0, 0},
		{0, -1i, 0, 1i, 0, 0, 0, 0, 0},
		{1, 0, 0, 0, -1, 0, 0, 0, 0},
		{0, 0, 1, 0, 0, 0, 1, 0, 0},
		{0, 0, -1i, 0, 0, 0, 1i, 0, 0},
		{0, 0, 0, 0, 0, 1, 0, 1, 0},
		{0, 0, 0, 0, 0, -1i, 0, 1i, 0},
		{1 / sqrt3, 0, 0, 0, 1 / sqrt3, 0, 0, 0, -2 / sqrt3},
	}
)

// TestGenerators: σ/2 and λ/2 exactly; for N = 2…5 Hermitian, traceless,
// Tr(T^a T^b) = δ^{ab}/2 and complete (the Fierz identity
// Σ_a T^a_ij T^a_kl = (δ_il δ_jk − δ_ij δ_kl/N)/2).
func TestGenerators(t *testing.T) {
	for n, want := range map[int][][]complex128{2: pauli, 3: gellMann} {
		g := Generators(n)
		if len(g) != len(want) {
			t.Fatalf("N=%d: %d generators", n, len(g))
		}
		for a := range g {
			for i := range g[a] {
				if cmplx.Abs(g[a][i]-want[a][i]/2) > 1e-16 {
					t.Fatalf("N=%d: T^%d = %v, want %v/2", n, a+1, g[a], want[a])
				}
			}
		}
	}
	for n := 2; n <= 5; n++ {
		g := Generators(n)
		if len(g) != n*n-1 {
			t.Fatalf("N=%d: %d generators", n, len(g))
		}
		p := make([]complex128, n*n)
		for a := range g {
			if Trace(g[a]) != 0 {
				t.Fatalf("N=%d: Tr T^%d ≠ 0", n, a+1)
			}
			Adj(p, g[a])
			if maxDiff(p, g[a]) != 0 {
				t.Fatalf("N=%d: T^%d not Hermitian", n, a+1)
			}
			for b := range g {
				Mul(p, g[a], g[b])
				want := 0.0
				if a == b {
					want = 0.5
				}
				if cmplx.Abs(Trace(p)-complex(want, 0)) > 1e-15 {
					t.Fatalf("N=%d: Tr T^%d T^%d = %v", n, a+1, b+1, Trace(p))
				}
			}
		}
		delta := func(i, j int) float64 {
			if i == j {
				return 1
			}
			return 0
		}
		for i := range n {
			for j := range n {
				for k := range n {
					for l := range n {
						var s complex128
						for a := range g {
							s += g[a][i*n+j] * g[a][k*n+l]
						}
						want := (delta(i, l)*delta(j, k) - delta(i, j)*delta(k, l)/float64(n)) / 2
						if cmplx.Abs(s-complex(want, 0)) > 1e-15 {
							t.Fatalf("N=%d: Fierz identity fails at %d%d%d%d: %v, want %v", n, i, j, k, l, s, want)
						}
					}
				}
			}
		}
	}
}

// TestAlgebra: X = iΣω^a T^a is traceless anti-Hermitian, AlgebraCoeffs
// inverts it, TA projects any M onto su(N) idempotently, and the
// coefficients of TA(M) are those of M.
func TestAlgebra(t *testing.T) {
	s := rng.New(4)
	for n := 2; n <= 4; n++ {
		g := Generators(n)
		w := make([]float64, n*n-1)
		for range 20 {
			for a := range w {
				w[a] = s.Norm()
			}
			x := make([]complex128, n*n)
			AlgebraElement(x, w)
			want := make([]complex128, n*n)
			for a := range g {
				for i := range want {
					want[i] += 1i * complex(w[a], 0) * g[a][i]
				}
			}
			if d := maxDiff(x, want); d > 1e-15 {
				t.Fatalf("N=%d: AlgebraElement differs from iΣω^a T^a by %g", n, d)
			}
			xa := make([]complex128, n*n)
			Adj(xa, x)
			for i := range xa {
				xa[i] += x[i]
			}
			if maxDiff(xa, make([]complex128, n*n)) > 1e-15 || cmplx.Abs(Trace(x)) > 1e-15 {
				t.Fatalf("N=%d: X not traceless anti-Hermitian", n)
			}
			back := make([]float64, len(w))
			AlgebraCoeffs(back, x)
			for a := range w {
				if math.Abs(back[a]-w[a]) > 1e-14 {
					t.Fatalf("N=%d: coefficient %d: %g, want %g", n, a+1, back[a], w[a])
				}
			}
			m := randomMatrix(&s, n)
			ta := make([]complex128, n*n)
			TA(ta, m)
			want = make([]complex128, n*n)
			Adj(want, m)
			tr := (Trace(m) - Trace(want)) / complex(float64(2*n), 0)
			for i := range want {
				want[i] = (m[i] - want[i]) / 2
			}
			for i := range n {
				want[i*n+i] -= tr
			}
			if d := maxDiff(ta, want); d > 1e-15 {
				t.Fatalf("N=%d: TA differs from its formula by %g", n, d)
			}
			again := append([]complex128(nil), ta...)
			TA(again, again)
			if d := maxDiff(again, ta); d > 1e-15 {
				t.Fatalf("N=%d: TA(TA(M)) − TA(M) = %g", n, d)
			}
			wm, wt := make([]float64, len(w)), make([]float64, len(w))
			AlgebraCoeffs(wm, m)
			AlgebraCoeffs(wt, ta)
			AlgebraElement(again, wt)
			for a := range w {
				if math.Abs(wm[a]-wt[a]) > 1e-14 {
					t.Fatalf("N=%d: coefficients of M and TA(M) differ", n)
				}
			}
			if d := maxDiff(again, ta); d > 1e-14 {
				t.Fatalf("N=%d: TA(M) is not iΣω^a T^a of its coefficients (%g)", n, d)
			}
		}
	}
}
