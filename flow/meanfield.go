package flow

import (
	"fmt"
	"math"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/nn"
)

// MeanField is the mean-field block (docs/conventions.md §5.12) for a single-channel
// field x [batch, V]: the zero mode m = mean(x)·√V (the field's component along
// the unit vector (1,…,1)/√V) is transformed by an elementwise distribution
// convertor f (a DistConvertor applied to the [batch, 1] slice of zero modes),
// the other V−1 directions are left alone:
//
//	y = x − mean(x) + f(m)/√V,   logJ = log f′(m).
//
// In the orthonormal basis {(1,…,1)/√V, its complement} the Jacobian is
// diag(f′(m), 1, …, 1), hence the log-Jacobian. The inverse is
// x = y − mean(y) + f⁻¹(m_y)/√V with m_y = mean(y)·√V.
//
// VJP (either direction, g the output cotangent): the map is
// out = P in + e f(eᵀin), e = (1,…,1)/√V, P = 1 − e eᵀ, so
// ḡ_in = P g + e · ḡ_m, where ḡ_m is the convertor's VJP of its input for the
// output cotangent eᵀg = Σg/√V and the same log-Jacobian cotangent.
type MeanField struct {
	Conv *DistConvertor
}

// NewMeanField makes an identity-initialised mean-field block whose convertor
// has knots spline knots (see NewDistConvertor); parameter names start with name.
func NewMeanField(name string, knots int, symmetric, finalScale bool) (*MeanField, error) {
	d, err := NewDistConvertor(name, knots, symmetric, finalScale)
	if err != nil {
		return nil, fmt.Errorf("mean_field: %w", err)
	}
	return &MeanField{Conv: d}, nil
}

// Params lists the convertor's parameters.
func (mf *MeanField) Params() []*nn.Param { return mf.Conv.Params() }

// Forward maps x to y = x − mean(x) + f(m)/√V, adding log f′(m).
func (mf *MeanField) Forward(tape *Tape, x, y, logJ []float64) { mf.apply(tape, x, y, logJ, false) }

// Inverse maps y to x = y − mean(y) + f⁻¹(m_y)/√V, adding log (f⁻¹)′(m_y).
func (mf *MeanField) Inverse(tape *Tape, y, x, logJ []float64) { mf.apply(tape, y, x, logJ, true) }

func (mf *MeanField) apply(tape *Tape, in, out, logJ []float64, inverse bool) {
	nb := len(logJ)
	if nb == 0 || len(in)%nb != 0 {
		panic(fmt.Sprintf("mean_field: input length %d for batch %d", len(in), nb))
	}
	v := len(in) / nb
	sq := math.Sqrt(float64(v))
	var m, fm []float64
	if tape != nil {
		m, fm = tape.Floats(nb), tape.Floats(nb)
	} else {
		m, fm = make([]float64, nb), make([]float64, nb)
	}
	for b := range nb {
		var s float64
		for _, xi := range in[b*v : (b+1)*v] {
			s += xi
		}
		m[b] = s / sq
	}
	if inverse {
		mf.Conv.Inverse(tape, m, fm, logJ)
	} else {
		mf.Conv.Forward(tape, m, fm, logJ)
	}
	for b := range nb {
		shift := (fm[b] - m[b]) / sq // −mean + f(m)/√V, since mean = m/√V
		for i := b * v; i < (b+1)*v; i++ {
			out[i] = in[i] + shift
		}
	}
	if tape == nil {
		return
	}
	// The convertor recorded its own [batch, 1] VJP; take it off the tape and
	// call it from ours.
	conv := tape.ops[len(tape.ops)-1]
	tape.ops = tape.ops[:len(tape.ops)-1]
	gm, gin := tape.Floats(nb), tape.Floats(nb)
	tape.Push(func(dout, dlogJ, din []float64, grads *nn.Grads) {
		for b := range nb {
			var s float64
			for _, g := range dout[b*v : (b+1)*v] {
				s += g
			}
			gm[b] = s / sq
		}
		conv(gm, dlogJ, gin, grads)
		for b := range nb {
			shift := (gin[b] - gm[b]) / sq
			for i := b * v; i < (b+1)*v; i++ {
				din[i] = dout[i] + shift
			}
		}
	})
}

// NewPSD returns the power-spectral-density block of docs/conventions.md §5.13: a
// MeanField on the zero mode (convertor with mfKnots knots, symmetric and
// finalScale as in NewDistConvertor) followed by a Fourier block with an
// ipsdKnots-knot spline that leaves the zero mode alone (ExcludeZeroMode).
// Parameter names are name+".meanfield.*" and name+".fourier.*".
func NewPSD(name string, lat *lattice.Lattice, mfKnots int, symmetric, finalScale bool, ipsdKnots int) (*Sequence, error) {
	mf, err := NewMeanField(name+".meanfield", mfKnots, symmetric, finalScale)
	if err != nil {
		return nil, err
	}
	fo, err := NewFourier(name+".fourier", lat, ipsdKnots, true)
	if err != nil {
		return nil, err
	}
	return NewSequence(mf, fo), nil
}
