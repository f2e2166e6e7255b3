package sungauge

import (
	"fmt"
	"math"

	"github.com/normflow/normflow-go/sun"
)

// Exact results of two-dimensional SU(N) Wilson gauge theory on a periodic
// lattice (a torus) of V sites, by the character expansion
// (docs/sun.md §10.3): every plaquette weight is expanded in characters,
// exp((β/N) Re Tr U) = Σ_r c_r(β) χ_r(U), and every link integrated out,
//
//	Z_V = Σ_r (c_r/d_r)^V                         (Haar measure, ∫dU = 1),
//	⟨(1/N) Re Tr U_P⟩ = V⁻¹ ∂_β ln Z_V = Σ_r w_r c_r′/c_r / Σ_r w_r,   w_r = (c_r/d_r)^V,
//
// and, for a contractible loop W enclosing A plaquettes,
//
//	⟨(1/N) Tr W⟩ = Σ_r Σ_{s∈f⊗r} (c_r/d_r)^A (c_s/d_s)^{V−A} (d_r/d_s) / (N Z_V).
//
// Irreps r are partitions λ_1 ≥ … ≥ λ_{N−1} ≥ λ_N = 0, enumerated in shells
// of λ_1 until two successive shells add less than 1e-17 of the sum. The
// coefficients c_r = Σ_q det I_{λ_i+q−i+j}(β/N) and their derivatives
// c_r′ = Σ_q Σ_j det(column j differentiated), with
// ∂_β I_k(β/N) = (I_{k−1} + I_{k+1})(β/N)/(2N), are analytic (no finite
// differences); both are computed scaled by e^{−|β|}, which cancels in
// every ratio.

// irrep is one irreducible representation of SU(N) with its coefficient
// c, derivative dc (both scaled by e^{−|β|}) and dimension d.
type irrep struct {
	lambda   []int
	c, dc    float64
	dim      float64
	ratio    float64 // c/(d c_0): the character expectation of the one-plaquette model
	logDeriv float64 // c′/c
}

// characters computes and caches the irreps of SU(N) at one β.
type characters struct {
	n      int
	x      float64   // β/N
	bessel []float64 // e^{−|x|} I_k(x), k = 0 … len−1
	kcut   int       // I_k/I_0 < 1e-30 beyond kcut
	cache  map[[3]int]*irrep
	c0     float64
}

func newCharacters(n int, beta float64) *characters {
	if n != 2 && n != 3 {
		panic(fmt.Sprintf("sungauge: exact torus results for N = %d: implemented for N = 2, 3", n))
	}
	if math.IsNaN(beta) || math.IsInf(beta, 0) {
		panic(fmt.Sprintf("sungauge: exact torus results at beta = %g: must be finite", beta))
	}
	ch := &characters{n: n, x: beta / float64(n), cache: map[[3]int]*irrep{}}
	probe := make([]float64, int(math.Abs(ch.x))+200)
	sun.BesselIScaled(ch.x, probe)
	k := 1
	for k < len(probe)-1 && math.Abs(probe[k]) > 1e-30*probe[0] {
		k++
	}
	ch.kcut = k
	ch.grow(64)
	ch.c0 = ch.get(make([]int, n)).c
	return ch
}

// grow makes the Bessel table hold orders up to at least m.
func (ch *characters) grow(m int) {
	if m < len(ch.bessel) {
		return
	}
	ch.bessel = make([]float64, 2*m+1)
	sun.BesselIScaled(ch.x, ch.bessel)
}

// i returns e^{−|x|} I_k(x) for any integer order k (I_{−k} = I_k).
func (ch *characters) i(k int) float64 {
	if k < 0 {
		k = -k
	}
	return ch.bessel[k]
}

// get returns the irrep λ (length N, λ_N = 0), computing it once.
func (ch *characters) get(lambda []int) *irrep {
	var key [3]int
	copy(key[:], lambda)
	if r, ok := ch.cache[key]; ok {
		return r
	}
	n := ch.n
	qmax := lambda[0] + n + ch.kcut
	ch.grow(qmax + lambda[0] + 2*n + 2)
	var m, dm [9]float64
	a, b := m[:n*n], dm[:n*n]
	var c, dc float64
	for q := -qmax; q <= qmax; q++ {
		for i := range n {
			for j := range n {
				k := lambda[i] + q - i + j
				a[i*n+j] = ch.i(k)
				b[i*n+j] = (ch.i(k-1) + ch.i(k+1)) / float64(2*n)
			}
		}
		c += det(a, n)
		for j := range n { // Jacobi: d det = Σ_j det(column j replaced by its derivative)
			var s [9]float64
			t := s[:n*n]
			copy(t, a)
			for i := range n {
				t[i*n+j] = b[i*n+j]
			}
			dc += det(t, n)
		}
	}
	r := &irrep{lambda: append([]int(nil), lambda...), c: c, dc: dc, dim: float64(Dimension(lambda))}
	r.logDeriv = dc / c
	ch.cache[key] = r
	if ch.c0 != 0 {
		r.ratio = c / (r.dim * ch.c0)
	} else {
		r.ratio = 1 // the trivial irrep, computed first
	}
	return r
}

// det is the determinant of a real 2×2 or 3×3 matrix.
func det(a []float64, n int) float64 {
	if n == 2 {
		return a[0]*a[3] - a[1]*a[2]
	}
	return a[0]*(a[4]*a[8]-a[5]*a[7]) - a[1]*(a[3]*a[8]-a[5]*a[6]) + a[2]*(a[3]*a[7]-a[4]*a[6])
}

// Dimension is the dimension of the SU(N) irrep with partition λ (length
// N), by Weyl's formula d = Π_{i<j} (λ_i − λ_j + j − i)/(j − i); SU(2):
// λ_1 + 1; SU(3): (λ_1 − λ_2 + 1)(λ_1 + 2)(λ_2 + 1)/2.
func Dimension(lambda []int) int {
	num, den := 1, 1
	for i := range lambda {
		for j := i + 1; j < len(lambda); j++ {
			num *= lambda[i] - lambda[j] + j - i
			den *= j - i
		}
	}
	return num / den
}

// shell calls f for every irrep with λ_1 = l (λ_N = 0).
func (ch *characters) shell(l int, f func(*irrep)) {
	lam := make([]int, ch.n)
	lam[0] = l
	if ch.n == 2 {
		f(ch.get(lam))
		return
	}
	for l2 := 0; l2 <= l; l2++ {
		lam[1] = l2
		f(ch.get(lam))
	}
}

// sumShells adds term(r) over all irreps, shell by shell, until two
// successive shells add less than 1e-17 of the sum (at most maxShells).
func (ch *characters) sumShells(term func(*irrep) float64) float64 {
	const maxShells = 5000
	var sum float64
	quiet := 0
	for l := 0; l < maxShells && quiet < 2; l++ {
		var s, big float64
		ch.shell(l, func(r *irrep) {
			t := term(r)
			s += t
			big = math.Max(big, math.Abs(t))
		})
		sum += s
		if big < 1e-17*math.Abs(sum) {
			quiet++
		} else {
			quiet = 0
		}
	}
	return sum
}

// fundamentalTimes calls f for each irrep s in f ⊗ r (Pieri's rule: add a
// box to a row of λ where the result is a partition; a full column of N
// boxes is removed), each with multiplicity one.
func (ch *characters) fundamentalTimes(r *irrep, f func(*irrep)) {
	n := ch.n
	for i := range n {
		if i > 0 && r.lambda[i] >= r.lambda[i-1] {
			continue
		}
		lam := append([]int(nil), r.lambda...)
		lam[i]++
		if m := lam[n-1]; m > 0 {
			for k := range lam {
				lam[k] -= m
			}
		}
		f(ch.get(lam))
	}
}

// pow is x^v for an integer v ≥ 0 (x may be negative for β < 0).
func pow(x float64, v int) float64 { return math.Pow(x, float64(v)) }

// LogZTorus is ln Z of 2-d SU(n) Wilson gauge theory (n = 2, 3) on a
// periodic lattice of v sites, Z = ∫Π dU e^{−S} with Haar measure of unit
// volume: ln Z = v ln c_0 + ln Σ_r (c_r/(d_r c_0))^v (docs/sun.md §10.3).
func LogZTorus(n int, beta float64, v int) float64 {
	ch := newCharacters(n, beta)
	s := ch.sumShells(func(r *irrep) float64 { return pow(r.ratio, v) })
	return float64(v)*(math.Log(ch.c0)+math.Abs(beta)) + math.Log(s)
}

// PlaquetteTorus is the exact ⟨(1/N) Re Tr U_P⟩ of 2-d SU(n) Wilson gauge
// theory on a periodic lattice of v sites, v⁻¹ ∂_β ln Z_v (docs/sun.md §10.3).
// For v → ∞ it is sun.MeanTrace(n, beta).
func PlaquetteTorus(n int, beta float64, v int) float64 {
	if v < 1 {
		panic(fmt.Sprintf("sungauge: PlaquetteTorus with %d sites", v))
	}
	ch := newCharacters(n, beta)
	z := ch.sumShells(func(r *irrep) float64 { return pow(r.ratio, v) })
	num := ch.sumShells(func(r *irrep) float64 {
		w := pow(r.ratio, v)
		if w == 0 {
			return 0
		}
		return w * r.logDeriv
	})
	return num / z
}

// WilsonLoopTorus is the exact ⟨(1/N) Re Tr W⟩ of a contractible Wilson
// loop enclosing area plaquettes (0 ≤ area ≤ v; an R×T rectangle with R, T
// below the extents has area RT) in 2-d SU(n) Wilson gauge theory on a
// periodic lattice of v sites (docs/sun.md §10.3). At area = 1 it is
// PlaquetteTorus; in infinite volume it is PlaquetteTorus(∞)^area.
func WilsonLoopTorus(n int, beta float64, v, area int) float64 {
	if area < 0 || area > v {
		panic(fmt.Sprintf("sungauge: WilsonLoopTorus: area %d outside [0, %d]", area, v))
	}
	ch := newCharacters(n, beta)
	z := ch.sumShells(func(r *irrep) float64 { return pow(r.ratio, v) })
	num := ch.sumShells(func(r *irrep) float64 {
		inside := pow(r.ratio, area)
		if inside == 0 {
			return 0
		}
		var t float64
		ch.fundamentalTimes(r, func(s *irrep) {
			t += pow(s.ratio, v-area) * r.dim / s.dim
		})
		return inside * t
	})
	return num / (float64(n) * z)
}
