package flow

import (
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/nn"
	"github.com/normflow/normflow-go/rng"
)

// Coupling layers with their conditioner built for them. NewShift,
// NewAffine, NewRQS and NewGauge take the conditioner as an nn.NetSpec that
// describes the network (hidden layers, kernel, activations, bias,
// precision, …) and leaves its channel counts In and Out at 0: the
// constructor sets them to what the transformation needs,
//
//	shift:  1 in (the frozen field), 1 out (t)
//	affine: 1 in, 2 out (log-scale r and t); Z2 with Scale ≠ ScaleSeed: two nets, 1 out each
//	spline: 1 in, 3K−2 out (K−1 widths, K−1 heights, K derivatives)
//	gauge:  2 in (cos and sin of the frozen plaquettes), 3(K−1) out
//
// builds the network named name+".net" with the seed seed.Uint64() (a second
// network, name+".snet", with the next draw) and then calls the matching
// NewShiftCoupling, NewAffineCoupling, NewRQSCoupling or NewGaugeCoupling,
// which take networks built by the caller.

// NewShift makes a shift coupling (ShiftCoupling) transforming the active
// sites of mask, with a conditioner built from net (1 in, 1 out). With
// opts.Z2 the conditioner must be odd: net.Bias false and odd activations
// (tanh or none).
func NewShift(name string, lat *lattice.Lattice, mask []bool, net nn.NetSpec, seed rng.Stream, opts ShiftOptions) (*ShiftCoupling, error) {
	c := coupling{kind: "shift", name: name}
	if opts.Z2 {
		if err := c.oddNet(net, true); err != nil {
			return nil, err
		}
	}
	n, err := c.newNet(".net", lat, net, 1, 1, seed.Uint64())
	if err != nil {
		return nil, err
	}
	return NewShiftCoupling(name, lat, mask, n, opts)
}

// NewAffine makes an affine coupling (AffineCoupling) transforming the active
// sites of mask, with a conditioner built from net (1 in, 2 out: r and t).
// opts.ScaleNet must be nil: NewAffine builds the networks.
//
// With opts.Z2 the layer must be odd (see AffineOptions.Z2):
//   - with Scale = ScaleSeed the one conditioner must be odd: net.Bias false
//     and odd activations (tanh or none);
//   - with any other Scale, t comes from an odd network built from net
//     without biases (1 out), which needs odd activations, and the log-scale
//     r from a second network with net's settings, biases included, fed
//     |frozen field| (name+".snet", 1 out, seeded with the second draw of
//     seed).
func NewAffine(name string, lat *lattice.Lattice, mask []bool, net nn.NetSpec, seed rng.Stream, opts AffineOptions) (*AffineCoupling, error) {
	c := coupling{kind: "affine", name: name}
	if opts.ScaleNet != nil {
		return nil, c.errorf("opts.ScaleNet is set: NewAffine builds the networks (NewAffineCoupling takes networks of your own)")
	}
	netSeed := seed.Uint64()
	if !opts.Z2 || opts.Scale == ScaleSeed {
		if opts.Z2 {
			if err := c.oddNet(net, true); err != nil {
				return nil, err
			}
		}
		n, err := c.newNet(".net", lat, net, 1, 2, netSeed)
		if err != nil {
			return nil, err
		}
		return NewAffineCoupling(name, lat, mask, n, opts)
	}
	if err := c.oddNet(net, false); err != nil {
		return nil, err
	}
	tspec := net
	tspec.Bias = false
	t, err := c.newNet(".net", lat, tspec, 1, 1, netSeed)
	if err != nil {
		return nil, err
	}
	if opts.ScaleNet, err = c.newNet(".snet", lat, net, 1, 1, seed.Uint64()); err != nil {
		return nil, err
	}
	return NewAffineCoupling(name, lat, mask, t, opts)
}

// NewRQS makes a rational-quadratic spline coupling (RQSCoupling)
// transforming the active sites of mask, with a conditioner built from net
// (1 in, 3·opts.Knots−2 out). With opts.Z2 the conditioner is fed
// |frozen field|, so any network keeps the layer odd.
func NewRQS(name string, lat *lattice.Lattice, mask []bool, net nn.NetSpec, seed rng.Stream, opts RQSOptions) (*RQSCoupling, error) {
	c := coupling{kind: "rqs", name: name}
	if opts.Knots < 2 {
		return nil, c.errorf("knots = %d: must be at least 2", opts.Knots)
	}
	n, err := c.newNet(".net", lat, net, 1, 3*opts.Knots-2, seed.Uint64())
	if err != nil {
		return nil, err
	}
	return NewRQSCoupling(name, lat, mask, n, opts)
}

// NewGauge makes the gauge coupling (GaugeCoupling) (mu, offset) of U(1)
// links in d = 2, 3, 4 with a circular spline of knots knots, with a
// conditioner built from net (d(d−1) in: cos and sin of the frozen
// plaquettes of every plane, 2 in 2-d; 3(knots−1) out).
func NewGauge(name string, lat *lattice.Lattice, mu, offset int, net nn.NetSpec, seed rng.Stream, knots int) (*GaugeCoupling, error) {
	c := coupling{kind: "gauge", name: name}
	if knots < 2 {
		return nil, c.errorf("knots = %d: must be at least 2", knots)
	}
	d := lat.Dim() // 2P = d(d−1) input channels: cos, sin of the frozen plaquettes of every plane
	n, err := c.newNet(".net", lat, net, d*(d-1), 3*(knots-1), seed.Uint64())
	if err != nil {
		return nil, err
	}
	return NewGaugeCoupling(name, lat, mu, offset, n, knots)
}

// newNet builds the network name+suffix of spec with in and out channels;
// a channel count already set in spec must agree.
func (c *coupling) newNet(suffix string, lat *lattice.Lattice, spec nn.NetSpec, in, out int, seed uint64) (*nn.Net, error) {
	if spec.In != 0 && spec.In != in || spec.Out != 0 && spec.Out != out {
		return nil, c.errorf("conditioner spec has In = %d, Out = %d: this layer needs %d in, %d out (leave them 0)", spec.In, spec.Out, in, out)
	}
	spec.In, spec.Out = in, out
	return nn.NewNet(c.name+suffix, lat, spec, seed)
}

// oddNet checks that spec makes an odd network: odd activations and, when
// bias is set, no biases.
func (c *coupling) oddNet(spec nn.NetSpec, bias bool) error {
	if bias && spec.Bias {
		return c.errorf("z2 needs an odd conditioner: Bias must be false")
	}
	for _, a := range append([]string{spec.FinalActivation}, spec.Activation...) {
		if a != "tanh" && a != "none" && a != "" {
			return c.errorf("z2 needs an odd conditioner: activation %q is not odd (tanh or none)", a)
		}
	}
	return nil
}
