package sun

import (
	"math"
	"testing"
)

// Values of I_n(x) from mpmath (30 digits), rounded to float64.
var besselTable = []struct {
	n    int
	x, v float64
}{
	{0, 1, 1.2660658777520083356},
	{1, 1, 0.56515910399248502721},
	{2, 2, 0.68894844769873820405},
	{0, 10, 2815.7166284662544715},
	{1, 10, 2670.9883037012546543},
	{5, 0.5, 8.2231713131092639616e-6},
	{20, 3, 1.5209660019426695221e-15},
	{3, 25, 4806356106.5065390799},
	{0, 50, 2.9325537838493363267e+20},
	{10, 0.1, 2.6917561429221430223e-20},
}

func relErr(a, b float64) float64 { return math.Abs(a-b) / math.Abs(b) }

// TestBessel: the power series and Miller's recurrence against tabulated
// values (2e-15 relative) and against each other (1e-14 relative for
// |x| ≤ 50, orders 0…60 where I_n is not below 1e-280), with the
// symmetries I_{−n} = I_n, I_n(−x) = (−1)^n I_n(x) and the recurrence
// I_{n−1} − I_{n+1} = (2n/x) I_n.
func TestBessel(t *testing.T) {
	for _, c := range besselTable {
		if e := relErr(BesselI(c.n, c.x), c.v); e > 2e-15 {
			t.Errorf("series I_%d(%g) = %.17g, want %.17g (rel. error %.2g)", c.n, c.x, BesselI(c.n, c.x), c.v, e)
		}
		out := make([]float64, c.n+1)
		BesselIScaled(c.x, out)
		if e := relErr(out[c.n]*math.Exp(c.x), c.v); e > 2e-15 {
			t.Errorf("Miller I_%d(%g) = %.17g, want %.17g (rel. error %.2g)", c.n, c.x, out[c.n]*math.Exp(c.x), c.v, e)
		}
	}
	var worst float64
	for _, x := range []float64{1e-200, 1e-50, 1e-5, 0.1, 0.5, 1, 2.5, 4.7, 10, 20, 33.3, 50, -1.5, -10} {
		out := make([]float64, 61)
		BesselIScaled(x, out)
		for n := range out {
			s := BesselI(n, x)
			if math.Abs(s) < 1e-280 {
				continue
			}
			m := out[n] * math.Exp(math.Abs(x))
			e := relErr(m, s)
			worst = max(worst, e)
			if e > 1e-14 {
				t.Errorf("I_%d(%g): series %.17g, Miller %.17g (rel. difference %.2g)", n, x, s, m, e)
			}
			if BesselI(-n, x) != s {
				t.Errorf("I_{-%d}(%g) ≠ I_%d(%g)", n, x, n, x)
			}
			if sign := 1 - 2*float64(n%2); relErr(BesselI(n, -x), sign*s) > 1e-15 {
				t.Errorf("I_%d(−x) ≠ (−1)^n I_%d(x) at x = %g", n, n, x)
			}
			if n > 0 && n < 60 && math.Abs(x) > 1e-10 {
				l, r := out[n-1]-out[n+1], 2*float64(n)/x*out[n]
				if math.Abs(l-r) > 1e-14*math.Abs(out[n-1]) {
					t.Errorf("recurrence at n = %d, x = %g: %g vs %g", n, x, l, r)
				}
			}
		}
	}
	t.Logf("largest series/Miller relative difference %.2g", worst)
	out := make([]float64, 3)
	BesselIScaled(2000, out) // e^{−x}I_n(x) ≈ 1/√(2πx) for x ≫ n²
	if e := relErr(out[2], 1/math.Sqrt(2*math.Pi*2000)); e > 2e-3 {
		t.Errorf("e^{−2000} I_2(2000) = %g, want ≈ %g", out[2], 1/math.Sqrt(2*math.Pi*2000))
	}
}

// The exact ⟨(1/N) Re Tr U⟩ of docs/sun.md §1.
var meanTraceTable = map[int][][2]float64{
	2: {{1, 0.240193723870}, {2, 0.433127426722}, {4, 0.658047267359}, {6, 0.762726075749}},
	3: {{1, 0.060126554834}, {2, 0.128627785322}, {4, 0.279619149409}, {6, 0.422531739650}, {8, 0.535753990214}},
}

// weylMeanTrace is ⟨(1/N) Re Tr U⟩ of p ∝ exp((β/N) Re Tr U) by Weyl
// quadrature on m points per angle.
func weylMeanTrace(n int, beta float64, m int) float64 {
	num := WeylIntegral(n, m, func(th []float64) float64 {
		r := real(traceOf(th, 1))
		return r / float64(n) * math.Exp(beta/float64(n)*(r-float64(n)))
	})
	den := WeylIntegral(n, m, func(th []float64) float64 {
		return math.Exp(beta / float64(n) * (real(traceOf(th, 1)) - float64(n)))
	})
	return num / den
}

// TestMeanTraceExact: the character series and Weyl quadrature both give
// the tabulated ⟨(1/N) Re Tr U⟩ to 1e-10 (the table's 12 digits), agree with
// each other to 1e-13, and for SU(2) equal I_2(β)/I_1(β) to 1e-14.
func TestMeanTraceExact(t *testing.T) {
	for _, n := range []int{2, 3} {
		for _, bv := range meanTraceTable[n] {
			beta, want := bv[0], bv[1]
			ch := MeanTrace(n, beta)
			wq := weylMeanTrace(n, beta, 64)
			t.Logf("N=%d β=%g: characters %.15f, Weyl %.15f, table %.12f", n, beta, ch, wq, want)
			if math.Abs(ch-want) > 1e-10 || math.Abs(wq-want) > 1e-10 {
				t.Errorf("N=%d β=%g: characters %.13f, Weyl %.13f, want %.12f", n, beta, ch, wq, want)
			}
			if math.Abs(ch-wq) > 1e-13 {
				t.Errorf("N=%d β=%g: characters and Weyl differ by %g", n, beta, ch-wq)
			}
			if n == 2 {
				if r := BesselI(2, beta) / BesselI(1, beta); math.Abs(ch-r) > 1e-14 {
					t.Errorf("β=%g: SU(2) ⟨½ Tr U⟩ = %.16f, I_2/I_1 = %.16f", beta, ch, r)
				}
			}
		}
	}
	// Strong and weak coupling: also beyond the table.
	for _, n := range []int{2, 3} {
		for _, beta := range []float64{0.01, 30} {
			ch, wq := MeanTrace(n, beta), weylMeanTrace(n, beta, 128)
			if math.Abs(ch-wq) > 1e-12 {
				t.Errorf("N=%d β=%g: characters %.15f, Weyl %.15f", n, beta, ch, wq)
			}
		}
		// Strong coupling, with R = Re Tr U and Haar moments ⟨R⟩ = 0:
		// ⟨R/N⟩ = (β/N²)⟨R²⟩ + (β²/(2N³))⟨R³⟩ + O(β³), where
		// ⟨R²⟩ = (1 + Re⟨(Tr U)²⟩)/2 = 1 (SU(2)), 1/2 (SU(3)) and
		// ⟨R³⟩ = (2 Re⟨(Tr U)³⟩ + 6 Re⟨(Tr U)² Tr U*⟩)/8 = 0 (SU(2)), 1/4 (SU(3)).
		c1 := map[int]float64{2: 1.0 / 4, 3: 1.0 / 18}[n]
		c2 := map[int]float64{2: 0, 3: 1.0 / 216}[n]
		b := 1e-3
		if want := c1*b + c2*b*b; math.Abs(MeanTrace(n, b)-want) > 1e-6*c1*b {
			t.Errorf("N=%d: ⟨(1/N) Re Tr U⟩ at β = %g is %.12g, strong coupling %.12g", n, b, MeanTrace(n, b), want)
		}
	}
}

// TestCharacterCoeffs: c_0 = 2I_1(β)/β for SU(2), and c_λ equals its
// definition ∫dU χ_λ(U)* exp((β/N) Re Tr U) by Weyl quadrature for the
// trivial, fundamental and adjoint irreps (χ_adj = |Tr U|² − 1) and, for
// SU(2), spin 1 (the same character) and spin 3/2 (χ = (Tr U)³ − 2 Tr U).
func TestCharacterCoeffs(t *testing.T) {
	for _, beta := range []float64{0.5, 2, 6} {
		if c := CharacterCoeff([]int{0, 0}, beta); relErr(c, 2*BesselI(1, beta)/beta) > 1e-14 {
			t.Errorf("β=%g: SU(2) c_0 = %.16g, 2I_1(β)/β = %.16g", beta, c, 2*BesselI(1, beta)/beta)
		}
		for _, c := range []struct {
			lambda []int
			chi    func(th []float64) float64
		}{
			{[]int{0, 0}, func([]float64) float64 { return 1 }},
			{[]int{1, 0}, func(th []float64) float64 { return real(traceOf(th, 1)) }},
			{[]int{2, 0}, func(th []float64) float64 { return abs2(traceOf(th, 1)) - 1 }},
			{[]int{3, 0}, func(th []float64) float64 { t := real(traceOf(th, 1)); return t*t*t - 2*t }},
			{[]int{0, 0, 0}, func([]float64) float64 { return 1 }},
			{[]int{1, 0, 0}, func(th []float64) float64 { return real(traceOf(th, 1)) }},
			{[]int{2, 1, 0}, func(th []float64) float64 { return abs2(traceOf(th, 1)) - 1 }},
		} {
			n := len(c.lambda)
			want := WeylIntegral(n, 64, func(th []float64) float64 {
				return c.chi(th) * math.Exp(beta/float64(n)*real(traceOf(th, 1)))
			})
			if got := CharacterCoeff(c.lambda, beta); relErr(got, want) > 1e-13 {
				t.Errorf("β=%g: c_%v = %.16g, Weyl %.16g", beta, c.lambda, got, want)
			}
		}
	}
}

// TestBesselRecurrence: I_n(x) against reference values (Abramowitz & Stegun, Table 9.8
// and the series to 17 digits; the cases of package gauge, whose copy of the
// series this one replaced) and the recurrence I_{n−1} − I_{n+1} = (2n/x) I_n.
func TestBesselRecurrence(t *testing.T) {
	for _, c := range []struct {
		n    int
		x, v float64
	}{
		{0, 1, 1.2660658777520082}, {1, 1, 0.5651591039924851},
		{0, 2, 2.2795853023360673}, {1, 2, 1.5906368546373291}, {2, 2, 0.6889484476987382},
		{-1, 2, 1.5906368546373291}, {0, 0, 1}, {3, 0, 0},
	} {
		if got := BesselI(c.n, c.x); !(math.Abs(got-c.v) <= 1e-15*(1+c.v)) {
			t.Errorf("I_%d(%g) = %.17g, want %.17g", c.n, c.x, got, c.v)
		}
	}
	for n := 1; n < 10; n++ {
		x := 3.7
		if d := BesselI(n-1, x) - BesselI(n+1, x) - 2*float64(n)/x*BesselI(n, x); !(math.Abs(d) <= 1e-13) {
			t.Errorf("recurrence at n = %d off by %g", n, d)
		}
	}
}
