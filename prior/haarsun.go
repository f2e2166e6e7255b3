package prior

import (
	"fmt"

	"github.com/normflow/normflow-go/rng"
	"github.com/normflow/normflow-go/sun"
)

// HaarSU is the Haar measure of SU(N) on each of the matrices of a
// configuration, independently: the prior of the one-matrix models (action
// kind "matrix") and of SU(N) link fields. Configurations are in the
// layout of action.MatrixField, [matrices, N, N, 2] (complex entries as
// (re, im) pairs; docs/sun.md §2).
//
// LogProb is 0: the density with respect to the normalised Haar measure
// (total volume 1) is 1. A flow's log-Jacobians on SU(N) are taken with
// respect to the same measure (docs/sun.md §9), so log q(U) = −logJ is the
// density of the flowed model with respect to Haar measure, and so is the
// target p ∝ e^{−S}; no constant is dropped that would not also be part of
// log Z. GradLogProb is 0 as well (docs/sun.md §12).
type HaarSU struct {
	N, Matrices int
}

// NewHaarSU returns the Haar prior on matrices SU(n) matrices per
// configuration.
func NewHaarSU(n, matrices int) (*HaarSU, error) {
	if n < 2 {
		return nil, fmt.Errorf("prior: haar: n = %d: SU(N) needs N >= 2", n)
	}
	if matrices <= 0 {
		return nil, fmt.Errorf("prior: haar: %d matrices: must be positive", matrices)
	}
	return &HaarSU{N: n, Matrices: matrices}, nil
}

// Size is Matrices·2N².
func (p *HaarSU) Size() int { return p.Matrices * 2 * p.N * p.N }

// Sample fills x (a whole number of configurations) with Haar matrices,
// each drawn by sun.Haar (Mezzadri, math-ph/0609050) from the stream s, in
// storage order.
func (p *HaarSU) Sample(s *rng.Stream, x []float64) {
	n2 := p.N * p.N
	if len(x)%(2*n2) != 0 {
		panic(fmt.Sprintf("prior: haar: %d values are not a whole number of %d×%d matrices", len(x), p.N, p.N))
	}
	u := make([]complex128, n2)
	for m := range len(x) / (2 * n2) {
		sun.Haar(u, s)
		sun.ToInterleaved(x[m*2*n2:(m+1)*2*n2], u)
	}
}

// LogProb writes 0 for every configuration: the density with respect to
// the normalised Haar measure.
func (p *HaarSU) LogProb(x, out []float64) { clear(out) }

// GradLogProb is zero: the density is constant.
func (p *HaarSU) GradLogProb(x, g []float64) { clear(g[:len(x)]) }
