package nn

// Conditioner is a differentiable network that maps the frozen part of a field
// to the parameters of a coupling transformation (docs/conventions.md §5.9). It is not
// itself a bijection. Batches are row-major [batch, channels, sites] in
// float64 at the interface; a conditioner may compute internally in float32
// (docs/architecture.md §1.2) and converts at this boundary.
type Conditioner interface {
	// Params lists the trainable parameters (float64 master values).
	Params() []*Param
	// InChannels and OutChannels are the channel counts of x and y.
	InChannels() int
	OutChannels() int
	// Forward maps x [batch, InChannels, sites] to y [batch, OutChannels,
	// sites]. When keep is true it returns the VJP of this call (it keeps what
	// it needs); otherwise it returns nil. Forward is safe for concurrent use.
	Forward(x, y []float64, batch int, keep bool) NetBackward
}

// NetBackward is the VJP of one Conditioner.Forward call: given the cotangent
// dy of its output it writes the cotangent of its input into dx (overwriting;
// dx may be nil to skip it) and adds parameter cotangents into grads (nil:
// skip them). It runs at most once: the activations it keeps go back to a
// pool when it is done (running it again panics).
type NetBackward func(dy, dx []float64, grads *Grads)
