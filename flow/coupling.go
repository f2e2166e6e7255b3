package flow

import (
	"fmt"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/nn"
)

// Coupling layers (docs/conventions.md §5.4; masks §5.3, Z2 variants §5.8) act on a
// single-channel field x [batch, sites]. A mask (see mask.go)
// splits the sites into active and frozen ones. The conditioner network sees
// the frozen field c (x at frozen sites, zero at active ones) as
// [batch, 1, sites] and returns per-site parameters [batch, C, sites]; the
// layer uses them at the active sites only:
//
//	y_a = g(x_a; θ_a(c)),   y_f = x_f,   logJ = Σ_active log g′(x_a; θ_a).
//
// The Jacobian is triangular (frozen outputs depend on frozen inputs only,
// active outputs on their own site and the frozen ones), so the log-Jacobian
// is the sum over active sites, and the inverse solves site by site given
// y_f = x_f, which is also the conditioner's input on the way back.
//
// VJPs. For the forward pass with cotangents dy, dlogJ the active sites get
// dx_a = (∂g/∂x_a) dy_a + dlogJ ∂log g′/∂x_a, the per-site parameters get
// dθ_a = (∂g/∂θ_a) dy_a + dlogJ ∂log g′/∂θ_a, and the frozen sites get
// dx_f = dy_f + (conditioner input-VJP of dθ)_f: the conditioner path is how
// frozen sites influence active outputs. The conditioner's input at active
// sites is the constant 0, so its cotangent there is dropped. The inverse
// pass is the same with g replaced by g⁻¹.
//
// Z2 symmetry. Under x → −x the frozen field goes to −c. Each layer kind has
// a Z2 option making the whole layer odd, f(−x) = −f(x) with
// logJ(−x) = logJ(x) (the inverse of an odd bijection is odd too):
//   - shift: t must be odd in c, i.e. the conditioner must be odd (no biases,
//     odd activations such as tanh); the layer cannot check this.
//   - affine: t odd in c (odd conditioner) and s even in c; see AffineOptions.
//   - rqs: the conditioner is fed |c| (so the spline parameters are even in
//     the field, for any network) and the spline is in symmetric mode about 0
//     (odd in the active variable); see RQSOptions.
//
// Concurrency. Forward and Inverse keep no state in the layer: scratch comes
// from the tape's arena when taped (recorded VJPs keep it until the tape is
// reset) and is freshly allocated otherwise, so several workers may run
// passes concurrently, each with its own tape.

// coupling is what every coupling kind shares: the mask and its site lists.
type coupling struct {
	kind   string // "shift", "affine", "rqs" (for messages)
	name   string
	v      int
	mask   []bool
	active []int // active site indices, increasing
	frozen []int // frozen site indices, increasing
}

func newCoupling(kind, name string, lat *lattice.Lattice, mask []bool, net nn.Conditioner) (coupling, error) {
	c := coupling{kind: kind, name: name}
	if lat == nil {
		return c, c.errorf("lattice is nil")
	}
	c.v = lat.Volume()
	if len(mask) != c.v {
		return c, c.errorf("mask has %d sites, lattice %v has %d", len(mask), lat, c.v)
	}
	c.mask = append([]bool(nil), mask...)
	for i, m := range mask {
		if m {
			c.active = append(c.active, i)
		} else {
			c.frozen = append(c.frozen, i)
		}
	}
	if len(c.active) == 0 {
		return c, c.errorf("mask has no active sites")
	}
	if net == nil {
		return c, c.errorf("conditioner is nil")
	}
	if n := net.InChannels(); n != 1 {
		return c, c.errorf("conditioner has %d input channels, want 1 (the frozen field)", n)
	}
	return c, nil
}

func (c *coupling) errorf(format string, args ...any) error {
	return fmt.Errorf("%s coupling %q: %s", c.kind, c.name, fmt.Sprintf(format, args...))
}

// Mask returns a copy of the layer's mask (true = active site).
func (c *coupling) Mask() []bool { return append([]bool(nil), c.mask...) }

// Name is the name given to the constructor.
func (c *coupling) Name() string { return c.name }

// batch returns the batch size of a pass and checks the slice lengths.
func (c *coupling) batch(in, out, logJ []float64) int {
	b := len(logJ)
	if len(in) != b*c.v || len(out) != b*c.v {
		panic(fmt.Sprintf("%s coupling %q: input %d and output %d values for batch %d × %d sites",
			c.kind, c.name, len(in), len(out), b, c.v))
	}
	return b
}

// frozenField writes the conditioner input: x at frozen sites, 0 at active ones.
func (c *coupling) frozenField(x, in []float64, batch int) {
	for b := range batch {
		o := b * c.v
		for _, i := range c.frozen {
			in[o+i] = x[o+i]
		}
	}
}

// addFrozen adds the conditioner's input cotangent dc to din at the frozen
// sites; with field != nil the conditioner was fed |field| and dc is first
// multiplied by sign(field).
func (c *coupling) addFrozen(din, dc, field []float64, batch int) {
	for b := range batch {
		o := b * c.v
		for _, i := range c.frozen {
			g := dc[o+i]
			if field != nil {
				g *= sign(field[o+i])
			}
			din[o+i] += g
		}
	}
}

// scratch returns a zeroed slice of length n: from the tape's arena when
// taped, freshly allocated otherwise.
func scratch(tape *Tape, n int) []float64 {
	if tape != nil {
		return tape.Floats(n)
	}
	return make([]float64, n)
}

// absField returns |in| (a new scratch slice).
func absField(tape *Tape, in []float64) []float64 {
	a := scratch(tape, len(in))
	for i, v := range in {
		a[i] = max(v, -v)
	}
	return a
}

// sign is the derivative of |v| (0 at 0).
func sign(v float64) float64 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// ShiftOptions configures a ShiftCoupling.
type ShiftOptions struct {
	// Z2 declares the layer Z2-symmetric. The shift layer needs no change for
	// it: y_a = x_a + t(c) is odd exactly when t is, so the conditioner must
	// be odd (bias-free, odd activations); the layer documents the intent
	// but cannot check the network.
	Z2 bool
}

// ShiftCoupling is the additive coupling y_a = x_a + t_a(c), y_f = x_f, with
// one conditioner output channel t. Its log-Jacobian is 0. The exported
// fields are read-only after construction.
type ShiftCoupling struct {
	coupling
	Net nn.Conditioner
	Z2  bool
}

// NewShiftCoupling makes a shift coupling on lat transforming the active sites
// of mask; net maps the frozen field [batch, 1, sites] to t [batch, 1, sites].
func NewShiftCoupling(name string, lat *lattice.Lattice, mask []bool, net nn.Conditioner, opts ShiftOptions) (*ShiftCoupling, error) {
	c, err := newCoupling("shift", name, lat, mask, net)
	if err != nil {
		return nil, err
	}
	if n := net.OutChannels(); n != 1 {
		return nil, c.errorf("conditioner has %d output channels, want 1 (t)", n)
	}
	return &ShiftCoupling{coupling: c, Net: net, Z2: opts.Z2}, nil
}

// Params lists the conditioner's parameters.
func (l *ShiftCoupling) Params() []*nn.Param { return l.Net.Params() }

// Forward maps x to y = x + t(c) at active sites; logJ is unchanged.
func (l *ShiftCoupling) Forward(tape *Tape, x, y, logJ []float64) { l.pass(tape, x, y, logJ, 1) }

// Inverse maps y to x = y − t(c) at active sites (c = frozen part of y).
func (l *ShiftCoupling) Inverse(tape *Tape, y, x, logJ []float64) { l.pass(tape, y, x, logJ, -1) }

// pass computes out = in + sgn·t(c) at active sites. Its VJP:
// din_a = dout_a, dt_a = sgn·dout_a, din_f = dout_f + (net VJP of dt)_f.
func (l *ShiftCoupling) pass(tape *Tape, in, out, logJ []float64, sgn float64) {
	nb := l.batch(in, out, logJ)
	v := l.v
	c := scratch(tape, nb*v)
	l.frozenField(in, c, nb)
	t := scratch(tape, nb*v)
	back := l.Net.Forward(c, t, nb, tape != nil)
	copy(out, in)
	for b := range nb {
		o := b * v
		for _, i := range l.active {
			out[o+i] += sgn * t[o+i]
		}
	}
	if tape == nil {
		return
	}
	dt, dc := tape.Floats(nb*v), tape.Floats(nb*v)
	tape.Push(func(dout, dlogJ, din []float64, grads *nn.Grads) {
		copy(din, dout)
		for b := range nb {
			o := b * v
			for _, i := range l.active {
				dt[o+i] = sgn * dout[o+i]
			}
		}
		back(dt, dc, grads)
		l.addFrozen(din, dc, nil, nb)
	})
}
