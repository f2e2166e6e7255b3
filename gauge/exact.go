package gauge

import (
	"fmt"
	"math"

	"github.com/normflow/normflow-go/sun"
)

// Exact results of 2-d U(1) gauge theory with the Wilson action on an
// L_x × L_y torus of V plaquettes.
//
// Under the Haar measure the V plaquette angles of a 2-d torus are
// independent and uniform except for one constraint, Σ_x θ_P(x) ≡ 0 mod 2π
// (every link appears in the sum once with each sign); the other link
// directions are gauge orbits and two holonomies, which the action does not
// see. Writing the constraint as δ_2π(Σθ_P) = (1/2π) Σ_n e^{in Σθ_P}
// (character expansion) gives, with a θ-term e^{iϑQ} added,
//
//	Z(ϑ) ∝ Σ_{n∈ℤ} f_n(ϑ)^V,   f_n(ϑ) = ∫_{−π}^{π} dφ/2π e^{β cos φ + iϑφ/2π − inφ},
//
// since Q = (1/2π) Σ_x wrap(θ_P(x)) and θ_P can be taken in (−π, π]. At
// ϑ = 0, f_n = I_n(β) (modified Bessel function), so
//
//	⟨cos θ_P⟩ = (1/V) ∂_β log Z = Σ_n I_n^{V−1} I_n′ / Σ_n I_n^V,  I_n′ = (I_{n−1} + I_{n+1})/2,
//
// which tends to I_1(β)/I_0(β) as V → ∞ (corrections of order (I_1/I_0)^V).
// And ⟨Q²⟩ = −Z″(0)/Z(0) with f_n′(0) = a_n, f_n″(0) = −b_n,
//
//	a_n = ∫ dφ/2π e^{β cos φ} (φ/2π) sin nφ,   b_n = ∫ dφ/2π e^{β cos φ} (φ/2π)² cos nφ,
//	⟨Q²⟩ = Σ_n [V I_n^{V−1} b_n − V(V−1) I_n^{V−2} a_n²] / Σ_n I_n^V.
//
// The Bessel functions come from their power series (sun.BesselI), a_n and b_n from
// composite Simpson quadrature (relative accuracy ≈ 1e-12).

// PlaquetteInfinite is ⟨cos θ_P⟩ = I_1(β)/I_0(β) in infinite volume.
func PlaquetteInfinite(beta float64) float64 { return sun.BesselI(1, beta) / sun.BesselI(0, beta) }

// orders returns n_max such that I_n(β)/I_0(β) < 1e-20 for n > n_max.
func orders(beta float64) int {
	i0 := sun.BesselI(0, beta)
	n := 1
	for sun.BesselI(n, beta)/i0 > 1e-20 {
		n++
	}
	return n
}

// PlaquetteTorus is the exact ⟨cos θ_P⟩ on a torus of v plaquettes.
func PlaquetteTorus(beta float64, v int) float64 {
	if v < 1 {
		panic(fmt.Sprintf("gauge: PlaquetteTorus: volume %d", v))
	}
	nm := orders(abs(beta))
	i0 := sun.BesselI(0, beta)
	var num, den float64
	for n := -nm; n <= nm; n++ {
		r := sun.BesselI(n, beta) / i0
		d := 0.5 * (sun.BesselI(n-1, beta) + sun.BesselI(n+1, beta)) / i0
		num += math.Pow(r, float64(v-1)) * d
		den += math.Pow(r, float64(v))
	}
	return num / den
}

// Q2Torus is the exact ⟨Q²⟩ on a torus of v plaquettes (the topological
// susceptibility is χ_t = ⟨Q²⟩/V). For v ≤ 2, Q = 0 (V = 1: θ_P ≡ 0;
// V = 2: θ_P(2) = −θ_P(1)) and 0 is returned: there the n-sum above would
// converge only like 1/n², since a_n, b_n = O(1/n); for v ≥ 3 every term
// carries a power of I_n and the sum converges fast.
func Q2Torus(beta float64, v int) float64 {
	if v < 1 {
		panic(fmt.Sprintf("gauge: Q2Torus: volume %d", v))
	}
	if v <= 2 {
		return 0
	}
	const m = 1 << 14 // Simpson intervals on [−π, π]
	h := 2 * math.Pi / m
	w := make([]float64, m+1) // Simpson weight × e^{β cos φ} / 2π
	phi := make([]float64, m+1)
	for j := range w {
		phi[j] = -math.Pi + float64(j)*h
		c := 2.0
		switch {
		case j == 0 || j == m:
			c = 1
		case j%2 == 1:
			c = 4
		}
		w[j] = c * h / 3 * math.Exp(beta*math.Cos(phi[j])) / (2 * math.Pi)
	}
	nm := orders(abs(beta))
	i0 := sun.BesselI(0, beta)
	fv := float64(v)
	var num, den float64
	for n := -nm; n <= nm; n++ {
		var a, b float64
		for j, wj := range w {
			u := phi[j] / (2 * math.Pi)
			a += wj * u * math.Sin(float64(n)*phi[j])
			b += wj * u * u * math.Cos(float64(n)*phi[j])
		}
		r := sun.BesselI(n, beta) / i0
		a, b = a/i0, b/i0
		num += fv*math.Pow(r, fv-1)*b - fv*(fv-1)*math.Pow(r, fv-2)*a*a
		den += math.Pow(r, fv)
	}
	return num / den
}

func abs(x float64) float64 { return math.Abs(x) }

// LogZTorus is log Z = log ∫ Π_links dθ e^{−S} on an lx × ly torus (angles
// integrated over a period, so that it is the normalisation that a flow with
// the Haar prior estimates): the Haar average of e^{−S} is Σ_n I_n(β)^V (see
// above), hence log Z = 2V log 2π + V log I_0(β) + log Σ_n (I_n/I_0)^V.
func LogZTorus(beta float64, lx, ly int) float64 {
	v := lx * ly
	nm := orders(abs(beta))
	i0 := sun.BesselI(0, beta)
	var s float64
	for n := -nm; n <= nm; n++ {
		s += math.Pow(sun.BesselI(n, beta)/i0, float64(v))
	}
	return 2*float64(v)*math.Log(2*math.Pi) + float64(v)*math.Log(i0) + math.Log(s)
}
