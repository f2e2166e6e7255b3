package sungauge

import (
	"math"
	"testing"

	"github.com/normflow/normflow-go/sun"
)

// TestPlaquetteTorusValues: the character expansion reproduces the values
// of issue 16 (computed independently) to 1e-10: SU(2) β = 2, L = 4:
// 0.4331280031; SU(3) β = 6: L = 4 0.4225320567, L = 8 0.4225317397; SU(3)
// β = 4, L = 4: 0.2796191502.
func TestPlaquetteTorusValues(t *testing.T) {
	for _, c := range []struct {
		n    int
		beta float64
		l    int
		want float64
	}{
		{2, 2, 4, 0.4331280031},
		{3, 6, 4, 0.4225320567},
		{3, 6, 8, 0.4225317397},
		{3, 4, 4, 0.2796191502},
	} {
		got := PlaquetteTorus(c.n, c.beta, c.l*c.l)
		t.Logf("SU(%d) β = %g L = %d: <P> = %.12f (want %.10f, infinite volume %.12f)", c.n, c.beta, c.l, got, c.want, sun.MeanTrace(c.n, c.beta))
		if math.Abs(got-c.want) > 1e-10 {
			t.Errorf("SU(%d) β = %g L = %d: <P> = %.12f, want %.10f", c.n, c.beta, c.l, got, c.want)
		}
	}
}

// TestCharacterTable: the coefficients agree with sun.CharacterCoeff (an
// independent implementation) to 1e-13 relative, their analytic
// β-derivatives with a five-point difference of it to 1e-9, and the
// dimensions with the closed forms of SU(2) and SU(3).
func TestCharacterTable(t *testing.T) {
	for _, n := range []int{2, 3} {
		for _, beta := range []float64{0.7, 3, 9} {
			ch := newCharacters(n, beta)
			for l := range 5 {
				ch.shell(l, func(r *irrep) {
					want := sun.CharacterCoeff(r.lambda, beta) * math.Exp(-beta)
					if math.Abs(r.c-want) > 1e-13*math.Abs(want) {
						t.Errorf("SU(%d) β = %g λ = %v: c = %g, sun.CharacterCoeff %g", n, beta, r.lambda, r.c, want)
					}
					h := 1e-3 // five-point stencil: error ~h⁴ c⁽⁵⁾/30, rounding ~1e-16/h
					cc := func(k float64) float64 { return sun.CharacterCoeff(r.lambda, beta+k*h) }
					fd := (8*(cc(1)-cc(-1)) - (cc(2) - cc(-2))) / (12 * h) * math.Exp(-beta)
					if math.Abs(r.dc-fd) > 1e-9*math.Abs(fd) {
						t.Errorf("SU(%d) β = %g λ = %v: c′ = %g, finite difference %g", n, beta, r.lambda, r.dc, fd)
					}
					var d int
					if n == 2 {
						d = r.lambda[0] + 1
					} else {
						l1, l2 := r.lambda[0], r.lambda[1]
						d = (l1 - l2 + 1) * (l1 + 2) * (l2 + 1) / 2
					}
					if int(r.dim) != d {
						t.Errorf("SU(%d) λ = %v: dimension %g, want %d", n, r.lambda, r.dim, d)
					}
				})
			}
		}
	}
}

// TestLogZTorusSU2: for SU(2), c_n/d_n = 2I_n(β)/β with n the dimension,
// so Z_V = Σ_{n≥1} (2I_n(β)/β)^V, summed here with sun.BesselI (the power
// series, independent of the scaled recurrence): agreement to 1e-13.
func TestLogZTorusSU2(t *testing.T) {
	for _, c := range []struct {
		beta float64
		v    int
	}{{0.5, 1}, {2, 4}, {2, 16}, {5, 9}, {8, 64}} {
		var z float64
		for n := 1; n < 200; n++ {
			z += math.Pow(2*sun.BesselI(n, c.beta)/c.beta, float64(c.v))
		}
		want := math.Log(z)
		got := LogZTorus(2, c.beta, c.v)
		if math.Abs(got-want) > 1e-13*math.Max(1, math.Abs(want)) {
			t.Errorf("β = %g V = %d: ln Z = %.15g, want %.15g", c.beta, c.v, got, want)
		}
	}
}

// TestPlaquetteIsDerivative: ⟨P⟩ = V⁻¹ ∂_β ln Z against a central
// difference of LogZTorus (h = 1e-4, so the error is ~h² and rounding
// ~1e-16/h relative to ln Z): 1e-8.
func TestPlaquetteIsDerivative(t *testing.T) {
	for _, n := range []int{2, 3} {
		for _, c := range []struct {
			beta float64
			v    int
		}{{1, 1}, {2, 4}, {6, 16}, {4, 6}} {
			h := 1e-4
			fd := (LogZTorus(n, c.beta+h, c.v) - LogZTorus(n, c.beta-h, c.v)) / (2 * h) / float64(c.v)
			got := PlaquetteTorus(n, c.beta, c.v)
			if math.Abs(got-fd) > 1e-8 {
				t.Errorf("SU(%d) β = %g V = %d: <P> = %.12f, finite difference of ln Z %.12f", n, c.beta, c.v, got, fd)
			}
		}
	}
}

// TestWilsonLoopTorus: the loop formula (Pieri's rule) is independent of
// the derivative formula; at area 1 they agree to 1e-13, at area 0 the
// loop is 1, and at large V it tends to MeanTrace^area.
func TestWilsonLoopTorus(t *testing.T) {
	for _, n := range []int{2, 3} {
		for _, beta := range []float64{1, 3, 6} {
			for _, v := range []int{4, 16, 36} {
				p := PlaquetteTorus(n, beta, v)
				if w := WilsonLoopTorus(n, beta, v, 1); math.Abs(w-p) > 1e-13 {
					t.Errorf("SU(%d) β = %g V = %d: W(area 1) = %.15f, <P> = %.15f", n, beta, v, w, p)
				}
				if w := WilsonLoopTorus(n, beta, v, 0); math.Abs(w-1) > 1e-13 {
					t.Errorf("SU(%d) β = %g V = %d: W(area 0) = %.15f, want 1", n, beta, v, w)
				}
			}
			inf := sun.MeanTrace(n, beta)
			if w := WilsonLoopTorus(n, beta, 400, 2); math.Abs(w-inf*inf) > 1e-12 {
				t.Errorf("SU(%d) β = %g V = 400: W(area 2) = %.15f, MeanTrace² = %.15f", n, beta, w, inf*inf)
			}
		}
	}
}

// TestNegativeBetaSU2: −1 is central in SU(2), and flipping U_0(x) on the
// rows x_1 even flips the sign of every plaquette of a torus with even
// extents, so ⟨P⟩(−β) = −⟨P⟩(β) and ln Z(−β) = ln Z(β) (to 1e-13): a check
// of the signed coefficients c_r(−β).
func TestNegativeBetaSU2(t *testing.T) {
	for _, v := range []int{4, 16, 36} {
		p, m := PlaquetteTorus(2, 2.5, v), PlaquetteTorus(2, -2.5, v)
		z, zm := LogZTorus(2, 2.5, v), LogZTorus(2, -2.5, v)
		if math.Abs(p+m) > 1e-13 || math.Abs(z-zm) > 1e-13*math.Abs(z) {
			t.Errorf("V = %d: <P>(±β) = %.15f, %.15f; ln Z(±β) = %.15f, %.15f", v, p, m, z, zm)
		}
	}
}
