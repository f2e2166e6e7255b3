package sun

import "math"

// BesselI returns the modified Bessel function of the first kind I_n(x) of
// integer order n and real x, by its power series
//
//	I_n(x) = Σ_{k≥0} (x/2)^{2k+n} / (k! (k+n)!),   I_{−n}(x) = I_n(x),   I_n(−x) = (−1)^n I_n(x)
//
// (Abramowitz & Stegun 9.6.10), summed until a term is below 1e-17 of the
// sum. All terms have the same sign and each is the previous times
// (x/2)²/((k+1)(k+n+1)), so the sum is accurate to a few ulp per √(|x|)
// terms: about 1e-15 relative for |x| ≲ 50. It overflows beyond |x| ≈ 700;
// BesselIScaled gives e^{−|x|} I_n(x) for any x.
func BesselI(n int, x float64) float64 {
	if n < 0 {
		n = -n
	}
	h := x / 2
	t := 1.0
	for k := 1; k <= n; k++ {
		t *= h / float64(k)
	}
	s := t
	for k := 0; k < 10000; k++ {
		t *= h * h / (float64(k+1) * float64(k+n+1))
		s += t
		if math.Abs(t) <= 1e-17*math.Abs(s) {
			break
		}
	}
	return s
}

// BesselIScaled sets out[n] = e^{−|x|} I_n(x) for n = 0, …, len(out)−1 by
// Miller's backward recurrence
//
//	I_{k−1}(x) = I_{k+1}(x) + (2k/x) I_k(x),
//
// started from I_{M+1} = 0, I_M = 1 at an order M well above len(out) and
// |x| (the wanted solution grows downwards and swamps the wrong start), and
// normalised by the sum rule I_0(x) + 2 Σ_{k≥1} I_k(x) = e^{x} (all terms
// positive for x > 0, so no cancellation); I_n(−x) = (−1)^n I_n(x). The
// scaling keeps every order finite however large |x| is. Accurate to
// ~1e-15 relative (checked against the series and tabulated values).
func BesselIScaled(x float64, out []float64) {
	clear(out)
	if len(out) == 0 {
		return
	}
	ax := math.Abs(x)
	switch {
	case ax == 0:
		out[0] = 1
		return
	case ax < 1e-100: // 2k/x would overflow; the series is exact here
		for n := range out {
			out[n] = BesselI(n, ax)
		}
	default:
		nmax := float64(len(out) - 1)
		top := max(nmax, math.Ceil(ax))
		m := 2 * int(top+20+math.Ceil(math.Sqrt(60*max(top, 1))))
		bkp, bk := 0.0, 1.0 // I_{k+1}, I_k up to a common factor
		var sum float64     // I_0 + 2 Σ_{k≥1} I_k, same factor
		for k := m; k > 0; k-- {
			bkm := bkp + 2*float64(k)/ax*bk
			bkp, bk = bk, bkm // now I_k, I_{k−1}
			if k-1 < len(out) {
				out[k-1] = bk
			}
			if k-1 > 0 {
				sum += 2 * bk
			} else {
				sum += bk
			}
			if bk > 1e150 { // rescale all that is kept
				bkp *= 1e-150
				bk *= 1e-150
				sum *= 1e-150
				for i := k - 1; i < len(out); i++ {
					out[i] *= 1e-150
				}
			}
		}
		for n := range out {
			out[n] /= sum
		}
		if x < 0 {
			for n := 1; n < len(out); n += 2 {
				out[n] = -out[n]
			}
		}
		return
	}
	// Series branch: scale and sign.
	f := math.Exp(-ax)
	for n := range out {
		out[n] *= f
		if x < 0 && n%2 == 1 {
			out[n] = -out[n]
		}
	}
}

// CharacterCoeff returns the character coefficient of the irreducible
// representation λ of SU(N) in
//
//	exp((β/N) Re Tr U) = Σ_λ c_λ(β) χ_λ(U),   c_λ = ∫dU χ_λ(U)* exp((β/N) Re Tr U),
//
// with N = len(λ), λ a partition λ_1 ≥ … ≥ λ_N ≥ 0 (the fundamental is
// (1, 0, …, 0), the trivial (0, …, 0); for SU(3) the irrep (p, q) is
// (p+q, q, 0)). It is the U(N) determinant summed over the U(1) charge q
// (Bars & Green, Phys. Rev. D 20 (1979) 3311; docs/sun.md §1):
//
//	c_λ(β) = Σ_{q∈ℤ} det_{1≤i,j≤N} I_{λ_i+q−i+j}(β/N).
//
// The Bessel functions come from BesselIScaled; the sum runs over |q| up to
// λ_1 + N plus the order beyond which I_k(β/N)/I_0(β/N) < 1e-30. The
// partition function of the one-matrix model is Z(β) = c_0(β); for SU(2),
// c_0 = 2I_1(β)/β. The result overflows for |β| ≳ 700.
func CharacterCoeff(lambda []int, beta float64) float64 {
	n := len(lambda)
	return math.Exp(math.Abs(beta)) * characterScaled(lambda, beta/float64(n))
}

// characterScaled is e^{−N|x|} Σ_q det I_{λ_i+q−i+j}(x), N = len(λ).
func characterScaled(lambda []int, x float64) float64 {
	n := len(lambda)
	if n < 1 {
		panic("sun: CharacterCoeff: empty partition")
	}
	for i := range n {
		if lambda[i] < 0 || i > 0 && lambda[i] > lambda[i-1] {
			panic("sun: CharacterCoeff: λ must be a partition λ_1 ≥ … ≥ λ_N ≥ 0")
		}
	}
	// Orders up to K with I_K/I_0 < 1e-30, found on a generous table.
	probe := make([]float64, int(math.Abs(x))+200)
	BesselIScaled(x, probe)
	k := 1
	for k < len(probe)-1 && math.Abs(probe[k]) > 1e-30*probe[0] {
		k++
	}
	qmax := lambda[0] + n + k
	table := make([]float64, qmax+lambda[0]+2*n+1) // e^{−|x|} I_{|order|}(x)
	BesselIScaled(x, table)
	bessel := func(order int) float64 {
		if order < 0 {
			order = -order
		}
		if order >= len(table) {
			return 0
		}
		return table[order]
	}
	m := make([]float64, n*n)
	var sum float64
	for q := -qmax; q <= qmax; q++ {
		for i := range n {
			for j := range n {
				m[i*n+j] = bessel(lambda[i] + q - i + j)
			}
		}
		sum += detPivot(m, n, math.Abs)
	}
	return sum
}

// MeanTrace returns the exact ⟨(1/N) Re Tr U⟩ of the SU(N) one-matrix model
// p(U) ∝ exp((β/N) Re Tr U) (the plaquette of 2-d Wilson gauge theory in
// infinite volume or with open boundaries),
//
//	⟨(1/N) Re Tr U⟩ = ∂_β ln c_0 = c_fund(β) / (N c_0(β)),
//
// with the character coefficients of CharacterCoeff, computed scaled so
// that any β is fine. For SU(2) it equals I_2(β)/I_1(β).
func MeanTrace(n int, beta float64) float64 {
	fund := make([]int, n)
	fund[0] = 1
	x := beta / float64(n)
	return characterScaled(fund, x) / (float64(n) * characterScaled(make([]int, n), x))
}
