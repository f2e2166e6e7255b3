package sun

import (
	"fmt"
	"math"
	"math/big"
	"math/cmplx"
	"testing"

	"github.com/normflow/normflow-go/rng"
)

// expSeries returns exp(X) = Σ_k X^k/k! summed in 320-bit floating point
// until the terms are below 1e-40 of the sum, then rounded to complex128:
// the exact exponential of the given float64 matrix, whatever its norm.
func expSeries(x []complex128) []complex128 {
	const prec = 320
	n := Dim(x)
	nf := func(v float64) *big.Float { return new(big.Float).SetPrec(prec).SetFloat64(v) }
	type bc struct{ re, im *big.Float }
	newMat := func() []bc {
		m := make([]bc, n*n)
		for i := range m {
			m[i] = bc{nf(0), nf(0)}
		}
		return m
	}
	bx := newMat()
	for i, v := range x {
		bx[i] = bc{nf(real(v)), nf(imag(v))}
	}
	term, sum := newMat(), newMat()
	for i := range n {
		term[i*n+i].re.SetFloat64(1)
		sum[i*n+i].re.SetFloat64(1)
	}
	tmp := nf(0)
	tiny := nf(1e-40)
	for k := 1; ; k++ {
		next := newMat()
		for i := range n {
			for j := range n {
				c := next[i*n+j]
				for l := range n {
					a, b := term[i*n+l], bx[l*n+j]
					c.re.Add(c.re, tmp.Mul(a.re, b.re))
					c.re.Sub(c.re, tmp.Mul(a.im, b.im))
					c.im.Add(c.im, tmp.Mul(a.re, b.im))
					c.im.Add(c.im, tmp.Mul(a.im, b.re))
				}
				kk := nf(float64(k))
				c.re.Quo(c.re, kk)
				c.im.Quo(c.im, kk)
			}
		}
		term = next
		small := true
		for i := range sum {
			sum[i].re.Add(sum[i].re, term[i].re)
			sum[i].im.Add(sum[i].im, term[i].im)
			if new(big.Float).Abs(term[i].re).Cmp(tiny) > 0 || new(big.Float).Abs(term[i].im).Cmp(tiny) > 0 {
				small = false
			}
		}
		if small && k > 3 {
			break
		}
	}
	out := make([]complex128, n*n)
	for i := range out {
		re, _ := sum[i].re.Float64()
		im, _ := sum[i].im.Float64()
		out[i] = complex(re, im)
	}
	return out
}

// TestExp compares Exp with the exact series for random algebra elements of
// Frobenius norm 0 to 30 and for degenerate directions (T^3, ±T^8 of SU(3),
// where c₀ = 0 and c₀ = ±c₀max). Entry by entry, |Exp − series| ≤
// 4e-16·(1 + ‖X‖) + 1e-14·|series_ij − δ_ij|: rounding of the result, of the
// phase (∝ ‖X‖), and a relative error of the deviation from the identity
// that must stay small for tiny X (the care for small arguments).
func TestExp(t *testing.T) {
	s := rng.New(5)
	norms := []float64{0, 1e-15, 1e-9, 1e-5, 1e-3, 0.05, 0.2, 0.3, 0.5, 1, 2, 3, 5, 10, 30}
	for _, n := range []int{2, 3} {
		var cases [][]complex128
		w := make([]float64, n*n-1)
		for _, nu := range norms {
			for range 3 {
				for a := range w {
					w[a] = s.Norm()
				}
				x := make([]complex128, n*n)
				AlgebraElement(x, w)
				if f := frob(x); f > 0 {
					for i := range x {
						x[i] *= complex(nu/f, 0)
					}
				}
				cases = append(cases, x)
			}
		}
		if n == 3 {
			for _, dir := range [][]float64{
				{0, 0, 1, 0, 0, 0, 0, 0},    // T^3: eigenvalues ±½, 0; c₀ = 0
				{0, 0, 0, 0, 0, 0, 0, 1},    // T^8: a degenerate pair, c₀ = −c₀max
				{0, 0, 0, 0, 0, 0, 0, -1},   // −T^8: c₀ = +c₀max
				{0, 0, 1e-8, 0, 0, 0, 0, 1}, // nearly degenerate
			} {
				for _, nu := range []float64{1e-6, 0.3, 0.5, 2, 7} {
					for a := range w {
						w[a] = nu * dir[a]
					}
					x := make([]complex128, 9)
					AlgebraElement(x, w)
					cases = append(cases, x)
				}
			}
		}
		var worst float64
		for _, x := range cases {
			got := make([]complex128, n*n)
			Exp(got, x)
			want := expSeries(x)
			nx := frob(x)
			for i := range got {
				d := want[i]
				if i%(n+1) == 0 {
					d--
				}
				tol := 4e-16*(1+nx) + 1e-14*cmplx.Abs(d)
				if e := cmplx.Abs(got[i] - want[i]); e > tol {
					t.Fatalf("N=%d, ‖X‖ = %g: exp entry %d = %v, series %v (error %.3g > %.3g)\nX = %v",
						n, nx, i, got[i], want[i], e, tol, x)
				} else {
					worst = max(worst, e/tol)
				}
			}
			if e := UnitarityError(got); e > 1e-14 {
				t.Fatalf("N=%d, ‖X‖ = %g: exp(X) off SU(N) by %g", n, nx, e)
			}
			// In place gives the same.
			Exp(x, x)
			if maxDiff(x, got) != 0 {
				t.Fatalf("N=%d: Exp in place differs", n)
			}
		}
		t.Logf("N=%d: %d matrices, largest error/tolerance %.2f", n, len(cases), worst)
	}
}

// The series branch and the Morningstar–Peardon branch of the SU(3)
// coefficients meet continuously at c₁ = 0.05.
func TestExpCoeffsBranches(t *testing.T) {
	for _, r := range []float64{-1, -0.7, 0, 0.3, 1} { // c₀/c₀max
		c1 := 0.05
		c0 := r * 2 * math.Pow(c1/3, 1.5)
		a0, a1, a2 := expCoeffs3(c0, c1*(1-1e-15))
		b0, b1, b2 := expCoeffs3(c0, c1)
		for j, d := range []complex128{a0 - b0, a1 - b1, a2 - b2} {
			if cmplx.Abs(d) > 1e-14 {
				t.Errorf("c₀/c₀max = %g: f%d jumps by %g at c₁ = 0.05", r, j, cmplx.Abs(d))
			}
		}
	}
}

// coeffSeries returns f₀, f₁, f₂ of exp(iQ) = f₀ + f₁Q + f₂Q² from the
// exponential series reduced by Cayley–Hamilton, Q³ = c₁Q + c₀, in 320-bit
// arithmetic (exact for the float64 inputs).
func coeffSeries(c0, c1 float64) [3]complex128 {
	const prec = 320
	nf := func(v float64) *big.Float { return new(big.Float).SetPrec(prec).SetFloat64(v) }
	bc0, bc1 := nf(c0), nf(c1)
	// Q^k = a + bQ + dQ²; (i^k/k!) as re + i·im.
	a, b, d := nf(1), nf(0), nf(0)
	tre, tim := nf(1), nf(0)
	var f [3][2]*big.Float
	for j := range f {
		f[j] = [2]*big.Float{nf(0), nf(0)}
	}
	tmp := nf(0)
	// Terms |q|^k/k! with |q| ≤ √(4c₁/3) fall below 1e-40 well before this.
	kmax := int(8*math.Sqrt(c1)) + 120
	for k := 0; k < kmax; k++ {
		for j, c := range []*big.Float{a, b, d} {
			f[j][0].Add(f[j][0], tmp.Mul(tre, c))
			f[j][1].Add(f[j][1], tmp.Mul(tim, c))
		}
		na := nf(0).Mul(d, bc0)
		nb := nf(0).Add(a, tmp.Mul(d, bc1))
		a, b, d = na, nb, b
		kk := nf(float64(k + 1))
		tre, tim = nf(0).Quo(tim, kk), nf(0).Quo(tre, kk)
		tre.Neg(tre)
	}
	var out [3]complex128
	for j := range f {
		re, _ := f[j][0].Float64()
		im, _ := f[j][1].Float64()
		out[j] = complex(re, im)
	}
	return out
}

// TestExpCoeffs checks the SU(3) coefficients f_j themselves (which a force
// or a smearing derivative will need, not only their combination exp(X))
// against the exact reduced series, for c₁ from 1e-20 to 1e3 and c₀/c₀max
// from −1 to 1 (degenerate at ±1): |Δf_j| ≤ 2e-14 (1 + √c₁)/max(1, c₁^{j/2}),
// i.e. relative accuracy of the O(1) coefficients of a small Q and an error
// of f_j Q^j below 2e-14(1 + ‖Q‖) for a large one.
func TestExpCoeffs(t *testing.T) {
	var worst float64
	for _, c1 := range []float64{1e-20, 1e-12, 1e-8, 1e-5, 1e-3, 0.01, 0.0499, 0.05, 0.1, 0.5, 1, 3, 10, 100, 1000} {
		for _, r := range []float64{-1, -1 + 1e-12, -0.5, -1e-3, 0, 0.2, 0.7, 1 - 1e-9, 1} {
			c0 := r * 2 * math.Pow(c1/3, 1.5)
			f0, f1, f2 := expCoeffs3(c0, c1)
			want := coeffSeries(c0, c1)
			for j, f := range []complex128{f0, f1, f2} {
				tol := 2e-14 * (1 + math.Sqrt(c1)) / max(1, math.Pow(c1, float64(j)/2))
				e := cmplx.Abs(f - want[j])
				if e > tol {
					t.Errorf("c₁ = %g, c₀/c₀max = %g: f%d = %v, series %v (error %.3g > %.3g)", c1, r, j, f, want[j], e, tol)
				}
				worst = max(worst, e/tol)
			}
		}
	}
	t.Logf("largest error/tolerance %.2f", worst)
}

func ExampleExp() {
	// exp(iπ T^3) for SU(2) = diag(e^{iπ/2}, e^{−iπ/2}).
	x := make([]complex128, 4)
	AlgebraElement(x, []float64{0, 0, math.Pi})
	u := make([]complex128, 4)
	Exp(u, x)
	fmt.Printf("%.3f %.3f\n", u[0], u[3])
	// Output: (0.000+1.000i) (0.000-1.000i)
}
