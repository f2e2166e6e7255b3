package flow

import (
	"math"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/nn"
)

// ScaleMode selects how an affine coupling turns the raw conditioner output
// r into the log-scale s.
type ScaleMode string

const (
	// ScaleTanh: s = tanh(r), a bounded log-scale (the default).
	ScaleTanh ScaleMode = "tanh"
	// ScaleSeed: s = −|r|, the seed library's contracting variant
	// y = t + x·e^(−|r|).
	ScaleSeed ScaleMode = "seed"
	// ScaleNone: s = r, unbounded.
	ScaleNone ScaleMode = "none"
)

// AffineOptions configures an AffineCoupling.
type AffineOptions struct {
	// Scale is the log-scale mode; "" means ScaleTanh.
	Scale ScaleMode
	// ScaleNet, when set, computes the raw log-scale r [batch, 1, sites] from
	// the frozen field in a network of its own; Net then has one output
	// channel, t. Without it Net has two output channels, (r, t) in this order.
	ScaleNet nn.Conditioner
	// Z2 makes the layer odd, f(−x) = −f(x), with an even log-Jacobian. It
	// needs t odd and s even in the frozen field c:
	//   - t = Net(c)'s t channel, with Net odd (bias-free, odd activations;
	//     not checkable by the layer).
	//   - with ScaleNet: r = ScaleNet(|c|), fed |c| instead of c, so r (hence
	//     s, in any mode) is even for any network;
	//   - without ScaleNet only Scale = "seed" is allowed: r comes from the
	//     odd Net, and s = −|r| is even because |r(−c)| = |−r(c)| = |r(c)|.
	// Then y_a(−x) = (−x_a)·e^{s(c)} + t(−c) = −y_a(x) and
	// logJ(−x) = Σ s(−c) = logJ(x); frozen sites pass through, trivially odd.
	Z2 bool
}

// scale mode codes for the inner loops.
const (
	modeTanh = iota
	modeSeed
	modeNone
)

// AffineCoupling is the affine coupling y_a = x_a·e^{s_a} + t_a, y_f = x_f,
// with s = σ(r) per ScaleMode and logJ = Σ_active s. The exported fields are
// read-only after construction.
//
// Range (docs/conventions.md §5.18): the map, its inverse and their VJPs are
// finite while e^{|s|} is (|s| < 709.78) and |x|·e^s + |t| fits in a float64.
// ScaleTanh guarantees the first (|s| < 1) for any conditioner; ScaleSeed
// (whose inverse multiplies by e^{|r|}) and ScaleNone need a bounded
// conditioner output, which bounded hidden activations (tanh, the default)
// give for frozen fields of any magnitude, while unbounded ones (relu,
// softplus, none) let r grow with the field until e^s overflows.
type AffineCoupling struct {
	coupling
	Net, ScaleNet nn.Conditioner
	Scale         ScaleMode
	Z2            bool
	mode          int
}

// NewAffineCoupling makes an affine coupling on lat transforming the active
// sites of mask. net maps the frozen field [batch, 1, sites] to (r, t)
// [batch, 2, sites], or to t [batch, 1, sites] when opts.ScaleNet is set
// (see AffineOptions).
func NewAffineCoupling(name string, lat *lattice.Lattice, mask []bool, net nn.Conditioner, opts AffineOptions) (*AffineCoupling, error) {
	c, err := newCoupling("affine", name, lat, mask, net)
	if err != nil {
		return nil, err
	}
	l := &AffineCoupling{coupling: c, Net: net, ScaleNet: opts.ScaleNet, Scale: opts.Scale, Z2: opts.Z2}
	switch opts.Scale {
	case "", ScaleTanh:
		l.Scale, l.mode = ScaleTanh, modeTanh
	case ScaleSeed:
		l.mode = modeSeed
	case ScaleNone:
		l.mode = modeNone
	default:
		return nil, c.errorf("scale = %q: must be %q, %q or %q", opts.Scale, ScaleTanh, ScaleSeed, ScaleNone)
	}
	if sn := opts.ScaleNet; sn != nil {
		if n := net.OutChannels(); n != 1 {
			return nil, c.errorf("conditioner has %d output channels, want 1 (t) with a separate scale network", n)
		}
		if n := sn.InChannels(); n != 1 {
			return nil, c.errorf("scale network has %d input channels, want 1 (the frozen field)", n)
		}
		if n := sn.OutChannels(); n != 1 {
			return nil, c.errorf("scale network has %d output channels, want 1 (s)", n)
		}
		return l, nil
	}
	if n := net.OutChannels(); n != 2 {
		return nil, c.errorf("conditioner has %d output channels, want 2 (s, t)", n)
	}
	if opts.Z2 && l.mode != modeSeed {
		return nil, c.errorf("z2 with scale = %q needs a separate scale network fed |x_frozen| (only scale = %q makes s even with one odd conditioner)", l.Scale, ScaleSeed)
	}
	return l, nil
}

// Params lists the conditioner's parameters, then the scale network's.
func (l *AffineCoupling) Params() []*nn.Param {
	ps := l.Net.Params()
	if l.ScaleNet != nil {
		ps = append(append([]*nn.Param(nil), ps...), l.ScaleNet.Params()...)
	}
	return ps
}

// Forward maps x to y: y_a = x_a·e^{s_a} + t_a, adding Σ_active s.
func (l *AffineCoupling) Forward(tape *Tape, x, y, logJ []float64) { l.pass(tape, x, y, logJ, 1) }

// Inverse maps y to x: x_a = (y_a − t_a)·e^{−s_a}, adding −Σ_active s; the
// conditioner sees the frozen part of y (= that of x).
func (l *AffineCoupling) Inverse(tape *Tape, y, x, logJ []float64) { l.pass(tape, y, x, logJ, -1) }

// pass runs the map (sgn = 1) or its inverse (sgn = −1) from in to out. At an
// active site, with s = σ(r), t from the conditioner(s) and e = e^{sgn·s},
//
//	map:      out = w + t,  w = in·e,        logJ += s,
//	inverse:  out = w,      w = (in − t)·e,  logJ −= s,
//
// so w is x·e^s (map) or x (inverse) and ∂out/∂s = sgn·w either way. VJP,
// for L = g·out + gl·logJ:
//
//	∂L/∂in = g·e,  ∂L/∂t = g (map) or −g·e (inverse),  ∂L/∂r = sgn·(g·w + gl)·ds/dr,
//
// and the conditioner VJPs carry ∂L/∂t, ∂L/∂r to the frozen sites.
func (l *AffineCoupling) pass(tape *Tape, in, out, logJ []float64, sgn float64) {
	nb := l.batch(in, out, logJ)
	v, na := l.v, len(l.active)
	n := l.condition(tape, in, nb)
	// With a tape keep e, ds/dr and w per active site.
	var es, gs, ws []float64
	if tape != nil {
		es, gs, ws = tape.Floats(nb*na), tape.Floats(nb*na), tape.Floats(nb*na)
	}
	copy(out, in)
	for b := range nb {
		var lj float64
		o := b * v
		for a, i := range l.active {
			s, ds := l.logScale(n.sv[b*n.ss+n.so+i])
			t := n.tv[b*n.ts+n.to+i]
			ls := sgn * s
			e := math.Exp(ls)
			var w float64
			if sgn > 0 {
				w = in[o+i] * e
				out[o+i] = w + t
			} else {
				w = (in[o+i] - t) * e
				out[o+i] = w
			}
			lj += ls
			if es != nil {
				k := b*na + a
				es[k], gs[k], ws[k] = e, ds, w
			}
		}
		logJ[b] += lj
	}
	if tape == nil {
		return
	}
	tape.Push(func(dout, dlogJ, din []float64, grads *nn.Grads) {
		copy(din, dout)
		for b := range nb {
			o := b * v
			gl := dlogJ[b]
			for a, i := range l.active {
				k := b*na + a
				g := dout[o+i]
				din[o+i] = g * es[k]
				gt := g
				if sgn < 0 {
					gt = -g * es[k]
				}
				n.dtv[b*n.ts+n.to+i] = gt
				n.dsv[b*n.ss+n.so+i] = sgn * (g*ws[k] + gl) * gs[k]
			}
		}
		l.backward(n, din, nb, grads)
	})
}

// logScale returns s = σ(r) and ds/dr.
func (l *AffineCoupling) logScale(r float64) (s, ds float64) {
	switch l.mode {
	case modeTanh:
		s = math.Tanh(r)
		return s, 1 - s*s
	case modeSeed:
		if r >= 0 {
			return -r, -1
		}
		return r, 1
	}
	return r, 1
}

// affineNets holds one evaluation of the conditioner(s) of a pass: the
// frozen field, the raw log-scale and shift as strided views, the VJPs and
// their cotangent buffers (when taped).
type affineNets struct {
	field      []float64 // frozen field c
	sv, tv     []float64 // r at sv[b*ss+so+i], t at tv[b*ts+to+i]
	ss, so     int
	ts, to     int
	back, sbak nn.NetBackward
	dsv, dtv   []float64 // cotangents of sv, tv (same layout)
	dc, dcs    []float64 // input cotangents of Net and ScaleNet
}

// condition evaluates the conditioner(s) on the frozen part of in.
func (l *AffineCoupling) condition(tape *Tape, in []float64, nb int) *affineNets {
	v := l.v
	taped := tape != nil
	n := &affineNets{field: scratch(tape, nb*v)}
	l.frozenField(in, n.field, nb)
	if l.ScaleNet == nil {
		p := scratch(tape, nb*2*v)
		n.back = l.Net.Forward(n.field, p, nb, taped)
		n.sv, n.ss, n.so = p, 2*v, 0
		n.tv, n.ts, n.to = p, 2*v, v
		if taped {
			dp := tape.Floats(len(p))
			n.dsv, n.dtv = dp, dp
			n.dc = tape.Floats(nb * v)
		}
		return n
	}
	t := scratch(tape, nb*v)
	n.back = l.Net.Forward(n.field, t, nb, taped)
	sin := n.field
	if l.Z2 {
		sin = absField(tape, n.field)
	}
	r := scratch(tape, nb*v)
	n.sbak = l.ScaleNet.Forward(sin, r, nb, taped)
	n.sv, n.ss, n.so = r, v, 0
	n.tv, n.ts, n.to = t, v, 0
	if taped {
		n.dsv, n.dtv = tape.Floats(nb*v), tape.Floats(nb*v)
		n.dc, n.dcs = tape.Floats(nb*v), tape.Floats(nb*v)
	}
	return n
}

// backward runs the conditioner VJPs on the parameter cotangents in n.dsv,
// n.dtv and adds the resulting frozen-site cotangents to din.
func (l *AffineCoupling) backward(n *affineNets, din []float64, nb int, grads *nn.Grads) {
	if l.ScaleNet == nil {
		n.back(n.dsv, n.dc, grads)
		l.addFrozen(din, n.dc, nil, nb)
		return
	}
	n.back(n.dtv, n.dc, grads)
	l.addFrozen(din, n.dc, nil, nb)
	n.sbak(n.dsv, n.dcs, grads)
	var field []float64
	if l.Z2 {
		field = n.field // the scale network saw |c|
	}
	l.addFrozen(din, n.dcs, field, nb)
}
