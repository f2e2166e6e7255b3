package flow

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/nn"
)

// testHidden is the hidden width of the test conditioners.
const testHidden = 4

// couplingKind is one coupling layer configuration under test.
type couplingKind struct {
	name string
	z2   bool // odd by construction
	make func(name string, lat *lattice.Lattice, mask []bool) (Layer, error)
}

// couplingKinds lists every layer kind and option. Conditioners have biases
// unless the construction needs an odd one, so that the non-Z2 layers are
// genuinely not odd.
func couplingKinds() []couplingKind {
	net := func(name string, lat *lattice.Lattice, out int, odd bool) *denseNet {
		return newDenseNet(name, 1, out, lat.Volume(), testHidden, odd)
	}
	shift := func(z2 bool) func(string, *lattice.Lattice, []bool) (Layer, error) {
		return func(name string, lat *lattice.Lattice, mask []bool) (Layer, error) {
			return NewShiftCoupling(name, lat, mask, net(name+".t", lat, 1, z2), ShiftOptions{Z2: z2})
		}
	}
	affine := func(mode ScaleMode, z2, scaleNet bool) func(string, *lattice.Lattice, []bool) (Layer, error) {
		return func(name string, lat *lattice.Lattice, mask []bool) (Layer, error) {
			opts := AffineOptions{Scale: mode, Z2: z2}
			out := 2
			if scaleNet {
				out = 1
				// Biases allowed: with Z2 it is fed |x_frozen|.
				opts.ScaleNet = net(name+".s", lat, 1, false)
			}
			return NewAffineCoupling(name, lat, mask, net(name+".st", lat, out, z2), opts)
		}
	}
	rqs := func(knots int, bound float64, z2 bool) func(string, *lattice.Lattice, []bool) (Layer, error) {
		return func(name string, lat *lattice.Lattice, mask []bool) (Layer, error) {
			// Biases allowed: with Z2 the net is fed |x_frozen|.
			return NewRQSCoupling(name, lat, mask, net(name+".net", lat, 3*knots-2, false),
				RQSOptions{Knots: knots, Bound: bound, Z2: z2})
		}
	}
	return []couplingKind{
		{"shift", false, shift(false)},
		{"shift/z2", true, shift(true)},
		{"affine/tanh", false, affine("", false, false)},
		{"affine/seed", false, affine(ScaleSeed, false, false)},
		{"affine/none", false, affine(ScaleNone, false, false)},
		{"affine/tanh/scalenet", false, affine(ScaleTanh, false, true)},
		{"affine/seed/z2", true, affine(ScaleSeed, true, false)},
		{"affine/seed/z2/scalenet", true, affine(ScaleSeed, true, true)},
		{"affine/tanh/z2", true, affine(ScaleTanh, true, true)},
		{"affine/none/z2", true, affine(ScaleNone, true, true)},
		{"rqs", false, rqs(4, 0, false)},
		{"rqs/bound1.5", false, rqs(3, 1.5, false)},
		{"rqs/z2", true, rqs(4, 0, true)},
		{"rqs/z2/bound1.5", true, rqs(5, 1.5, true)},
	}
}

// build makes the layer or fails the test.
func (k couplingKind) build(t *testing.T, name string, lat *lattice.Lattice, mask []bool) Layer {
	t.Helper()
	l, err := k.make(name, lat, mask)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func mustLayer(t *testing.T, l Layer, err error) Layer {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// testMasks are the masks each kind is checked with.
func testMasks(lat *lattice.Lattice) map[string][]bool {
	ax, err := AxisMask(lat, lat.Dim()-1, 1)
	if err != nil {
		panic(err)
	}
	return map[string][]bool{"cb0": Checkerboard(lat, 0), "cb1": Checkerboard(lat, 1), "axis": ax}
}

var testShapes = [][]int{{4, 4}, {2, 2, 2}, {6}}

// TestCouplingContract: inverse, log-Jacobian by brute-force determinant and
// VJPs (input and every parameter, forward and inverse) for every kind,
// option, lattice and mask, with random conditioner parameters.
func TestCouplingContract(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for _, shape := range testShapes {
		lat := lattice.MustNew(shape...)
		masks := testMasks(lat)
		for _, mk := range []string{"cb0", "cb1", "axis"} {
			for _, k := range couplingKinds() {
				t.Run(fmt.Sprintf("%v/%s/%s", lat, mk, k.name), func(t *testing.T) {
					l := k.build(t, "c", lat, masks[mk])
					randomize(l, r, 0.5)
					const batch = 2
					x := randn(r, batch*lat.Volume(), 1.5)
					checkInverse(t, l, x, batch, 1e-10)
					checkLogJ(t, l, x, batch, 1e-6)
					checkVJP(t, l, x, batch, r, 1e-5)
				})
			}
		}
	}
}

// TestCouplingMasking: frozen sites pass through unchanged (forward and
// inverse) and active sites are transformed.
func TestCouplingMasking(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	lat := lattice.MustNew(4, 4)
	for mk, mask := range testMasks(lat) {
		for _, k := range couplingKinds() {
			l := k.build(t, "c", lat, mask)
			randomize(l, r, 0.5)
			const batch = 3
			x := randn(r, batch*lat.Volume(), 1.5)
			for _, inverse := range []bool{false, true} {
				y, _ := pass(l, inverse, nil, x, batch)
				for j := range x {
					i := j % lat.Volume()
					if !mask[i] && y[j] != x[j] {
						t.Errorf("%s %s inverse=%v: frozen site %d changed: %g → %g", k.name, mk, inverse, i, x[j], y[j])
					}
					if mask[i] && math.Abs(y[j]-x[j]) < 1e-9 {
						t.Errorf("%s %s inverse=%v: active site %d unchanged (%g)", k.name, mk, inverse, i, x[j])
					}
				}
			}
		}
	}
}

// TestCouplingZeroConditionerIsIdentity: a conditioner with zero output
// (all-zero parameters) gives the identity with logJ = 0, and the input VJP
// is then the identity too.
func TestCouplingZeroConditionerIsIdentity(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	lat := lattice.MustNew(2, 2, 2)
	for _, k := range couplingKinds() {
		l := k.build(t, "c", lat, Checkerboard(lat, 1))
		for _, p := range l.Params() {
			clear(p.Value)
		}
		const batch = 2
		x := randn(r, batch*lat.Volume(), 2.5)
		dout := randn(r, len(x), 1)
		dlogJ := randn(r, batch, 1)
		for _, inverse := range []bool{false, true} {
			tape := NewTape(nil)
			y, logJ := pass(l, inverse, tape, x, batch)
			for i := range x {
				if !(math.Abs(y[i]-x[i]) <= 1e-12*(1+math.Abs(x[i]))) {
					t.Errorf("%s inverse=%v: y[%d] = %.17g, x = %.17g", k.name, inverse, i, y[i], x[i])
				}
			}
			for b := range logJ {
				if !(math.Abs(logJ[b]) <= 1e-12) {
					t.Errorf("%s inverse=%v: logJ[%d] = %g", k.name, inverse, b, logJ[b])
				}
			}
			din := make([]float64, len(x))
			tape.Backward(dout, dlogJ, din)
			for i := range din {
				if !(math.Abs(din[i]-dout[i]) <= 1e-12*(1+math.Abs(dout[i]))) {
					t.Errorf("%s inverse=%v: din[%d] = %g, dout = %g", k.name, inverse, i, din[i], dout[i])
				}
			}
		}
	}
}

// checkOdd reports the largest violation of f(−x) = −f(x) and of
// logJ(−x) = logJ(x), forward and inverse.
func checkOdd(l Layer, x []float64, batch int) (dy, dl float64) {
	neg := make([]float64, len(x))
	for i := range x {
		neg[i] = -x[i]
	}
	for _, inverse := range []bool{false, true} {
		y, lp := pass(l, inverse, nil, x, batch)
		yn, ln := pass(l, inverse, nil, neg, batch)
		for i := range y {
			dy = max(dy, math.Abs(y[i]+yn[i])/(1+math.Abs(y[i])))
		}
		for b := range lp {
			dl = max(dl, math.Abs(lp[b]-ln[b])/(1+math.Abs(lp[b])))
		}
	}
	return dy, dl
}

// TestCouplingZ2Odd: the Z2 layers are odd with an even log-Jacobian; the
// others (conditioners with biases) are not, so the check has teeth.
func TestCouplingZ2Odd(t *testing.T) {
	r := rand.New(rand.NewPCG(37, 38))
	for _, shape := range testShapes {
		lat := lattice.MustNew(shape...)
		for mk, mask := range testMasks(lat) {
			for _, k := range couplingKinds() {
				l := k.build(t, "c", lat, mask)
				randomize(l, r, 0.7)
				const batch = 4
				x := randn(r, batch*lat.Volume(), 2.5) // reaches the spline tails
				dy, dl := checkOdd(l, x, batch)
				if k.z2 && (dy > 1e-12 || dl > 1e-12) {
					t.Errorf("%v %s %s: not odd: |f(x)+f(−x)| up to %g, |logJ(x)−logJ(−x)| up to %g", lat, mk, k.name, dy, dl)
				}
				if !k.z2 && dy < 1e-6 {
					t.Errorf("%v %s %s: odd without Z2 (|f(x)+f(−x)| ≤ %g)", lat, mk, k.name, dy)
				}
			}
		}
	}
}

// alternating builds a flow of couplings of every kind with alternating
// checkerboard parity (layer k uses parity k), one axis-mask coupling, and a
// distribution convertor at the end.
func alternating(t *testing.T, lat *lattice.Lattice, z2 bool) *Sequence {
	var layers []Layer
	k := 0
	for _, kind := range couplingKinds() {
		if kind.z2 != z2 {
			continue
		}
		layers = append(layers, kind.build(t, fmt.Sprintf("flow.%d", k), lat, Checkerboard(lat, k)))
		k++
	}
	ax, err := AxisMask(lat, 0, k)
	if err != nil {
		t.Fatal(err)
	}
	shift := func(name string) (Layer, error) {
		return NewShiftCoupling(name, lat, ax, newDenseNet(name+".t", 1, 1, lat.Volume(), testHidden, z2), ShiftOptions{Z2: z2})
	}
	sl, err := shift(fmt.Sprintf("flow.%d", k))
	layers = append(layers, mustLayer(t, sl, err))
	dc, err := NewDistConvertor(fmt.Sprintf("flow.%d", k+1), 5, z2, true)
	if err != nil {
		t.Fatal(err)
	}
	return NewSequence(append(layers, dc)...)
}

// TestCouplingSequence: alternating-parity couplings plus a distribution
// convertor pass the layer contract; the Z2 flow is odd.
func TestCouplingSequence(t *testing.T) {
	r := rand.New(rand.NewPCG(39, 40))
	for _, z2 := range []bool{false, true} {
		lat := lattice.MustNew(4, 4)
		s := alternating(t, lat, z2)
		randomize(s, r, 0.3)
		const batch = 2
		x := randn(r, batch*lat.Volume(), 1.2)
		checkInverse(t, s, x, batch, 1e-9)
		checkLogJ(t, s, x, batch, 1e-6)
		checkVJP(t, s, x, batch, r, 1e-5)
		dy, dl := checkOdd(s, x, batch)
		if z2 && (dy > 1e-12 || dl > 1e-12) {
			t.Errorf("Z2 flow not odd: %g, %g", dy, dl)
		}
		if !z2 && dy < 1e-6 {
			t.Errorf("flow without Z2 is odd")
		}
	}
}

// TestCouplingConcurrent runs taped passes of one layer from several
// goroutines, each with its own (reused) tape, and compares outputs, input
// cotangents and parameter gradients with a serial run. Run with -race.
// It also checks that a tape without gradients gives the same input
// cotangent (the inverse pass of a path gradient).
func TestCouplingConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	lat := lattice.MustNew(4, 4)
	const batch = 3
	for _, k := range couplingKinds() {
		l := k.build(t, "c", lat, Checkerboard(lat, 0))
		randomize(l, r, 0.5)
		set, err := nn.NewParamSet(l.Params())
		if err != nil {
			t.Fatal(err)
		}
		x := randn(r, batch*lat.Volume(), 1.5)
		dout := randn(r, len(x), 1)
		dlogJ := randn(r, batch, 1)
		type result struct{ y, logJ, din, grads []float64 }
		run := func(tape *Tape, inverse bool) result {
			tape.Reset()
			if tape.Grads != nil {
				tape.Grads.Zero()
			}
			y, logJ := pass(l, inverse, tape, x, batch)
			din := make([]float64, len(x))
			tape.Backward(dout, dlogJ, din)
			res := result{y: y, logJ: logJ, din: din}
			if tape.Grads != nil {
				res.grads = append([]float64(nil), tape.Grads.Data...)
			}
			return res
		}
		equal := func(a, b []float64) bool {
			if len(a) != len(b) {
				return false
			}
			for i := range a {
				if a[i] != b[i] {
					return false
				}
			}
			return true
		}
		for _, inverse := range []bool{false, true} {
			want := run(NewTape(nn.NewGrads(set)), inverse)
			y, logJ := pass(l, inverse, nil, x, batch)
			if !equal(y, want.y) || !equal(logJ, want.logJ) {
				t.Errorf("%s inverse=%v: taped and untaped passes differ", k.name, inverse)
			}
			if got := run(NewTape(nil), inverse); !equal(got.din, want.din) {
				t.Errorf("%s inverse=%v: input cotangent differs without parameter gradients", k.name, inverse)
			}
			var wg sync.WaitGroup
			errs := make([]string, 4)
			for w := range errs {
				wg.Go(func() {
					tape := NewTape(nn.NewGrads(set))
					for range 3 {
						got := run(tape, inverse)
						if !equal(got.y, want.y) || !equal(got.logJ, want.logJ) || !equal(got.din, want.din) || !equal(got.grads, want.grads) {
							errs[w] = "concurrent result differs from the serial one"
						}
					}
				})
			}
			wg.Wait()
			for w, e := range errs {
				if e != "" {
					t.Errorf("%s inverse=%v worker %d: %s", k.name, inverse, w, e)
				}
			}
		}
	}
}

// TestCouplingConstructorErrors: invalid settings are rejected with an error
// naming the layer and the setting.
func TestCouplingConstructorErrors(t *testing.T) {
	lat := lattice.MustNew(4, 4)
	v := lat.Volume()
	cb := Checkerboard(lat, 0)
	net := func(in, out int, odd bool) *denseNet { return newDenseNet("n", in, out, v, 2, odd) }
	cases := []struct {
		want string
		err  error
	}{
		{"mask has 15 sites", func() error {
			_, err := NewShiftCoupling("L", lat, cb[:15], net(1, 1, false), ShiftOptions{})
			return err
		}()},
		{"no active sites", func() error {
			_, err := NewAffineCoupling("L", lat, make([]bool, v), net(1, 2, false), AffineOptions{})
			return err
		}()},
		{"lattice is nil", func() error {
			_, err := NewRQSCoupling("L", nil, cb, net(1, 4, false), RQSOptions{Knots: 2})
			return err
		}()},
		{"conditioner is nil", func() error {
			_, err := NewShiftCoupling("L", lat, cb, nil, ShiftOptions{})
			return err
		}()},
		{"2 input channels", func() error {
			_, err := NewShiftCoupling("L", lat, cb, net(2, 1, false), ShiftOptions{})
			return err
		}()},
		{"2 output channels, want 1 (t)", func() error {
			_, err := NewShiftCoupling("L", lat, cb, net(1, 2, false), ShiftOptions{})
			return err
		}()},
		{"1 output channels, want 2 (s, t)", func() error {
			_, err := NewAffineCoupling("L", lat, cb, net(1, 1, false), AffineOptions{})
			return err
		}()},
		{`scale = "exp"`, func() error {
			_, err := NewAffineCoupling("L", lat, cb, net(1, 2, false), AffineOptions{Scale: "exp"})
			return err
		}()},
		{`z2 with scale = "tanh"`, func() error {
			_, err := NewAffineCoupling("L", lat, cb, net(1, 2, true), AffineOptions{Z2: true})
			return err
		}()},
		{`z2 with scale = "none"`, func() error {
			_, err := NewAffineCoupling("L", lat, cb, net(1, 2, true), AffineOptions{Scale: ScaleNone, Z2: true})
			return err
		}()},
		{"2 output channels, want 1 (t) with a separate scale network", func() error {
			_, err := NewAffineCoupling("L", lat, cb, net(1, 2, false), AffineOptions{ScaleNet: net(1, 1, false)})
			return err
		}()},
		{"scale network has 2 output channels", func() error {
			_, err := NewAffineCoupling("L", lat, cb, net(1, 1, false), AffineOptions{ScaleNet: net(1, 2, false)})
			return err
		}()},
		{"scale network has 3 input channels", func() error {
			_, err := NewAffineCoupling("L", lat, cb, net(1, 1, false), AffineOptions{ScaleNet: net(3, 1, false)})
			return err
		}()},
		{"knots = 1", func() error {
			_, err := NewRQSCoupling("L", lat, cb, net(1, 1, false), RQSOptions{Knots: 1})
			return err
		}()},
		{"bound = -1", func() error {
			_, err := NewRQSCoupling("L", lat, cb, net(1, 10, false), RQSOptions{Knots: 4, Bound: -1})
			return err
		}()},
		{"bound = NaN", func() error {
			_, err := NewRQSCoupling("L", lat, cb, net(1, 10, false), RQSOptions{Knots: 4, Bound: math.NaN()})
			return err
		}()},
		{"9 output channels, want 3·knots−2 = 10 for knots = 4", func() error {
			_, err := NewRQSCoupling("L", lat, cb, net(1, 9, false), RQSOptions{Knots: 4})
			return err
		}()},
	}
	for _, c := range cases {
		if c.err == nil {
			t.Errorf("no error, want one containing %q", c.want)
			continue
		}
		if !strings.Contains(c.err.Error(), c.want) || !strings.Contains(c.err.Error(), `"L"`) {
			t.Errorf("error %q: want the layer name and %q", c.err, c.want)
		}
	}
}

// TestCouplingDefaults: the default scale mode is tanh and the default
// spline bound is DefaultRQSBound; Params lists the conditioners' parameters.
func TestCouplingDefaults(t *testing.T) {
	lat := lattice.MustNew(6)
	cb := Checkerboard(lat, 1)
	a, err := NewAffineCoupling("a", lat, cb, newDenseNet("a.st", 1, 1, 6, 2, true),
		AffineOptions{ScaleNet: newDenseNet("a.s", 1, 1, 6, 2, false)})
	if err != nil {
		t.Fatal(err)
	}
	if a.Scale != ScaleTanh {
		t.Errorf("default scale mode %q, want %q", a.Scale, ScaleTanh)
	}
	if n := len(a.Params()); n != 2+4 {
		t.Errorf("affine coupling with a scale network has %d parameters, want 6", n)
	}
	q, err := NewRQSCoupling("q", lat, cb, newDenseNet("q.net", 1, 7, 6, 2, false), RQSOptions{Knots: 3})
	if err != nil {
		t.Fatal(err)
	}
	if q.Bound != DefaultRQSBound {
		t.Errorf("default bound %g, want %g", q.Bound, float64(DefaultRQSBound))
	}
	if q.Name() != "q" || count(q.Mask()) != 3 {
		t.Errorf("Name() = %q, Mask() has %d active sites", q.Name(), count(q.Mask()))
	}
}

// TestCouplingAllocsPerSite: a pass allocates nothing per site (splines and
// their buffers are pooled; taped scratch comes from the tape's arena), so
// the allocation count does not grow with the lattice.
func TestCouplingAllocsPerSite(t *testing.T) {
	allocs := func(k couplingKind, l int, taped bool) float64 {
		lat := lattice.MustNew(l, l)
		ly := k.build(t, "c", lat, Checkerboard(lat, 0))
		randomize(ly, rand.New(rand.NewPCG(43, 44)), 0.5)
		const batch = 4
		x := randn(rand.New(rand.NewPCG(45, 46)), batch*lat.Volume(), 1)
		y, logJ := make([]float64, len(x)), make([]float64, batch)
		din := make([]float64, len(x))
		dlogJ := make([]float64, batch)
		var tape *Tape
		if taped {
			tape = NewTape(nil)
		}
		return testing.AllocsPerRun(20, func() {
			if tape != nil {
				tape.Reset()
			}
			ly.Forward(tape, x, y, logJ)
			ly.Inverse(tape, y, x, logJ)
			if tape != nil {
				tape.Backward(x, dlogJ, din)
			}
		})
	}
	for _, k := range couplingKinds() {
		for _, taped := range []bool{false, true} {
			small, large := allocs(k, 4, taped), allocs(k, 8, taped)
			if large > small+2 {
				t.Errorf("%s taped=%v: %g allocations per pass on 4x4, %g on 8x8", k.name, taped, small, large)
			}
		}
	}
}
