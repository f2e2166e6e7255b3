// Package flow holds the bijections of a normalizing flow and the tape that
// differentiates them.
//
// Layers: DistConvertor (a spline acting on every site, the seed library's
// DistConvertor_), coupling layers transforming half of the sites given the
// other half (NewShift, NewAffine, NewRQS; NewGauge for U(1) links), which
// build their conditioner networks from an nn.NetSpec, masks for them
// (Checkerboard, AxisMask), Fourier and mean-field layers (NewFourier,
// NewMeanField, NewPSD), Padé layers, a continuous flow integrating an
// equivariant vector field (NewCNF), and for fields of SU(N) matrices the
// conjugation-equivariant spectral layers (NewSpectral, NewSpectralContext);
// NewSequence chains layers into a flow. A flow becomes a model with package model, which is where to start;
// ExampleNewAffine builds a coupling flow for 2-d φ⁴ theory.
//
// A batch of fields is one contiguous []float64, row-major [batch, features]
// where features = channels × sites. Every layer maps x to y, adds
// log|det ∂y/∂x| per sample to logJ, and can run exactly backwards (Inverse adds
// log|det ∂x/∂y|). When a tape is given, a layer pushes a closure that computes
// its vector-Jacobian product: reverse-mode differentiation at layer granularity,
// with hand-written VJPs (docs/architecture.md §1.1).
package flow

import "github.com/normflow/normflow-go/nn"

// Layer is one invertible map with its log-Jacobian.
type Layer interface {
	// Params lists the layer's trainable parameters (may be empty).
	Params() []*nn.Param
	// Forward maps x to y (both [batch, features]), adds log|det ∂y/∂x| of each
	// sample to logJ [batch], and, when tape is not nil, records its VJP.
	// x and y may not alias.
	Forward(tape *Tape, x, y, logJ []float64)
	// Inverse maps y to x, adds log|det ∂x/∂y| to logJ, and records its VJP.
	Inverse(tape *Tape, y, x, logJ []float64)
}

// Backward is the VJP of one recorded pass: given the cotangent dout of the
// pass's output [batch, features] and the cotangent dlogJ [batch] of the
// accumulated log-Jacobian, it writes the cotangent of the pass's input into din
// (overwriting it) and adds parameter cotangents into grads (nil: skip them).
// dout and din never alias.
type Backward func(dout, dlogJ, din []float64, grads *nn.Grads)

// Tape records the VJPs of a chain of passes in order. A tape belongs to one
// worker; it is reset and reused between steps.
type Tape struct {
	// Grads receives parameter cotangents during Backward; nil means the pass
	// only needs cotangents of its input (e.g. the inverse pass of a path gradient).
	Grads *nn.Grads
	ops   []Backward
	a, b  []float64
	// arena hands out scratch slices that live until Reset (see Floats).
	arena [][]float64
	used  int // chunks of arena in use (the last one partly)
	off   int // offset into arena[used-1]
}

// arenaChunk is the smallest chunk the scratch arena allocates (in float64s).
const arenaChunk = 1 << 14

// Floats returns a zeroed scratch slice of length n that stays valid until
// Reset: layers keep what their VJP needs in it, and a tape reused from step
// to step then allocates nothing once warm.
func (t *Tape) Floats(n int) []float64 {
	if t.used > 0 && t.off+n <= len(t.arena[t.used-1]) {
		c := t.arena[t.used-1][t.off : t.off+n : t.off+n]
		t.off += n
		clear(c)
		return c
	}
	for t.used < len(t.arena) && len(t.arena[t.used]) < n {
		t.used++ // too small for this request; skipped until Reset
	}
	if t.used == len(t.arena) {
		t.arena = append(t.arena, make([]float64, max(n, arenaChunk)))
	}
	t.used++
	t.off = n
	c := t.arena[t.used-1][:n:n]
	clear(c)
	return c
}

// NewTape returns an empty tape accumulating parameter gradients into grads (may be nil).
func NewTape(grads *nn.Grads) *Tape { return &Tape{Grads: grads} }

// Push records the VJP of the pass just run.
func (t *Tape) Push(op Backward) { t.ops = append(t.ops, op) }

// Len is the number of recorded passes.
func (t *Tape) Len() int { return len(t.ops) }

// Reset forgets all recorded passes and recycles the scratch arena (buffers
// are kept for reuse): slices from Floats must not be used after it.
func (t *Tape) Reset() {
	clear(t.ops)
	t.ops = t.ops[:0]
	t.used, t.off = 0, 0
}

// Backward replays the recorded VJPs in reverse. dy is the cotangent of the last
// output and dlogJ that of the summed log-Jacobian (the same for every pass,
// since log-Jacobians add). The cotangent of the first input is written into dx.
// dy is not modified. Parameter cotangents are added into t.Grads.
func (t *Tape) Backward(dy, dlogJ, dx []float64) {
	n := len(dy)
	if len(t.ops) == 0 {
		copy(dx, dy)
		return
	}
	if cap(t.a) < n {
		t.a, t.b = make([]float64, n), make([]float64, n)
	}
	cur, nxt := t.a[:n], t.b[:n]
	copy(cur, dy)
	for i := len(t.ops) - 1; i >= 0; i-- {
		out := nxt
		if i == 0 {
			out = dx
		}
		t.ops[i](cur, dlogJ, out, t.Grads)
		cur, nxt = out, cur
	}
}
