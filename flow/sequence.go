package flow

import "github.com/normflow/normflow-go/nn"

// Sequence composes layers: Forward applies them in order, Inverse in reverse.
// It is safe for concurrent use when its layers are.
type Sequence struct {
	Layers []Layer
}

// NewSequence composes the given layers.
func NewSequence(layers ...Layer) *Sequence { return &Sequence{Layers: layers} }

// Params lists the parameters of all layers in order.
func (s *Sequence) Params() []*nn.Param {
	var ps []*nn.Param
	for _, l := range s.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// buffers returns len(Layers)−1 intermediate buffers of length n: from the
// tape's arena when taped (recorded VJPs keep them until the tape is reset),
// freshly allocated otherwise (a Sequence is used by several workers at once).
func (s *Sequence) buffers(tape *Tape, n int) [][]float64 {
	k := max(len(s.Layers)-1, 0)
	var flat []float64
	if tape != nil {
		flat = tape.Floats(k * n)
	} else {
		flat = make([]float64, k*n)
	}
	bs := make([][]float64, k)
	for i := range bs {
		bs[i] = flat[i*n : (i+1)*n]
	}
	return bs
}

// Forward applies the layers in order.
func (s *Sequence) Forward(tape *Tape, x, y, logJ []float64) {
	if len(s.Layers) == 0 {
		copy(y, x)
		return
	}
	bufs := s.buffers(tape, len(x))
	in := x
	for i, l := range s.Layers {
		out := y
		if i < len(s.Layers)-1 {
			out = bufs[i]
		}
		l.Forward(tape, in, out, logJ)
		in = out
	}
}

// Inverse applies the layers' inverses in reverse order.
func (s *Sequence) Inverse(tape *Tape, y, x, logJ []float64) {
	if len(s.Layers) == 0 {
		copy(x, y)
		return
	}
	bufs := s.buffers(tape, len(y))
	in := y
	for i := len(s.Layers) - 1; i >= 0; i-- {
		out := x
		if i > 0 {
			out = bufs[i-1]
		}
		s.Layers[i].Inverse(tape, in, out, logJ)
		in = out
	}
}
