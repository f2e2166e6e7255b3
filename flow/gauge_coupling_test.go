package flow

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/gauge"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/nn"
)

// gaugeLayer builds a gauge coupling with a small float64 conditioner on a
// lattice of d = 2, 3, 4 axes.
func gaugeLayer(t *testing.T, lat *lattice.Lattice, mu, off, knots int, seed uint64) *GaugeCoupling {
	t.Helper()
	d := lat.Dim() // d(d−1) input channels: cos, sin of the frozen plaquettes of every plane
	net, err := nn.NewNet("g.net", lat, nn.NetSpec{In: d * (d - 1), Out: 3 * (knots - 1), Hidden: []int{3}, Kernel: 3,
		Activation: []string{"tanh"}, Bias: true, Precision: "float64"}, seed)
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewGaugeCoupling("g", lat, mu, off, net, knots)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// randomLinks draws n configurations of link angles uniform in (−π, π].
func randomLinks(r *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = math.Pi - 2*math.Pi*r.Float64()
	}
	return x
}

// TestGaugeCouplingContract: inverse, log-Jacobian against the brute-force
// determinant of the finite-difference Jacobian, and VJPs (input and every
// parameter, forward and inverse) for every direction and offset on a 4×4
// lattice (and both directions on a non-square 4×8 one), random conditioner
// parameters. The output is not wrapped, so finite differences are smooth.
func TestGaugeCouplingContract(t *testing.T) {
	r := rand.New(rand.NewPCG(81, 82))
	type tc struct {
		shape        []int
		mu, off, knt int
	}
	var cases []tc
	for mu := range 2 {
		for off := range GaugeStripe {
			cases = append(cases, tc{[]int{4, 4}, mu, off, 4})
		}
		cases = append(cases, tc{[]int{4, 8}, mu, 1, 3})
	}
	for _, c := range cases {
		lat := lattice.MustNew(c.shape...)
		t.Run(fmt.Sprintf("%v/mu%d/off%d", lat, c.mu, c.off), func(t *testing.T) {
			l := gaugeLayer(t, lat, c.mu, c.off, c.knt, 5)
			randomize(l, r, 0.5)
			const batch = 2
			x := randomLinks(r, batch*2*lat.Volume())
			checkInverse(t, l, x, batch, 1e-10)
			checkLogJ(t, l, x, batch, 1e-6)
			checkVJP(t, l, x, batch, r, 1e-5)
		})
	}
}

// TestGaugeCouplingMasks: on 4×4 and 8×8 lattices, for every (μ, offset):
// the active plaquettes contain exactly one updated link, the frozen ones
// none; forward leaves every link but the updated ones and every frozen
// plaquette unchanged and maps each active plaquette P to h(P) ∈ (−π, π];
// the 2·4 layers of a cycle update every link exactly once.
func TestGaugeCouplingMasks(t *testing.T) {
	r := rand.New(rand.NewPCG(83, 84))
	for _, shape := range [][]int{{4, 4}, {8, 8}} {
		lat := lattice.MustNew(shape...)
		geo, err := gauge.NewGeometry(lat)
		if err != nil {
			t.Fatal(err)
		}
		v := lat.Volume()
		count := make([]int, 2*v)
		for mu := range 2 {
			for off := range GaugeStripe {
				l := gaugeLayer(t, lat, mu, off, 5, 7)
				randomize(l, r, 0.5)
				upd := map[int]bool{}
				for _, k := range l.ActiveLinks() {
					upd[k] = true
					count[k]++
				}
				if want := 2 * v / (2 * GaugeStripe); len(upd) != want {
					t.Errorf("%v mu=%d off=%d: %d updated links, want %d", lat, mu, off, len(upd), want)
				}
				x := randomLinks(r, 2*v)
				y := make([]float64, 2*v)
				l.Forward(nil, x, y, make([]float64, 1))
				for k := range x {
					if !upd[k] && y[k] != x[k] {
						t.Errorf("%v mu=%d off=%d: link %d not updated but changed", lat, mu, off, k)
					}
				}
				for _, p := range l.FrozenPlaquettes() {
					for _, k := range geo.Links(p) {
						if upd[k] {
							t.Errorf("%v mu=%d off=%d: frozen plaquette %d contains updated link %d", lat, mu, off, p, k)
						}
					}
					if d := gauge.Wrap(geo.Plaquette(y, p) - geo.Plaquette(x, p)); !(math.Abs(d) <= 1e-10) {
						t.Errorf("frozen plaquette %d changed by %g", p, d)
					}
				}
				for _, p := range l.activeP {
					n := 0
					for _, k := range geo.Links(p) {
						if upd[k] {
							n++
						}
					}
					if n != 1 {
						t.Errorf("active plaquette %d has %d updated links", p, n)
					}
				}
				if nf, na := len(l.FrozenPlaquettes()), len(l.activeP); nf != v-2*na {
					t.Errorf("%v mu=%d off=%d: %d frozen plaquettes, want V − 2·%d active = %d", lat, mu, off, nf, na, v-2*na)
				}
			}
		}
		for k, c := range count {
			if c != 1 {
				t.Errorf("%v: link %d updated %d times in one cycle, want 1", lat, k, c)
			}
		}
	}
}

// TestGaugeCouplingEquivariant: a random gauge transformation before the
// flow equals the same transformation after it, to 1e-10, and leaves logJ
// unchanged; for single layers and a 16-layer sequence, forward and inverse.
func TestGaugeCouplingEquivariant(t *testing.T) {
	r := rand.New(rand.NewPCG(85, 86))
	lat := lattice.MustNew(8, 8)
	geo, _ := gauge.NewGeometry(lat)
	v := lat.Volume()
	var layers []Layer
	for i := range 16 {
		l := gaugeLayer(t, lat, i%2, (i/2)%4, 6, uint64(i))
		randomize(l, r, 0.1) // moderate maps: round-off grows through 16 layers
		layers = append(layers, l)
	}
	single := gaugeLayer(t, lat, 1, 2, 8, 99)
	randomize(single, r, 0.7) // a strongly non-linear layer
	flows := map[string]Layer{"layer": single, "sequence16": NewSequence(layers...)}
	for name, f := range flows {
		for _, inverse := range []bool{false, true} {
			const batch = 3
			x := randomLinks(r, batch*2*v)
			gx := append([]float64(nil), x...)
			alphas := randomLinks(r, batch*v)
			for b := range batch {
				geo.Transform(gx[b*2*v:(b+1)*2*v], alphas[b*v:(b+1)*v])
			}
			y, lj := pass(f, inverse, nil, x, batch)
			gy, glj := pass(f, inverse, nil, gx, batch)
			for b := range batch {
				geo.Transform(y[b*2*v:(b+1)*2*v], alphas[b*v:(b+1)*v])
			}
			var worst float64
			for i := range y {
				worst = max(worst, math.Abs(y[i]-gy[i]))
			}
			if worst > 1e-10 {
				t.Errorf("%s inverse=%v: |f(gθ) − g f(θ)| = %.3g > 1e-10", name, inverse, worst)
			}
			for b := range lj {
				if !(math.Abs(lj[b]-glj[b]) <= 1e-10) {
					t.Errorf("%s inverse=%v: logJ %g vs %g after a gauge transformation", name, inverse, lj[b], glj[b])
				}
			}
		}
	}
	// And the whole sequence is invertible (as a map of the circle: a link
	// may come back shifted by 2π, the same group element, when round-off
	// puts an intermediate plaquette on the other side of ±π).
	x := randomLinks(r, 2*2*v)
	y, lf := pass(flows["sequence16"], false, nil, x, 2)
	xr, li := pass(flows["sequence16"], true, nil, y, 2)
	for i := range x {
		if d := gauge.Wrap(xr[i] - x[i]); !(math.Abs(d) <= 1e-10) {
			t.Fatalf("sequence16: inverse(forward(θ))[%d] − θ = %g (mod 2π)", i, d)
		}
	}
	for b := range lf {
		if !(math.Abs(lf[b]+li[b]) <= 1e-9*(1+math.Abs(lf[b]))) {
			t.Errorf("sequence16: logJ forward %g + inverse %g ≠ 0", lf[b], li[b])
		}
	}
}

// TestGaugeCouplingZeroIsIdentity: a zero last conditioner layer gives the
// identity spline, so the layer is the identity with logJ = 0.
func TestGaugeCouplingZeroIsIdentity(t *testing.T) {
	lat := lattice.MustNew(4, 4)
	net, err := nn.NewNet("g.net", lat, nn.NetSpec{In: 2, Out: 9, Hidden: []int{4}, Kernel: 3,
		Activation: []string{"tanh"}, Bias: true, ZeroLast: true}, 1)
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewGaugeCoupling("g", lat, 1, 2, net, 4)
	if err != nil {
		t.Fatal(err)
	}
	x := randomLinks(rand.New(rand.NewPCG(1, 2)), 3*32)
	y, lj := pass(l, false, nil, x, 3)
	for i := range x {
		if !(math.Abs(y[i]-x[i]) <= 1e-12) {
			t.Fatalf("link %d: %g → %g", i, x[i], y[i])
		}
	}
	for _, v := range lj {
		if !(math.Abs(v) <= 1e-12) {
			t.Fatalf("logJ = %g, want 0", v)
		}
	}
}

// TestGaugeCouplingErrors: bad settings are errors naming the setting.
func TestGaugeCouplingErrors(t *testing.T) {
	lat := lattice.MustNew(4, 4)
	good := func(out int) nn.Conditioner {
		n, err := nn.NewNet("n", lat, nn.NetSpec{In: 2, Out: out, Kernel: 3}, 1)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	in1, _ := nn.NewNet("n", lat, nn.NetSpec{In: 1, Out: 9, Kernel: 3}, 1)
	lat5 := lattice.MustNew(4, 5)
	net5, _ := nn.NewNet("n", lat5, nn.NetSpec{In: 2, Out: 9, Kernel: 3}, 1)
	cases := []struct {
		lat       *lattice.Lattice
		mu, off   int
		net       nn.Conditioner
		knots     int
		wantInErr string
	}{
		{lattice.MustNew(2, 2, 2, 2, 2), 0, 0, good(9), 4, "2 to 4"},
		{lattice.MustNew(4, 4, 4), 0, 0, good(9), 4, "want 2·3 = 6"},
		{lat, 2, 0, good(9), 4, "mu = 2"},
		{lat, 0, 4, good(9), 4, "offset = 4"},
		{lat, 0, 0, good(9), 1, "knots = 1"},
		{lat, 0, 0, good(8), 4, "output channels"},
		{lat, 0, 0, in1, 4, "input channels"},
		{lat, 0, 0, nil, 4, "nil"},
		{lat5, 0, 0, net5, 4, "updated links"},
		{lattice.MustNew(2, 2), 1, 3, good(9), 4, "no links"},
	}
	for _, c := range cases {
		net := c.net
		if c.lat.Volume() == 4 {
			net, _ = nn.NewNet("n", c.lat, nn.NetSpec{In: 2, Out: 9, Kernel: 3}, 1)
		}
		_, err := NewGaugeCoupling("g", c.lat, c.mu, c.off, net, c.knots)
		if err == nil || !strings.Contains(err.Error(), c.wantInErr) {
			t.Errorf("%v mu=%d off=%d knots=%d: error %v, want one containing %q", c.lat, c.mu, c.off, c.knots, err, c.wantInErr)
		}
	}
}
