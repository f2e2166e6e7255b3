package nn

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/normflow/normflow-go/lattice"
)

type netCase struct {
	shape []int
	spec  NetSpec
}

func (c netCase) String() string {
	return fmt.Sprintf("%v/%+v", c.shape, c.spec)
}

// netCases cover every activation, 1–4 axes, kernels 1, 3, 5, with and without
// bias, a final activation, and dense nets.
func netCases(precision string) []netCase {
	cs := []netCase{
		{[]int{4, 3}, NetSpec{In: 1, Out: 2, Hidden: []int{3, 2}, Kernel: 3, Activation: []string{"tanh"}, Bias: true}},
		{[]int{5}, NetSpec{In: 2, Out: 1, Hidden: []int{3}, Kernel: 1, Activation: []string{"softplus"}, Bias: true}},
		{[]int{6}, NetSpec{In: 1, Out: 2, Hidden: []int{2}, Kernel: 5, Activation: []string{"leaky_relu"}, Bias: true, FinalActivation: "tanh"}},
		{[]int{2, 3, 2}, NetSpec{In: 1, Out: 1, Hidden: []int{2, 2}, Kernel: 3, Activation: []string{"softplus", "leaky_relu"}, FinalActivation: "softplus"}},
		{[]int{2, 2, 2, 2}, NetSpec{In: 2, Out: 1, Hidden: []int{2}, Kernel: 3, Activation: []string{"relu"}, Bias: true}},
		{[]int{3}, NetSpec{In: 1, Out: 1, Kernel: 3, Bias: true}},
		{[]int{3, 2}, NetSpec{In: 2, Out: 1, Hidden: []int{5, 4}, Activation: []string{"tanh", "none"}, Bias: true, Dense: true, FinalActivation: "tanh"}},
		{[]int{}, NetSpec{In: 1, Out: 3, Hidden: []int{4}, Activation: []string{"softplus"}, Bias: true, Dense: true}},
	}
	for i := range cs {
		cs[i].spec.Precision = precision
	}
	return cs
}

func mustNet(t testing.TB, name string, shape []int, spec NetSpec, seed uint64) *Net {
	t.Helper()
	n, err := NewNet(name, lattice.MustNew(shape...), spec, seed)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// netInput is a normal batch of inputs for n.
func netInput(n *Net, batch int, seed uint64) []float64 {
	return randn(newRand(seed), batch*n.InChannels()*n.Lattice().Volume(), 1)
}

// TestNetVJP: the whole net's VJP (float64 precision) against central finite
// differences of L = Σ dy·y, for the input and every parameter; parameter
// cotangents add into the gradient buffer.
func TestNetVJP(t *testing.T) {
	for ci, c := range netCases("float64") {
		n := mustNet(t, "c", c.shape, c.spec, uint64(ci))
		const batch = 3
		x := netInput(n, batch, uint64(50+ci))
		v := n.Lattice().Volume()
		r := newRand(uint64(60 + ci))
		dy := randn(r, batch*n.OutChannels()*v, 1)
		y := make([]float64, len(dy))
		loss := func() float64 {
			n.Forward(x, y, batch, false)
			return dot(dy, y)
		}
		set, err := NewParamSet(n.Params())
		if err != nil {
			t.Fatal(err)
		}
		grads := NewGrads(set)
		g0 := randn(r, set.Size(), 1)
		copy(grads.Data, g0)
		back := n.Forward(x, y, batch, true)
		if back == nil {
			t.Fatal("Forward with keep returned no VJP")
		}
		dx := randn(r, len(x), 1) // overwritten
		back(dy, dx, grads)
		checkFD(t, fmt.Sprintf("case %d %v: dx", ci, c), x, dx, loss, 1e-5, 1e-6)
		for i := range grads.Data {
			grads.Data[i] -= g0[i]
		}
		for _, p := range n.Params() {
			checkFD(t, fmt.Sprintf("case %d %v: %s", ci, c, p.Name), p.Value, grads.Of(p), loss, 1e-5, 1e-6)
		}
		// skipping dx or grads changes nothing else (a VJP runs once: fresh passes)
		dx2 := make([]float64, len(x))
		n.Forward(x, y, batch, true)(dy, dx2, nil)
		grads2 := NewGrads(set)
		n.Forward(x, y, batch, true)(dy, nil, grads2)
		for i := range dx {
			if dx2[i] != dx[i] {
				t.Fatalf("case %d: dx without grads differs", ci)
			}
		}
		for i := range grads2.Data {
			if !(math.Abs(grads2.Data[i]-grads.Data[i]) <= 1e-12*(1+math.Abs(grads.Data[i]))) {
				t.Fatalf("case %d: grads without dx differ", ci)
			}
		}
		if n.Forward(x, y, batch, false) != nil {
			t.Errorf("Forward without keep returned a VJP")
		}
	}
}

// TestNetFloat32 compares float32 nets with float64 ones of the same seed:
// the same parameters, outputs to ~1e-5 relative, VJPs to ~1e-4.
func TestNetFloat32(t *testing.T) {
	c32, c64 := netCases(""), netCases("float64")
	// a bigger, realistic one: 1→16→16→2 on 8×8, 3×3
	big := NetSpec{In: 1, Out: 2, Hidden: []int{16, 16}, Kernel: 3, Activation: []string{"tanh"}, Bias: true}
	c32 = append(c32, netCase{[]int{8, 8}, big})
	big.Precision = "float64"
	c64 = append(c64, netCase{[]int{8, 8}, big})
	for ci := range c32 {
		n32 := mustNet(t, "c", c32[ci].shape, c32[ci].spec, 9)
		n64 := mustNet(t, "c", c64[ci].shape, c64[ci].spec, 9)
		if p := n32.Spec().Precision; p != "float32" {
			t.Fatalf("default precision %q", p)
		}
		for i, p := range n32.Params() {
			if !slices.Equal(p.Value, n64.Params()[i].Value) {
				t.Fatalf("case %d: %s differs between precisions", ci, p.Name)
			}
		}
		const batch = 4
		x := netInput(n32, batch, 11)
		y32 := make([]float64, batch*n32.OutChannels()*n32.Lattice().Volume())
		y64 := make([]float64, len(y32))
		b32 := n32.Forward(x, y32, batch, true)
		b64 := n64.Forward(x, y64, batch, true)
		scale := maxAbs(y64)
		for i := range y64 {
			if !(math.Abs(y32[i]-y64[i]) <= 1e-5*scale) {
				t.Fatalf("case %d %v: float32 y[%d] = %.9g, float64 %.9g", ci, c32[ci], i, y32[i], y64[i])
			}
		}
		dy := randn(newRand(12), len(y32), 1)
		s32, _ := NewParamSet(n32.Params())
		s64, _ := NewParamSet(n64.Params())
		g32, g64 := NewGrads(s32), NewGrads(s64)
		dx32, dx64 := make([]float64, len(x)), make([]float64, len(x))
		b32(dy, dx32, g32)
		b64(dy, dx64, g64)
		for i := range dx64 {
			if !(math.Abs(dx32[i]-dx64[i]) <= 1e-4*maxAbs(dx64)) {
				t.Fatalf("case %d: float32 dx[%d] = %.9g, float64 %.9g", ci, i, dx32[i], dx64[i])
			}
		}
		for i := range g64.Data {
			if !(math.Abs(g32.Data[i]-g64.Data[i]) <= 1e-4*maxAbs(g64.Data)) {
				t.Fatalf("case %d: float32 grad[%d] = %.9g, float64 %.9g", ci, i, g32.Data[i], g64.Data[i])
			}
		}
	}
}

func TestNetZeroLast(t *testing.T) {
	for _, prec := range []string{"float32", "float64"} {
		for ci, c := range netCases(prec) {
			c.spec.ZeroLast = true
			n := mustNet(t, "z", c.shape, c.spec, 3)
			const batch = 2
			x := netInput(n, batch, 4)
			y := randn(newRand(5), batch*n.OutChannels()*n.Lattice().Volume(), 1)
			back := n.Forward(x, y, batch, true)
			if c.spec.FinalActivation == "softplus" {
				continue // softplus(0) = ln 2: not the identity coupling, but allowed
			}
			for i, v := range y {
				if v != 0 {
					t.Fatalf("%s case %d: y[%d] = %g with zero_last", prec, ci, i, v)
				}
			}
			// the last layer still learns; nothing upstream gets a gradient yet
			set, _ := NewParamSet(n.Params())
			g := NewGrads(set)
			back(randn(newRand(6), len(y), 1), nil, g)
			ps := n.Params()
			last := ps[len(ps)-1]
			if c.spec.Bias {
				last = ps[len(ps)-2] // the last weight
			}
			if maxAbs(g.Of(last)) == 0 {
				t.Errorf("%s case %d: zero gradient for %s", prec, ci, last.Name)
			}
		}
	}
}

func TestNetInit(t *testing.T) {
	lat := lattice.MustNew(4, 4)
	spec := NetSpec{In: 2, Out: 3, Hidden: []int{8, 5}, Kernel: 3, Activation: []string{"tanh"}, Bias: true}
	n, err := NewNet("flow.3.net", lat, spec, 42)
	if err != nil {
		t.Fatal(err)
	}
	fanIn := []int{18, 72, 45}
	for _, p := range n.Params() {
		var l int
		fmt.Sscanf(strings.TrimPrefix(p.Name, "flow.3.net."), "%d", &l)
		bound := 1 / math.Sqrt(float64(fanIn[l]))
		var sum float64
		for _, v := range p.Value {
			if !(math.Abs(v) <= bound) {
				t.Fatalf("%s: %g outside ±%g", p.Name, v, bound)
			}
			sum += math.Abs(v)
		}
		// uniform on ±bound: mean |v| = bound/2, max close to bound
		if len(p.Value) >= 100 {
			if m := sum / float64(len(p.Value)); !(math.Abs(m/bound-0.5) <= 0.1) {
				t.Errorf("%s: mean |v| = %.3g·bound, want 0.5", p.Name, m/bound)
			}
			if maxAbs(p.Value) < 0.9*bound {
				t.Errorf("%s: max |v| = %.3g·bound", p.Name, maxAbs(p.Value)/bound)
			}
		}
	}
	// reproducible from the seed, different for another seed
	same, _ := NewNet("flow.3.net", lat, spec, 42)
	other, _ := NewNet("flow.3.net", lat, spec, 43)
	for i, p := range n.Params() {
		if !slices.Equal(p.Value, same.Params()[i].Value) {
			t.Errorf("%s differs for the same seed", p.Name)
		}
		if slices.Equal(p.Value, other.Params()[i].Value) {
			t.Errorf("%s is the same for another seed", p.Name)
		}
	}
	// dense: fan_in is the input features
	d, err := NewNet("d", lat, NetSpec{In: 1, Out: 1, Hidden: []int{7}, Activation: []string{"relu"}, Dense: true}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if b := 1 / math.Sqrt(16); maxAbs(d.Params()[0].Value) > b || maxAbs(d.Params()[0].Value) < 0.9*b {
		t.Errorf("dense layer 0: max |w| = %g, bound %g", maxAbs(d.Params()[0].Value), b)
	}
}

func TestNetParamNames(t *testing.T) {
	type ps struct {
		name  string
		shape []int
	}
	check := func(n *Net, want []ps) {
		t.Helper()
		got := n.Params()
		if len(got) != len(want) {
			t.Fatalf("%d parameters, want %d", len(got), len(want))
		}
		for i, p := range got {
			if p.Name != want[i].name || !slices.Equal(p.Shape, want[i].shape) || p.Size() != prod(want[i].shape) {
				t.Errorf("parameter %d: %s %v, want %s %v", i, p.Name, p.Shape, want[i].name, want[i].shape)
			}
		}
		if _, err := NewParamSet(got); err != nil {
			t.Error(err)
		}
	}
	n := mustNet(t, "flow.0.s", []int{8, 8}, NetSpec{In: 1, Out: 2, Hidden: []int{8, 8}, Kernel: 3, Activation: []string{"tanh"}, Bias: true}, 1)
	check(n, []ps{
		{"flow.0.s.0.weight", []int{8, 1, 3, 3}}, {"flow.0.s.0.bias", []int{8}},
		{"flow.0.s.1.weight", []int{8, 8, 3, 3}}, {"flow.0.s.1.bias", []int{8}},
		{"flow.0.s.2.weight", []int{2, 8, 3, 3}}, {"flow.0.s.2.bias", []int{2}},
	})
	if n.InChannels() != 1 || n.OutChannels() != 2 || n.Name() != "flow.0.s" {
		t.Errorf("channels %d→%d, name %q", n.InChannels(), n.OutChannels(), n.Name())
	}
	check(mustNet(t, "n", []int{4, 4, 4}, NetSpec{In: 2, Out: 1, Hidden: []int{3}, Kernel: 5, Activation: []string{"relu"}}, 1), []ps{
		{"n.0.weight", []int{3, 2, 5, 5, 5}}, {"n.1.weight", []int{1, 3, 5, 5, 5}},
	})
	check(mustNet(t, "n", []int{6}, NetSpec{In: 1, Out: 1, Kernel: 1, Bias: true}, 1), []ps{
		{"n.0.weight", []int{1, 1, 1}}, {"n.0.bias", []int{1}},
	})
	check(mustNet(t, "d", []int{4, 2}, NetSpec{In: 2, Out: 3, Hidden: []int{10}, Activation: []string{"tanh"}, Bias: true, Dense: true}, 1), []ps{
		{"d.0.weight", []int{10, 16}}, {"d.0.bias", []int{10}},
		{"d.1.weight", []int{24, 10}}, {"d.1.bias", []int{24}},
	})
}

func prod(s []int) int {
	p := 1
	for _, v := range s {
		p *= v
	}
	return p
}

func TestNetValidation(t *testing.T) {
	good := NetSpec{In: 1, Out: 2, Hidden: []int{4, 4}, Kernel: 3, Activation: []string{"tanh"}, Bias: true}
	lat := lattice.MustNew(4, 4)
	if _, err := NewNet("ok", lat, good, 1); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		edit func(s *NetSpec)
		lat  *lattice.Lattice
		want string
	}{
		{func(s *NetSpec) { s.In = 0 }, nil, "in = 0: must be a positive integer"},
		{func(s *NetSpec) { s.Out = -1 }, nil, "out = -1: must be a positive integer"},
		{func(s *NetSpec) { s.Hidden = []int{4, 0} }, nil, "hidden[1] = 0: must be a positive integer"},
		{func(s *NetSpec) { s.Kernel = 4 }, nil, "kernel = 4: must be an odd positive integer"},
		{func(s *NetSpec) { s.Kernel = 0 }, nil, "kernel = 0: must be an odd positive integer"},
		{func(s *NetSpec) { s.Kernel = -3 }, nil, "kernel = -3: must be an odd positive integer"},
		{func(s *NetSpec) { s.Dense = true }, nil, "kernel = 3: a dense net has no kernel"},
		{func(s *NetSpec) { s.Activation = nil }, nil, "activation: missing"},
		{func(s *NetSpec) { s.Activation = []string{"tanh", "relu", "relu"} }, nil, "activation: 3 names for 2 hidden layers"},
		{func(s *NetSpec) { s.Activation = []string{"tanh", "sigmoid"} }, nil,
			`activation[1]: unknown activation "sigmoid": allowed are tanh, relu, leaky_relu, softplus, none`},
		{func(s *NetSpec) { s.Activation = []string{"Tanh"} }, nil, `activation: unknown activation "Tanh"`},
		{func(s *NetSpec) { s.FinalActivation = "exp" }, nil, `final_activation: unknown activation "exp"`},
		{func(s *NetSpec) { s.Precision = "float16" }, nil, `precision = "float16": allowed are float32, float64`},
		{func(s *NetSpec) {}, lattice.MustNew(2, 2, 2, 2, 2), "1 to 4 axes"},
		{func(s *NetSpec) {}, lattice.MustNew(), "1 to 4 axes"},
	}
	for _, c := range cases {
		s := good
		s.Hidden = slices.Clone(good.Hidden)
		c.edit(&s)
		l := lat
		if c.lat != nil {
			l = c.lat
		}
		_, err := NewNet("net", l, s, 1)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `"net"`) {
			t.Errorf("want an error naming the net and containing %q, got %v", c.want, err)
		}
	}
	if _, err := NewNet("net", nil, good, 1); err == nil {
		t.Error("nil lattice accepted")
	}
	// a dense net takes any lattice, 0-d included; an empty hidden list needs no activation
	if _, err := NewNet("d", lattice.MustNew(), NetSpec{In: 1, Out: 1, Dense: true}, 1); err != nil {
		t.Error(err)
	}
	// the spec is copied
	s := good
	s.Hidden = []int{4, 4}
	n, _ := NewNet("n", lat, s, 1)
	s.Hidden[0] = 9
	if n.Spec().Hidden[0] != 4 {
		t.Error("the net shares the caller's hidden list")
	}
}

// TestNetConcurrent: two goroutines running Forward and the VJP on the same
// net give what sequential calls give (run with -race).
func TestNetConcurrent(t *testing.T) {
	for _, prec := range []string{"float32", "float64"} {
		n := mustNet(t, "c", []int{4, 4}, NetSpec{In: 1, Out: 2, Hidden: []int{4}, Kernel: 3, Activation: []string{"tanh"}, Bias: true, Precision: prec}, 1)
		set, _ := NewParamSet(n.Params())
		const batch, workers = 3, 4
		run := func(w int) ([]float64, []float64, []float64) {
			x := netInput(n, batch, uint64(w))
			y := make([]float64, batch*2*16)
			back := n.Forward(x, y, batch, true)
			dx := make([]float64, len(x))
			g := NewGrads(set)
			back(y, dx, g)
			return y, dx, g.Data
		}
		for round := 0; round < 2; round++ {
			var want [workers][3][]float64
			for w := range workers {
				want[w][0], want[w][1], want[w][2] = run(w)
			}
			var got [workers][3][]float64
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() { got[w][0], got[w][1], got[w][2] = run(w) })
			}
			wg.Wait()
			for w := range workers {
				for k := range 3 {
					if !slices.Equal(got[w][k], want[w][k]) {
						t.Fatalf("%s round %d worker %d: concurrent result %d differs", prec, round, w, k)
					}
				}
			}
			// an optimiser step between rounds
			for _, p := range n.Params() {
				for i := range p.Value {
					p.Value[i] *= 1.1
				}
			}
		}
	}
}

// TestNetFollowsParams: the converted weights are rebuilt when, and only
// when, the parameter values change.
func TestNetFollowsParams(t *testing.T) {
	spec := NetSpec{In: 1, Out: 1, Hidden: []int{3}, Kernel: 3, Activation: []string{"tanh"}, Bias: true}
	n := mustNet(t, "c", []int{5}, spec, 1)
	x := netInput(n, 2, 2)
	y1, y2, y3 := make([]float64, 10), make([]float64, 10), make([]float64, 10)
	n.Forward(x, y1, 2, false)
	c := n.w32.Load()
	n.Forward(x, y2, 2, false)
	if n.w32.Load() != c {
		t.Error("weights rebuilt for unchanged parameters")
	}
	if !slices.Equal(y1, y2) {
		t.Error("outputs differ for unchanged parameters")
	}
	p := n.Params()[2] // layer 1's weight
	p.Value[1] += 0.5
	n.Forward(x, y3, 2, false)
	if n.w32.Load() == c {
		t.Error("weights not rebuilt after a parameter change")
	}
	fresh := mustNet(t, "c", []int{5}, spec, 1)
	fresh.Params()[2].Value[1] += 0.5
	want := make([]float64, 10)
	fresh.Forward(x, want, 2, false)
	if !slices.Equal(y3, want) {
		t.Errorf("after a parameter change: %v, want %v", y3, want)
	}
	if slices.Equal(y3, y1) {
		t.Error("a parameter change did not change the output")
	}
}
