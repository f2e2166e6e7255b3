package flow

import (
	"fmt"
	"sync"

	"github.com/normflow/normflow-go/nn"
	"github.com/normflow/normflow-go/sun"
)

// Spectral is the conjugation-equivariant spectral flow of SU(N) matrices,
// N = 2, 3 (Boyda et al., arXiv:2008.05456; docs/sun.md §9, §13): every
// matrix U = V diag(e^{iθ}) V† of a configuration becomes
//
//	U′ = V diag(e^{iθ′}) V†,   θ′ = cell⁻¹(h(cell(θ))),
//
// with the map h of the unit square of sun.Spectral. Fields are in the
// layout of action.MatrixField: [batch, matrices, N, N, 2], complex entries
// as (re, im) pairs; the number of matrices per configuration is read from
// the slice lengths. All matrices share the one parameter vector
// (Params: name.spline, [M+1, 3K−2]: the spline blocks P_1 and C_1 … C_M;
// zeros, the initial value, give the identity). logJ is taken with
// respect to Haar measure and includes the change of the Weyl factor; the
// inverse is exact (to rounding); F(WUW†) = W F(U) W† for every W ∈ SU(N).
//
// VJPs: the cotangent of a matrix is read as G = ∂L/∂Re U + i ∂L/∂Im U
// (interleaved like the field) and the input cotangent is returned in the
// tangent space U·su(N) (sun.Spectral.ForwardVJP); its normal part, which
// an action's gradient in the embedding has, does not matter.
//
// With a context (NewSpectralContext) the parameters differ per matrix:
// the shared vector plus the output of a conditioner fed gauge-invariant
// numbers of each matrix (SpectralContext.Apply).
type Spectral struct {
	name               string
	n, knots, features int
	// P is the shared parameter vector [(M+1)·(3K−2)].
	P    *nn.Param
	pool sync.Pool // *sun.Spectral, one per concurrent pass
}

// NewSpectral returns the spectral layer of SU(n), n = 2 or 3, with
// rational-quadratic splines of knots ≥ 2 knots on [0, 1] and, for SU(3),
// features ≥ 0 terms sin((2k−1)πu_1/2) in h_2's dependence on u_1 (0 for
// SU(2)); its parameters start at zero, the identity map.
func NewSpectral(name string, n, knots, features int) (*Spectral, error) {
	if n != 2 && n != 3 {
		return nil, fmt.Errorf("spectral layer %q: n = %d: allowed: 2, 3", name, n)
	}
	if knots < 2 {
		return nil, fmt.Errorf("spectral layer %q: knots = %d: must be an integer >= 2", name, knots)
	}
	if features < 0 || (n == 2 && features != 0) {
		return nil, fmt.Errorf("spectral layer %q: features = %d: must be 0 for SU(2) and >= 0 for SU(3)", name, features)
	}
	l := &Spectral{name: name, n: n, knots: knots, features: features}
	l.P = nn.NewParam(name+".spline", features+1, 3*knots-2)
	l.pool.New = func() any { return sun.NewSpectral(n, knots, features) }
	return l, nil
}

// Name is the name given to the constructor.
func (l *Spectral) Name() string { return l.name }

// ColorN is N of SU(N).
func (l *Spectral) ColorN() int { return l.n }

// Knots is the number of knots of each spline.
func (l *Spectral) Knots() int { return l.knots }

// Features is M, the number of terms in h_2's dependence on u_1 (SU(3)).
func (l *Spectral) Features() int { return l.features }

// NumParams is the length of one parameter vector, (M+1)(3K−2).
func (l *Spectral) NumParams() int { return (l.features + 1) * (3*l.knots - 2) }

// Params lists the shared parameter vector.
func (l *Spectral) Params() []*nn.Param { return []*nn.Param{l.P} }

// Forward maps every matrix U of x to U′ (see the type comment), adding
// Σ_matrices logJ(U) per sample.
func (l *Spectral) Forward(tape *Tape, x, y, logJ []float64) { l.pass(tape, x, y, logJ, false) }

// Inverse maps every matrix U′ of y back to U, adding Σ −logJ(U).
func (l *Spectral) Inverse(tape *Tape, y, x, logJ []float64) { l.pass(tape, y, x, logJ, true) }

func (l *Spectral) pass(tape *Tape, in, out, logJ []float64, inverse bool) {
	m := l.matrices(in, out, len(logJ))
	shared := func(int) []float64 { return l.P.Value }
	l.run(in, out, logJ, m, shared, inverse)
	if tape == nil {
		return
	}
	kept := tape.Floats(len(in))
	copy(kept, in)
	tape.Push(func(dout, dlogJ, din []float64, grads *nn.Grads) {
		var gp func(int) []float64
		if grads != nil {
			g := grads.Of(l.P)
			gp = func(int) []float64 { return g }
		}
		l.vjp(kept, dout, dlogJ, din, m, shared, gp, inverse)
	})
}

// matrices checks the lengths of a pass and returns the number of matrices
// per configuration.
func (l *Spectral) matrices(in, out []float64, batch int) int {
	per := 2 * l.n * l.n
	if batch == 0 || len(in) != len(out) || len(in)%(batch*per) != 0 || len(in) == 0 {
		panic(fmt.Sprintf("spectral layer %q: input %d and output %d values for a batch of %d configurations of %d×%d matrices (2N² = %d values each)",
			l.name, len(in), len(out), batch, l.n, l.n, per))
	}
	return len(in) / (batch * per)
}

// run maps the matrices of in to out (inverse: back), adding each sample's
// log-Jacobians; params(k) is the parameter vector of matrix k of the
// whole batch (k = b·m + j).
func (l *Spectral) run(in, out, logJ []float64, m int, params func(k int) []float64, inverse bool) {
	sp := l.pool.Get().(*sun.Spectral)
	defer l.pool.Put(sp)
	n2 := l.n * l.n
	var buf [9]complex128
	u := buf[:n2]
	for b := range logJ {
		var lj float64
		for j := range m {
			k := b*m + j
			sun.FromInterleaved(u, in[k*2*n2:(k+1)*2*n2])
			if inverse {
				lj += sp.Inverse(u, u, params(k))
			} else {
				lj += sp.Forward(u, u, params(k))
			}
			sun.ToInterleaved(out[k*2*n2:(k+1)*2*n2], u)
		}
		logJ[b] += lj
	}
}

// vjp writes din, the (tangent) cotangents of the pass's inputs in, from
// those of its outputs dout and of the log-Jacobians dlogJ, and adds the
// parameter cotangents of matrix k into gparams(k) unless gparams is nil.
func (l *Spectral) vjp(in, dout, dlogJ, din []float64, m int, params, gparams func(k int) []float64, inverse bool) {
	sp := l.pool.Get().(*sun.Spectral)
	defer l.pool.Put(sp)
	n2 := l.n * l.n
	var ub, gb, gub [9]complex128
	u, g, gu := ub[:n2], gb[:n2], gub[:n2]
	for b := range dlogJ {
		for j := range m {
			k := b*m + j
			sun.FromInterleaved(u, in[k*2*n2:(k+1)*2*n2])
			sun.FromInterleaved(g, dout[k*2*n2:(k+1)*2*n2])
			var gp []float64
			if gparams != nil {
				gp = gparams(k)
			}
			if inverse {
				sp.InverseVJP(gu, u, params(k), g, dlogJ[b], gp)
			} else {
				sp.ForwardVJP(gu, u, params(k), g, dlogJ[b], gp)
			}
			sun.ToInterleaved(din[k*2*n2:(k+1)*2*n2], gu)
		}
	}
}
