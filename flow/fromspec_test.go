package flow

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/nn"
	"github.com/normflow/normflow-go/rng"
)

// specTestNet is the conditioner spec of the tests: biases, so that a
// missing odd-network check would show.
func specTestNet() nn.NetSpec {
	return nn.NetSpec{Hidden: []int{3}, Kernel: 3, Activation: []string{"tanh"}, Bias: true, Precision: "float64"}
}

// fromSpecCase is a layer built by a From-spec constructor and the same layer
// built by hand, with the conditioners' channel counts written out.
type fromSpecCase struct {
	name           string
	z2             bool
	build, byHand  func(lat *lattice.Lattice, mask []bool, seed rng.Stream) (Layer, error)
	outs, scaleOut int // conditioner output channels (scale net: 0 = none)
}

func fromSpecCases() []fromSpecCase {
	net := specTestNet()
	odd := net
	odd.Bias = false
	mk := func(lat *lattice.Lattice, name string, spec nn.NetSpec, in, out int, seed uint64) *nn.Net {
		spec.In, spec.Out = in, out
		n, err := nn.NewNet(name, lat, spec, seed)
		if err != nil {
			panic(err)
		}
		return n
	}
	affine := func(name string, spec nn.NetSpec, opts AffineOptions) fromSpecCase {
		return fromSpecCase{name: name, z2: opts.Z2, outs: 2,
			build: func(lat *lattice.Lattice, mask []bool, seed rng.Stream) (Layer, error) {
				return NewAffine("L", lat, mask, spec, seed, opts)
			},
			byHand: func(lat *lattice.Lattice, mask []bool, seed rng.Stream) (Layer, error) {
				return NewAffineCoupling("L", lat, mask, mk(lat, "L.net", spec, 1, 2, seed.Uint64()), opts)
			}}
	}
	z2Tanh := fromSpecCase{name: "affine/z2/tanh", z2: true, outs: 1, scaleOut: 1,
		build: func(lat *lattice.Lattice, mask []bool, seed rng.Stream) (Layer, error) {
			return NewAffine("L", lat, mask, net, seed, AffineOptions{Z2: true})
		},
		byHand: func(lat *lattice.Lattice, mask []bool, seed rng.Stream) (Layer, error) {
			t := mk(lat, "L.net", odd, 1, 1, seed.Uint64())
			s := mk(lat, "L.snet", net, 1, 1, seed.Uint64())
			return NewAffineCoupling("L", lat, mask, t, AffineOptions{Z2: true, ScaleNet: s})
		}}
	shift := func(name string, spec nn.NetSpec, z2 bool) fromSpecCase {
		return fromSpecCase{name: name, z2: z2, outs: 1,
			build: func(lat *lattice.Lattice, mask []bool, seed rng.Stream) (Layer, error) {
				return NewShift("L", lat, mask, spec, seed, ShiftOptions{Z2: z2})
			},
			byHand: func(lat *lattice.Lattice, mask []bool, seed rng.Stream) (Layer, error) {
				return NewShiftCoupling("L", lat, mask, mk(lat, "L.net", spec, 1, 1, seed.Uint64()), ShiftOptions{Z2: z2})
			}}
	}
	rqs := func(name string, opts RQSOptions) fromSpecCase {
		return fromSpecCase{name: name, z2: opts.Z2, outs: 3*opts.Knots - 2,
			build: func(lat *lattice.Lattice, mask []bool, seed rng.Stream) (Layer, error) {
				return NewRQS("L", lat, mask, net, seed, opts)
			},
			byHand: func(lat *lattice.Lattice, mask []bool, seed rng.Stream) (Layer, error) {
				return NewRQSCoupling("L", lat, mask, mk(lat, "L.net", net, 1, 3*opts.Knots-2, seed.Uint64()), opts)
			}}
	}
	return []fromSpecCase{
		shift("shift", net, false),
		shift("shift/z2", odd, true),
		affine("affine/tanh", net, AffineOptions{}),
		affine("affine/none", net, AffineOptions{Scale: ScaleNone}),
		affine("affine/z2/seed", odd, AffineOptions{Scale: ScaleSeed, Z2: true}),
		z2Tanh,
		rqs("rqs/k4", RQSOptions{Knots: 4}),
		rqs("rqs/k6/z2", RQSOptions{Knots: 6, Bound: 3, Z2: true}),
	}
}

// TestFromSpecIsHandBuilt: each constructor builds the layer one would build
// by hand — same parameter names, shapes and values, conditioners with the
// channel counts of the transformation — and the Z2 ones are odd.
func TestFromSpecIsHandBuilt(t *testing.T) {
	lat := lattice.MustNew(4, 4)
	mask := Checkerboard(lat, 1)
	r := rand.New(rand.NewPCG(3, 4))
	for _, c := range fromSpecCases() {
		seed := rng.New(7, 8)
		got, err := c.build(lat, mask, seed)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		want, err := c.byHand(lat, mask, seed)
		if err != nil {
			t.Fatalf("%s by hand: %v", c.name, err)
		}
		gp, wp := got.Params(), want.Params()
		if len(gp) != len(wp) {
			t.Fatalf("%s: %d parameters, by hand %d", c.name, len(gp), len(wp))
		}
		for i := range gp {
			if gp[i].Name != wp[i].Name || !slices.Equal(gp[i].Shape, wp[i].Shape) || !slices.Equal(gp[i].Value, wp[i].Value) {
				t.Errorf("%s: parameter %d is %s %v, by hand %s %v (or the values differ)", c.name, i, gp[i].Name, gp[i].Shape, wp[i].Name, wp[i].Shape)
			}
		}
		var outs, scaleOut int
		switch l := got.(type) {
		case *ShiftCoupling:
			outs = l.Net.OutChannels()
		case *AffineCoupling:
			outs = l.Net.OutChannels()
			if l.ScaleNet != nil {
				scaleOut = l.ScaleNet.OutChannels()
			}
		case *RQSCoupling:
			outs = l.Net.OutChannels()
		}
		if outs != c.outs || scaleOut != c.scaleOut {
			t.Errorf("%s: conditioner outputs %d (scale net %d), want %d (%d)", c.name, outs, scaleOut, c.outs, c.scaleOut)
		}
		if c.z2 {
			const batch = 3
			if dy, dl := checkOdd(got, randn(r, batch*lat.Volume(), 2), batch); dy > 1e-12 || dl > 1e-12 {
				t.Errorf("%s: not odd: %g, %g", c.name, dy, dl)
			}
		}
	}
}

func TestFromSpecGauge(t *testing.T) {
	lat := lattice.MustNew(4, 4)
	net := specTestNet()
	got, err := NewGauge("G", lat, 1, 2, net, rng.New(5), 6)
	if err != nil {
		t.Fatal(err)
	}
	spec := net
	spec.In, spec.Out = 2, 15
	s := rng.New(5)
	n, err := nn.NewNet("G.net", lat, spec, s.Uint64())
	if err != nil {
		t.Fatal(err)
	}
	want, err := NewGaugeCoupling("G", lat, 1, 2, n, 6)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range got.Params() {
		if w := want.Params()[i]; p.Name != w.Name || !slices.Equal(p.Value, w.Value) {
			t.Errorf("parameter %d: %s, by hand %s (or the values differ)", i, p.Name, w.Name)
		}
	}
}

func TestFromSpecErrors(t *testing.T) {
	lat := lattice.MustNew(4, 4)
	cb := Checkerboard(lat, 0)
	net := specTestNet()
	relu := net
	relu.Bias, relu.Activation = false, []string{"relu"}
	wrongOut := net
	wrongOut.Out = 3
	s := rng.New(1)
	cases := []struct {
		want string
		err  error
	}{
		{"Bias must be false", func() error { _, err := NewShift("L", lat, cb, net, s, ShiftOptions{Z2: true}); return err }()},
		{"Bias must be false", func() error {
			_, err := NewAffine("L", lat, cb, net, s, AffineOptions{Z2: true, Scale: ScaleSeed})
			return err
		}()},
		{`activation "relu" is not odd`, func() error { _, err := NewAffine("L", lat, cb, relu, s, AffineOptions{Z2: true}); return err }()},
		{"opts.ScaleNet is set", func() error {
			_, err := NewAffine("L", lat, cb, net, s, AffineOptions{ScaleNet: newDenseNet("s", 1, 1, 16, 2, false)})
			return err
		}()},
		{"Out = 3: this layer needs 1 in, 2 out", func() error { _, err := NewAffine("L", lat, cb, wrongOut, s, AffineOptions{}); return err }()},
		{"knots = 1: must be at least 2", func() error { _, err := NewRQS("L", lat, cb, net, s, RQSOptions{Knots: 1}); return err }()},
		{"knots = 0: must be at least 2", func() error { _, err := NewGauge("L", lat, 0, 0, net, s, 0); return err }()},
		{"mask has 15 sites", func() error { _, err := NewRQS("L", lat, cb[:15], net, s, RQSOptions{Knots: 3}); return err }()},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", c.err, c.want)
		}
	}
}
