// Package nn holds the differentiable building blocks that are not themselves
// bijections: trainable parameters and their gradient buffers, N-d circular
// convolutions, dense layers and activations (generic kernels over Float, with
// hand-written VJPs), and the conditioner networks built from them (Net).
// A user describes a conditioner with a NetSpec and lets the coupling
// constructors of package flow (flow.NewAffine, …) build it with the right
// channel counts; NewNet builds one by hand. Start with package model.
//
// A Param holds only values. Gradients live in per-worker Grads buffers, never on
// the parameter, so that workers can differentiate concurrently and their
// gradients be reduced in a fixed order (docs/architecture.md §1.4).
package nn

import "fmt"

// Param is a named trainable tensor. Value is row-major with the given Shape.
type Param struct {
	Name  string
	Shape []int
	Value []float64
	// Group names the optimiser parameter group (learning rate, weight decay);
	// empty means the default group.
	Group string
}

// NewParam allocates a zero-valued parameter of the given shape.
func NewParam(name string, shape ...int) *Param {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return &Param{Name: name, Shape: append([]int(nil), shape...), Value: make([]float64, n)}
}

// Size is the number of scalars in p.
func (p *Param) Size() int { return len(p.Value) }

// ParamSet is an ordered list of parameters with a flat layout: parameter k
// occupies [Offset(k), Offset(k)+Size) of a flat vector. Optimisers, gradient
// reduction and checkpoints all use this one order.
type ParamSet struct {
	Params []*Param
	offset map[*Param]int
	size   int
}

// NewParamSet builds the flat layout of ps. Names must be unique.
func NewParamSet(ps []*Param) (*ParamSet, error) {
	s := &ParamSet{Params: ps, offset: make(map[*Param]int, len(ps))}
	names := make(map[string]bool, len(ps))
	for _, p := range ps {
		if names[p.Name] {
			return nil, fmt.Errorf("nn: duplicate parameter name %q", p.Name)
		}
		names[p.Name] = true
		if _, dup := s.offset[p]; dup {
			return nil, fmt.Errorf("nn: parameter %q listed twice", p.Name)
		}
		s.offset[p] = s.size
		s.size += p.Size()
	}
	return s, nil
}

// Size is the total number of scalars.
func (s *ParamSet) Size() int { return s.size }

// Offset returns the flat offset of p, or -1 if p is not in the set.
func (s *ParamSet) Offset(p *Param) int {
	o, ok := s.offset[p]
	if !ok {
		return -1
	}
	return o
}

// Flatten copies all parameter values into dst (length Size).
func (s *ParamSet) Flatten(dst []float64) {
	for _, p := range s.Params {
		copy(dst[s.offset[p]:], p.Value)
	}
}

// Unflatten copies src (length Size) into the parameter values.
func (s *ParamSet) Unflatten(src []float64) {
	for _, p := range s.Params {
		copy(p.Value, src[s.offset[p]:s.offset[p]+p.Size()])
	}
}

// Grads is a flat gradient buffer laid out by a ParamSet.
type Grads struct {
	Set  *ParamSet
	Data []float64
}

// NewGrads allocates a zero gradient buffer for s.
func NewGrads(s *ParamSet) *Grads { return &Grads{Set: s, Data: make([]float64, s.Size())} }

// Of returns the gradient slice of p (nil if g is nil or p is not in the set, so
// callers may skip parameter gradients by passing a nil *Grads).
func (g *Grads) Of(p *Param) []float64 {
	if g == nil {
		return nil
	}
	o := g.Set.Offset(p)
	if o < 0 {
		return nil
	}
	return g.Data[o : o+p.Size()]
}

// Zero clears the buffer.
func (g *Grads) Zero() { clear(g.Data) }
