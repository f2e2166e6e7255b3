package flow

import (
	"fmt"

	"github.com/normflow/normflow-go/nn"
)

// SpectralContext is the spectral map of Spectral with parameters that
// differ from matrix to matrix (docs/sun.md §13): for matrix j of a
// configuration,
//
//	p_j = P + net(c)_j,
//
// P the shared vector (Spectral's, zero at start) and c the context
// [batch, C, matrices]: C numbers per matrix that must be invariant under
// the symmetry the map is to respect (for gauge fields, traces of frozen
// loops; issue 16's couplings use it), so that conjugation equivariance
// holds whatever the net. The net is any nn.Conditioner from [batch, C,
// matrices] to [batch, NumParams, matrices]; a convolution with kernel 1
// on a 1-d lattice of the matrices is a per-matrix perceptron, and
// ZeroLast makes a fresh layer the identity.
//
// It is not a flow.Layer: the context comes from outside the matrices it
// maps, so a caller (a coupling layer) runs Apply and combines the returned
// VJP, which also yields the context's cotangent, with its own.
type SpectralContext struct {
	*Spectral
	Net nn.Conditioner
}

// SpectralBackward is the VJP of one SpectralContext.Apply: from the
// cotangents of its output matrices dy and of the log-Jacobians dlogJ
// [batch] it writes those of the input matrices dx (tangent, as for
// Spectral) and of the context dctx (nil: skip it), and adds the parameter
// cotangents (P and the net's) into grads (nil: skip them). It runs once.
type SpectralBackward func(dy, dlogJ, dx, dctx []float64, grads *nn.Grads)

// NewSpectralContext returns the spectral map of SU(n) (as NewSpectral)
// whose per-matrix parameters are P + net(context); net must output
// NumParams = (features+1)(3·knots−2) channels.
func NewSpectralContext(name string, n, knots, features int, net nn.Conditioner) (*SpectralContext, error) {
	s, err := NewSpectral(name, n, knots, features)
	if err != nil {
		return nil, err
	}
	if net == nil {
		return nil, fmt.Errorf("spectral layer %q: the context conditioner is nil", name)
	}
	if c := net.OutChannels(); c != s.NumParams() {
		return nil, fmt.Errorf("spectral layer %q: conditioner has %d output channels, want (features+1)(3·knots−2) = %d", name, c, s.NumParams())
	}
	return &SpectralContext{Spectral: s, Net: net}, nil
}

// Params lists P and the net's parameters.
func (l *SpectralContext) Params() []*nn.Param {
	return append([]*nn.Param{l.P}, l.Net.Params()...)
}

// Apply maps the matrices x [batch, matrices, N, N, 2] to y (inverse:
// back) with the context ctx [batch, C, matrices], adding each sample's
// log-Jacobian to logJ [batch]. With a tape it returns the VJP (scratch
// comes from the tape's arena; nothing is pushed), otherwise nil.
func (l *SpectralContext) Apply(tape *Tape, x, ctx, y, logJ []float64, inverse bool) SpectralBackward {
	nb := len(logJ)
	m := l.matrices(x, y, nb)
	c := l.Net.InChannels()
	if len(ctx) != nb*c*m {
		panic(fmt.Sprintf("spectral layer %q: context of %d values for a batch of %d × %d channels × %d matrices", l.name, len(ctx), nb, c, m))
	}
	np := l.NumParams()
	out := scratch(tape, nb*np*m)
	back := l.Net.Forward(ctx, out, nb, tape != nil)
	// par[k] = P + net output of matrix k = b·m + j, [batch·m, np].
	par := scratch(tape, nb*m*np)
	for b := range nb {
		for i, p0 := range l.P.Value {
			o := out[(b*np+i)*m : (b*np+i+1)*m]
			for j, v := range o {
				par[(b*m+j)*np+i] = p0 + v
			}
		}
	}
	params := func(k int) []float64 { return par[k*np : (k+1)*np] }
	l.run(x, y, logJ, m, params, inverse)
	if tape == nil {
		return nil
	}
	kept := tape.Floats(len(x))
	copy(kept, x)
	gpar, dout := tape.Floats(nb*m*np), tape.Floats(nb*np*m)
	done := false
	return func(dy, dlogJ, dx, dctx []float64, grads *nn.Grads) {
		if done {
			panic(fmt.Sprintf("spectral layer %q: a SpectralBackward runs once", l.name))
		}
		done = true
		gparams := func(k int) []float64 { return gpar[k*np : (k+1)*np] }
		l.vjp(kept, dy, dlogJ, dx, m, params, gparams, inverse)
		var gP []float64
		if grads != nil {
			gP = grads.Of(l.P)
		}
		for b := range nb {
			for j := range m {
				g := gpar[(b*m+j)*np : (b*m+j+1)*np]
				for i, v := range g {
					dout[(b*np+i)*m+j] = v
					if gP != nil {
						gP[i] += v
					}
				}
			}
		}
		back(dout, dctx, grads)
	}
}
