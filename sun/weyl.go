package sun

import "math"

// WeylFactor returns the Haar density of the eigen-angles of SU(N) up to
// normalisation, the squared Vandermonde determinant
//
//	Δ(θ) = Π_{i<j} |e^{iθ_i} − e^{iθ_j}|² = Π_{i<j} 4 sin²((θ_i − θ_j)/2)
//
// (H. Weyl, The Classical Groups). A spectral map θ → θ′ has, with respect
// to Haar measure, the log-Jacobian log|det ∂θ′/∂θ| + log Δ(θ′) − log Δ(θ).
func WeylFactor(theta []float64) float64 {
	p := 1.0
	for i := range theta {
		for j := i + 1; j < len(theta); j++ {
			s := 2 * math.Sin((theta[i]-theta[j])/2)
			p *= s * s
		}
	}
	return p
}

// LogWeylFactor returns log Δ(θ) = Σ_{i<j} log(4 sin²((θ_i − θ_j)/2)) (see
// WeylFactor); −Inf at degenerate angles.
func LogWeylFactor(theta []float64) float64 {
	var l float64
	for i := range theta {
		for j := i + 1; j < len(theta); j++ {
			l += 2 * math.Log(2*math.Abs(math.Sin((theta[i]-theta[j])/2)))
		}
	}
	return l
}

// WeylIntegral returns the Haar average ∫dU f(U) of a class function of
// SU(N), given as a function of the N eigen-angles (f must not keep the
// slice), by the Weyl integration formula
//
//	∫dU f = 1/(N! (2π)^{N−1}) ∫_{[0,2π)^{N−1}} dθ₁…dθ_{N−1} Δ(θ) f(θ),   θ_N = −θ₁ − … − θ_{N−1},
//
// evaluated with the periodic trapezoid rule on m points per angle (m^{N−1}
// evaluations of f). The integrand is 2π-periodic in every θ_k, so for
// smooth f the error falls faster than any power of 1/m (exponentially for
// analytic f: it is the size of the Fourier modes of order ≥ m). For SU(2)
// this is (1/π)∫₀^{2π} sin²θ f dθ = (2/π)∫₀^π sin²θ f dθ, for SU(3)
// (1/(3!(2π)²))∫∫ Π_{i<j}|e^{iθ_i} − e^{iθ_j}|² f dθ₁dθ₂ = (8/(3π²))∫∫ Π sin²((θ_i−θ_j)/2) f.
func WeylIntegral(n, m int, f func(theta []float64) float64) float64 {
	if n < 2 || m < 1 {
		panic("sun: WeylIntegral needs N ≥ 2 and m ≥ 1")
	}
	h := 2 * math.Pi / float64(m)
	theta := make([]float64, n)
	grid := make([]int, n-1) // odometer over the m^{N−1} points
	var sum float64
	for {
		var last float64
		for k, g := range grid {
			theta[k] = h * float64(g)
			last -= theta[k]
		}
		theta[n-1] = last
		sum += WeylFactor(theta) * f(theta)
		k := 0
		for ; k < n-1; k++ {
			grid[k]++
			if grid[k] < m {
				break
			}
			grid[k] = 0
		}
		if k == n-1 {
			break
		}
	}
	// h^{N−1}/(N! (2π)^{N−1}) = 1/(N! m^{N−1}).
	norm := math.Pow(float64(m), float64(n-1))
	for k := 2; k <= n; k++ {
		norm *= float64(k)
	}
	return sum / norm
}
