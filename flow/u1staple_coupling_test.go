package flow

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/gauge"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/nn"
)

// u1StapleShapes are the lattices of the U(1) stapled-link tests.
var u1StapleShapes = [][]int{{4, 4}, {2, 4, 2}, {2, 2, 2, 2}}

// newU1Staple builds the layer (mu, parity) on shape with a float64
// per-site conditioner (hidden [4], kernel 1, tanh, bias) whose weights are
// N(0, 0.5²): spline parameters O(1), far from the identity.
func newU1Staple(t *testing.T, shape []int, mu, parity, knots int, seed uint64) *U1StapleCoupling {
	t.Helper()
	lat := lattice.MustNew(shape...)
	net, err := nn.NewNet("n", lat, nn.NetSpec{In: 1, Out: 3 * (knots - 1), Hidden: []int{4}, Kernel: 1,
		Activation: []string{"tanh"}, Bias: true, Precision: "float64"}, seed)
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewU1StapleCoupling("us", lat, mu, parity, net, knots)
	if err != nil {
		t.Fatal(err)
	}
	randomize(l, rand.New(rand.NewPCG(seed, 9)), 0.5)
	return l
}

// TestU1StapleSum: Σ of cos θ_P over the 2(d−1) plaquettes containing
// θ_μ(x) equals Re(e^{iθ_μ(x)} A), and the Wilson force ∂S/∂θ_μ(x) of
// package gauge equals β Im(e^{iθ_μ(x)} A) (S_local = −β Re(e^{iθ}A)).
func TestU1StapleSum(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, shape := range u1StapleShapes {
		lat := lattice.MustNew(shape...)
		geo, _ := gauge.NewGeometry(lat)
		th := randomLinks(r, geo.FieldSize())
		const beta = 0.8
		w, err := gauge.NewWilson(lat, beta)
		if err != nil {
			t.Fatal(err)
		}
		force := make([]float64, len(th))
		w.Grad(th, force)
		for mu := range geo.Dim() {
			l := newU1Staple(t, shape, mu, 0, 3, 1)
			l2 := newU1Staple(t, shape, mu, 1, 3, 1)
			for _, x := range append(l.Active(), l2.Active()...) {
				k := geo.Link(mu, x)
				a := l.staple(th, x)
				var sum float64
				n := 0
				for i := range geo.NumPlaquettes() {
					for _, lk := range geo.Links(i) {
						if lk == k {
							sum += math.Cos(geo.Plaquette(th, i))
							n++
						}
					}
				}
				e := cmplx.Rect(1, th[k]) * a
				if n != 2*(geo.Dim()-1) || math.Abs(sum-real(e)) > 1e-12 {
					t.Fatalf("%v μ=%d x=%d: %d plaquettes, Σ cos θ_P = %.15g, Re(e^{iθ}A) = %.15g", shape, mu, x, n, sum, real(e))
				}
				if math.Abs(force[k]-beta*imag(e)) > 1e-12 {
					t.Fatalf("%v μ=%d x=%d: force %.15g, β Im(e^{iθ}A) = %.15g", shape, mu, x, force[k], beta*imag(e))
				}
			}
		}
	}
}

// TestU1StapleContract: inverse(forward) to 1e-12, logJ against log|det| of
// the full finite-difference Jacobian, and the VJPs (input links, active
// and frozen, and every conditioner parameter) against finite differences,
// every (μ, parity) on 4×4, 2×4×2 and 2⁴, batch 2.
func TestU1StapleContract(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, shape := range u1StapleShapes {
		d := len(shape)
		for mu := range d {
			for par := range 2 {
				if testing.Short() && d == 4 && mu > 0 {
					continue
				}
				l := newU1Staple(t, shape, mu, par, 4, uint64(3+mu+par))
				const batch = 2
				x := randomLinks(r, batch*d*l.geo.Volume())
				checkInverse(t, l, x, batch, 1e-12)
				y, lj := pass(l, false, nil, x, batch)
				if maxDiff(x, y) < 1e-2 || lj[0] == 0 {
					t.Errorf("%v μ=%d p=%d: the layer hardly moves the links (%g)", shape, mu, par, maxDiff(x, y))
				}
				checkLogJ(t, l, x, batch, 1e-6)
				checkVJP(t, l, x, batch, r, 1e-5)
			}
		}
	}
}

// TestU1StapleEquivariance: f(g·θ) = g·f(θ) for random α(x) to 1e-10, and
// the same logJ, forward and inverse.
func TestU1StapleEquivariance(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, shape := range u1StapleShapes {
		l := newU1Staple(t, shape, 1, 1, 5, 7)
		geo, v := l.geo, l.geo.Volume()
		x := randomLinks(r, geo.FieldSize())
		alpha := randn(r, v, 3)
		gx := append([]float64(nil), x...)
		geo.Transform(gx, alpha)
		for _, inverse := range []bool{false, true} {
			y, lj := pass(l, inverse, nil, x, 1)
			gy, glj := pass(l, inverse, nil, gx, 1)
			geo.Transform(y, alpha)
			for i := range y {
				if e := math.Abs(gauge.Wrap(gy[i] - y[i])); e > 1e-10 {
					t.Fatalf("%v inverse=%v: link %d: f(g·θ) − g·f(θ) = %g", shape, inverse, i, e)
				}
			}
			if math.Abs(lj[0]-glj[0]) > 1e-10 {
				t.Fatalf("%v inverse=%v: logJ %.15g vs %.15g after the gauge transformation", shape, inverse, lj[0], glj[0])
			}
		}
	}
}

// TestU1StapleMask: a layer moves only the links θ_μ(x) of parity p, and
// the 2d layers (μ = k mod d, p = ⌊k/d⌋ mod 2) of a cycle update every link
// exactly once; zero weights give the identity.
func TestU1StapleMask(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, shape := range append(u1StapleShapes, []int{4, 2, 4, 2}) {
		d := len(shape)
		lat := lattice.MustNew(shape...)
		geo, _ := gauge.NewGeometry(lat)
		count := make([]int, geo.FieldSize())
		x := randomLinks(r, geo.FieldSize())
		for k := range 2 * d {
			mu, par := k%d, (k/d)%2
			l := newU1Staple(t, shape, mu, par, 4, uint64(k+1))
			if len(l.Active()) != geo.Volume()/2 {
				t.Fatalf("%v: %d active sites, want V/2 = %d", shape, len(l.Active()), geo.Volume()/2)
			}
			y, _ := pass(l, false, nil, x, 1)
			for i := range x {
				if y[i] != x[i] {
					if i/geo.Volume() != mu {
						t.Fatalf("%v layer %d: link %d of direction %d moved", shape, k, i, i/geo.Volume())
					}
					s := 0
					for _, c := range lat.Coords(i % geo.Volume()) {
						s += c
					}
					if s%2 != par {
						t.Fatalf("%v layer %d: link at a site of parity %d moved", shape, k, s%2)
					}
					count[i]++
				}
			}
			for _, xs := range l.Active() {
				l.staplePhases(x, xs, func(links [3]int, _ [3]float64, _ float64) {
					for _, lk := range links {
						if lk/geo.Volume() == mu && (func() bool {
							s := 0
							for _, c := range lat.Coords(lk % geo.Volume()) {
								s += c
							}
							return s%2 == par
						})() {
							t.Fatalf("%v layer %d: staple link %d of site %d is active", shape, k, lk, xs)
						}
					}
				})
			}
			randomize(l, r, 0)
			y, lj := pass(l, false, nil, x, 1)
			if maxDiff(x, y) > 1e-14 || math.Abs(lj[0]) > 1e-13 {
				t.Fatalf("%v: zero weights move links by %g, logJ %g", shape, maxDiff(x, y), lj[0])
			}
		}
		for i, c := range count {
			if c != 1 {
				t.Fatalf("%v: link %d updated %d times in a cycle of %d layers", shape, i, c, 2*d)
			}
		}
	}
}

// TestU1StapleBadInput: odd extents, bad μ, parity, knots and channel
// counts give one-line errors naming the problem.
func TestU1StapleBadInput(t *testing.T) {
	net := func(shape []int, in, out int) nn.Conditioner {
		n, err := nn.NewNet("n", lattice.MustNew(shape...), nn.NetSpec{In: in, Out: out, Kernel: 1, Precision: "float64"}, 1)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, c := range []struct {
		shape          []int
		mu, par, knots int
		net            nn.Conditioner
		want           string
	}{
		{[]int{4, 3}, 0, 0, 4, net([]int{4, 3}, 1, 9), "odd extent 3 along axis 1"},
		{[]int{4, 4}, 2, 0, 4, net([]int{4, 4}, 1, 9), "mu = 2"},
		{[]int{4, 4}, 0, 2, 4, net([]int{4, 4}, 1, 9), "parity = 2"},
		{[]int{4, 4}, 0, 0, 1, net([]int{4, 4}, 1, 9), "knots = 1"},
		{[]int{4, 4}, 0, 0, 4, net([]int{4, 4}, 2, 9), "2 input channels"},
		{[]int{4, 4}, 0, 0, 4, net([]int{4, 4}, 1, 8), "8 output channels"},
		{[]int{4, 4}, 0, 0, 4, nil, "conditioner is nil"},
	} {
		_, err := NewU1StapleCoupling("bad", lattice.MustNew(c.shape...), c.mu, c.par, c.net, c.knots)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v μ=%d p=%d knots=%d: error %v, want one line containing %q", c.shape, c.mu, c.par, c.knots, err, c.want)
		}
	}
}
