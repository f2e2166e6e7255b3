// Package matrixmodel holds the SU(N) one-matrix models: a lattice of
// independent SU(N) matrices (shape [] for one matrix) with the action
//
//	S(U) = −(β/N) Σ_x Re Tr W(U_x),   W(U) = Σ_k c_k U^k   or   W(U) = U G,
//
// the test densities of Boyda et al. (arXiv:2008.05456) and the matrix
// action of the seed library (S = −(β/N) Re Tr(U G), G = 1 by default).
// The field layout is that of action.MatrixField (docs/sun.md §2): [sites…,
// N, N, 2], complex numbers as (re, im) pairs. Exact expectation values
// come from Weyl integration (docs/sun.md §11). The models are the first
// step from U(1) to SU(N) gauge fields: the target density of one matrix
// is what a spectral flow (flow.Spectral) learns, and the staple form
// Re Tr(U G) is what one link sees in lattice gauge theory.
//
// The action lives in its own package, not in package action, because it
// needs package sun (group arithmetic) and carries its exact results with it,
// as package gauge does for U(1).
package matrixmodel

import (
	"fmt"
	"math"

	"github.com/normflow/normflow-go/action"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/sun"
)

// Action is the one-matrix-model action on a lattice of independent SU(N)
// matrices (docs/sun.md §11):
//
//	S(U) = −(β/N) Σ_x Re Tr Σ_{k=1}^{K} c_k U_x^k       (NewAction),
//	S(U) = −(β/N) Σ_x Re Tr(U_x G)                      (NewStapleAction).
//
// It implements action.MatrixField (LinksPerSite 0) and model.FieldSizer.
// Eval and Grad may run concurrently.
type Action struct {
	lat  *lattice.Lattice
	n    int
	Beta float64
	// Coeffs are c_1 … c_K (nil for the staple form).
	Coeffs []float64
	// G is the fixed N×N matrix of the staple form (nil for the power form).
	G []complex128
}

var _ action.MatrixField = (*Action)(nil)

// NewAction returns S = −(β/N) Σ_x Re Tr Σ_k c_k U_x^k for SU(n) matrices on
// the sites of lat, coeffs = (c_1, c_2, …). coeffs = [1] is the Wilson-like
// density p ∝ exp((β/N) Re Tr U).
func NewAction(lat *lattice.Lattice, n int, beta float64, coeffs []float64) (*Action, error) {
	if err := check(lat, n, beta); err != nil {
		return nil, err
	}
	if len(coeffs) == 0 {
		return nil, fmt.Errorf("matrix action: coeffs is empty: give c_1, c_2, … of S = −(β/N) Re Tr Σ_k c_k U^k")
	}
	for k, c := range coeffs {
		if math.IsNaN(c) || math.IsInf(c, 0) {
			return nil, fmt.Errorf("matrix action: coeffs[%d] = %g: must be a finite number", k, c)
		}
	}
	return &Action{lat: lat, n: n, Beta: beta, Coeffs: append([]float64(nil), coeffs...)}, nil
}

// NewStapleAction returns S = −(β/N) Σ_x Re Tr(U_x G) for SU(n) matrices on
// the sites of lat, with a fixed n×n matrix g (copied; any complex matrix).
func NewStapleAction(lat *lattice.Lattice, n int, beta float64, g []complex128) (*Action, error) {
	if err := check(lat, n, beta); err != nil {
		return nil, err
	}
	if len(g) != n*n {
		return nil, fmt.Errorf("matrix action: G has %d entries, want N² = %d", len(g), n*n)
	}
	for i, z := range g {
		if math.IsNaN(real(z)) || math.IsNaN(imag(z)) || math.IsInf(real(z), 0) || math.IsInf(imag(z), 0) {
			return nil, fmt.Errorf("matrix action: G[%d] = %v: must be finite", i, z)
		}
	}
	return &Action{lat: lat, n: n, Beta: beta, G: append([]complex128(nil), g...)}, nil
}

func check(lat *lattice.Lattice, n int, beta float64) error {
	if lat == nil {
		return fmt.Errorf("matrix action: nil lattice")
	}
	if n < 2 {
		return fmt.Errorf("matrix action: n = %d: SU(N) needs N >= 2", n)
	}
	if math.IsNaN(beta) || math.IsInf(beta, 0) {
		return fmt.Errorf("matrix action: beta = %g: must be a finite number", beta)
	}
	return nil
}

// Lattice is the lattice of the matrices (one matrix per site).
func (a *Action) Lattice() *lattice.Lattice { return a.lat }

// ColorN is N of SU(N).
func (a *Action) ColorN() int { return a.n }

// LinksPerSite is 0: one independent matrix per site, no links.
func (a *Action) LinksPerSite() int { return 0 }

// Matrices is the number of matrices of a configuration (the lattice volume).
func (a *Action) Matrices() int { return a.lat.Volume() }

// FieldSize is the number of real variables of a configuration, V·2N²
// (model.FieldSizer).
func (a *Action) FieldSize() int { return a.lat.Volume() * 2 * a.n * a.n }

// Eval writes S of each configuration of phi [batch, sites…, N, N, 2] into
// out [batch].
func (a *Action) Eval(phi, out []float64) {
	n2 := a.n * a.n
	size := a.FieldSize()
	a.checkBatch(phi, len(out), size)
	u, p := make([]complex128, n2), make([]complex128, n2)
	f := -a.Beta / float64(a.n)
	for b := range out {
		var s float64
		for x := range a.lat.Volume() {
			sun.FromInterleaved(u, phi[b*size+x*2*n2:b*size+(x+1)*2*n2])
			s += a.reTrW(u, p)
		}
		out[b] = f * s
	}
}

// reTrW returns Re Tr W(u), using p as scratch.
func (a *Action) reTrW(u, p []complex128) float64 {
	if a.G != nil {
		sun.Mul(p, u, a.G)
		return real(sun.Trace(p))
	}
	copy(p, u)
	var t float64
	for k, c := range a.Coeffs {
		if k > 0 {
			sun.Mul(p, p, u)
		}
		t += c * real(sun.Trace(p))
	}
	return t
}

// Grad writes dS/d(Re U_ij) and dS/d(Im U_ij) of every matrix into dphi
// (the layout of phi; action.MatrixField). With dS = −(β/N) Re Tr(B dU),
// B = W′(U) = Σ_k k c_k U^{k−1} (d Tr U^k = k Tr(U^{k−1} dU), by cyclicity)
// or B = G, and Re Tr(B dU) = Σ_ij [Re B_ji dRe U_ij − Im B_ji dIm U_ij]:
//
//	dS/dRe U_ij + i dS/dIm U_ij = −(β/N) conj(B_ji) = −(β/N) (B†)_ij,
//
// the complex cotangent G of docs/sun.md §9 (dS = Re Tr(G† dU)).
func (a *Action) Grad(phi, dphi []float64) {
	n, n2 := a.n, a.n*a.n
	size := a.FieldSize()
	if len(dphi) != len(phi) {
		panic(fmt.Sprintf("matrix action: Grad: %d values for a gradient of %d", len(dphi), len(phi)))
	}
	a.checkBatch(phi, len(phi)/max(size, 1), size)
	u, bm := make([]complex128, n2), make([]complex128, n2)
	f := complex(-a.Beta/float64(n), 0)
	for m := range len(phi) / (2 * n2) {
		sun.FromInterleaved(u, phi[m*2*n2:(m+1)*2*n2])
		if a.G != nil {
			copy(bm, a.G)
		} else {
			// Horner: B = K c_K; B ← B U + k c_k for k = K−1 … 1.
			kk := len(a.Coeffs)
			sun.Identity(bm)
			for i := range bm {
				bm[i] *= complex(float64(kk)*a.Coeffs[kk-1], 0)
			}
			for k := kk - 1; k >= 1; k-- {
				sun.Mul(bm, bm, u)
				for i := range n {
					bm[i*n+i] += complex(float64(k)*a.Coeffs[k-1], 0)
				}
			}
		}
		g := dphi[m*2*n2 : (m+1)*2*n2]
		for i := range n {
			for j := range n {
				z := f * complex(real(bm[j*n+i]), -imag(bm[j*n+i]))
				g[2*(i*n+j)], g[2*(i*n+j)+1] = real(z), imag(z)
			}
		}
	}
}

func (a *Action) checkBatch(phi []float64, batch, size int) {
	if len(phi) != batch*size {
		panic(fmt.Sprintf("matrix action: %d values for a batch of %d configurations of %d", len(phi), batch, size))
	}
}

// String describes the action for reports.
func (a *Action) String() string {
	if a.G != nil {
		return fmt.Sprintf("SU(%d) matrix model, S = −(β/N) Re Tr(U G), β = %g, lattice %v", a.n, a.Beta, a.lat)
	}
	return fmt.Sprintf("SU(%d) matrix model, S = −(β/N) Re Tr Σ c_k U^k, β = %g, c = %v, lattice %v", a.n, a.Beta, a.Coeffs, a.lat)
}
