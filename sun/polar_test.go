package sun

import (
	"math"
	"math/cmplx"
	"testing"

	"github.com/normflow/normflow-go/rng"
)

// stapleLike returns a sum of k Haar SU(n) matrices (a staple sum of a
// d = (k+2)/2 lattice), or a complex Gaussian matrix when k = 0.
func stapleLike(s *rng.Stream, n, k int) []complex128 {
	a := make([]complex128, n*n)
	if k == 0 {
		for i := range a {
			a[i] = complex(s.Norm(), s.Norm())
		}
		return a
	}
	u := make([]complex128, n*n)
	for range k {
		Haar(u, s)
		for i := range a {
			a[i] += u[i]
		}
	}
	return a
}

// TestPolarSU: P(A) ∈ SU(N) to 1e-13; P(A)†A is Hermitian positive up to
// the phase e^{iα/N} (A = P e^{iα/N} H); covariance P(gAh†) = gP(A)h† to
// 1e-12; for SU(2) staple sums (A = rV) P = V exactly; singular, zero and
// NaN input give the identity and false.
func TestPolarSU(t *testing.T) {
	s := rng.New(11)
	for _, n := range []int{2, 3} {
		n2 := n * n
		for _, k := range []int{0, 1, 2, 6} {
			for range 20 {
				a := stapleLike(&s, n, k)
				p := make([]complex128, n2)
				if !PolarSU(p, a) {
					t.Fatalf("SU(%d) k=%d: PolarSU failed on %v", n, k, a)
				}
				if e := UnitarityError(p); e > 1e-13 {
					t.Errorf("SU(%d) k=%d: P is %g from SU(N)", n, k, e)
				}
				// H = e^{−iα/N} P†A must be Hermitian positive
				h := make([]complex128, n2)
				AdjMul(h, p, a)
				ph := cmplx.Rect(1, -DetPhase(Det(a))/float64(n))
				for i := range h {
					h[i] *= ph
				}
				for i := range n {
					if real(h[i*n+i]) <= 0 {
						t.Errorf("SU(%d) k=%d: H has diagonal %v", n, k, h[i*n+i])
					}
					for j := range n {
						if e := cmplx.Abs(h[i*n+j] - cmplx.Conj(h[j*n+i])); e > 1e-12*(1+frob(a)) {
							t.Errorf("SU(%d) k=%d: H not Hermitian by %g", n, k, e)
						}
					}
				}
				g, hm := make([]complex128, n2), make([]complex128, n2)
				Haar(g, &s)
				Haar(hm, &s)
				ga, gp := make([]complex128, n2), make([]complex128, n2)
				Mul(ga, g, a)
				MulAdj(ga, ga, hm)
				PolarSU(gp, ga)
				Mul(p, g, p)
				MulAdj(p, p, hm)
				if e := maxAbsDiff(gp, p); e > 1e-12 {
					t.Errorf("SU(%d) k=%d: P(gAh†) − gP(A)h† = %g", n, k, e)
				}
				if n == 2 && k > 0 {
					// A = rV: P = A/r
					r := math.Sqrt(real(Det(a)))
					PolarSU(p, a)
					for i := range p {
						if e := cmplx.Abs(p[i] - a[i]/complex(r, 0)); e > 1e-13 {
							t.Fatalf("SU(2) k=%d: P differs from A/√det A by %g", k, e)
						}
					}
				}
			}
		}
		p := make([]complex128, n2)
		one := make([]complex128, n2)
		Identity(one)
		rank1 := make([]complex128, n2)
		for i := range n {
			for j := range n {
				rank1[i*n+j] = complex(float64(i+1), 0) * complex(1, float64(j)) // u vᵀ
			}
		}
		nan := make([]complex128, n2)
		nan[0] = cmplx.NaN()
		for name, a := range map[string][]complex128{"zero": make([]complex128, n2), "rank 1": rank1, "NaN": nan} {
			if PolarSU(p, a) || maxAbsDiff(p, one) != 0 {
				t.Errorf("SU(%d) %s: PolarSU gave %v, want the identity and false", n, name, p)
			}
			gA := make([]complex128, n2)
			PolarSUVJP(gA, a, one)
			for _, v := range gA {
				if v != 0 {
					t.Errorf("SU(%d) %s: VJP %v, want zero", n, name, gA)
					break
				}
			}
		}
	}
}

func maxAbsDiff(a, b []complex128) float64 {
	var e float64
	for i := range a {
		e = max(e, cmplx.Abs(a[i]-b[i]))
	}
	return e
}

// TestPolarSUVJP: for L = Re Tr(G† P(A)) with random G, PolarSUVJP's
// cotangent paired with a random direction E of A equals the central
// difference of L along A + εE (h = 1e-6) to 1e-7 relative, for Gaussian
// and staple-sum A of SU(2) and SU(3).
func TestPolarSUVJP(t *testing.T) {
	s := rng.New(12)
	for _, n := range []int{2, 3} {
		n2 := n * n
		for _, k := range []int{0, 2, 6} {
			for range 10 {
				a := stapleLike(&s, n, k)
				g := stapleLike(&s, n, 0)
				e := stapleLike(&s, n, 0)
				obj := func(eps float64) float64 {
					x := make([]complex128, n2)
					for i := range x {
						x[i] = a[i] + complex(eps, 0)*e[i]
					}
					p := make([]complex128, n2)
					PolarSU(p, x)
					var l float64
					for i := range p {
						l += real(cmplx.Conj(g[i]) * p[i])
					}
					return l
				}
				const h = 1e-6
				fd := (obj(h) - obj(-h)) / (2 * h)
				gA := make([]complex128, n2)
				PolarSUVJP(gA, a, g)
				var an float64
				for i := range gA {
					an += real(cmplx.Conj(gA[i]) * e[i])
				}
				if math.Abs(an-fd) > 1e-7*(1+math.Abs(fd)) {
					t.Errorf("SU(%d) k=%d: VJP %.10g, finite difference %.10g", n, k, an, fd)
				}
			}
		}
	}
}
