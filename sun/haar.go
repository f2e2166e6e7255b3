package sun

import (
	"math"
	"math/cmplx"

	"github.com/normflow/normflow-go/rng"
)

// Haar sets dst to an N×N matrix drawn from the Haar measure of SU(N), any
// N, using the stream s (Mezzadri, math-ph/0609050):
//
//  1. Z with independent entries (x + iy)/√2, x, y ~ N(0, 1), drawn row by
//     row, real part first;
//  2. Z = QR by Gram–Schmidt on the columns of Z (each projection done
//     twice), so R has a real positive diagonal — the phase fix
//     Q ← Q·diag(R_ii/|R_ii|) that a Householder QR needs is the identity
//     here, and Q is Haar distributed on U(N);
//  3. U = Q e^{−iφ/N} with det Q = e^{iφ}, φ ∈ (−π, π] (the principal N-th
//     root). U is Haar on SU(N): for V ∈ SU(N), VQ has the same determinant
//     and the law of Q is invariant under Q → VQ, so the law of U is
//     invariant under U → VU, which defines the Haar measure.
//
// It draws 2N² normal deviates from s.
func Haar(dst []complex128, s *rng.Stream) {
	n := Dim(dst)
	for i := range dst {
		x := s.Norm()
		y := s.Norm()
		dst[i] = complex(x, y) * complex(1/math.Sqrt2, 0)
	}
	// Gram–Schmidt on columns j = 0…N−1; column j is dst[i*n+j], i = 0…N−1.
	for j := range n {
		for range 2 {
			for k := range j {
				var p complex128 // ⟨q_k, z_j⟩
				for i := range n {
					p += cmplx.Conj(dst[i*n+k]) * dst[i*n+j]
				}
				for i := range n {
					dst[i*n+j] -= p * dst[i*n+k]
				}
			}
		}
		var r float64 // R_jj = |z_j − projections| > 0
		for i := range n {
			r += abs2(dst[i*n+j])
		}
		f := complex(1/math.Sqrt(r), 0)
		for i := range n {
			dst[i*n+j] *= f
		}
	}
	ph := cmplx.Rect(1, -cmplx.Phase(Det(dst))/float64(n))
	for i := range dst {
		dst[i] *= ph
	}
}

// HaarField fills a field of N×N matrices (length a multiple of N²; one
// configuration [sites…, N, N] or [d, sites…, N, N]) with independent Haar
// elements of SU(N), in storage order, all from the stream s — the
// per-sample stream rng.New(seed, step, sample) of that configuration.
func HaarField(field []complex128, n int, s *rng.Stream) {
	n2 := n * n
	if len(field)%n2 != 0 {
		panic("sun: HaarField: length is not a multiple of N²")
	}
	for k := range len(field) / n2 {
		Haar(Mat(field, k, n), s)
	}
}
