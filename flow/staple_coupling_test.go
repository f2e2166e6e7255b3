package flow

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/nn"
	"github.com/normflow/normflow-go/sun"
	"github.com/normflow/normflow-go/sungauge"
)

// stapleCase is one configuration of the stapled-link coupling tests.
type stapleCase struct {
	n            int
	shape        []int
	mu, parity   int
	knots, feats int
}

// The lattices of issue 16 (2×2 and 4×4 in 2-d, 2⁴ in 4-d), SU(2) and
// SU(3), both parities.
var stapleCases = []stapleCase{
	{2, []int{2, 2}, 0, 0, 5, 0},
	{3, []int{4, 4}, 1, 1, 4, 1},
	{2, []int{4, 4}, 1, 0, 5, 0},
	{2, []int{2, 2, 2, 2}, 2, 1, 5, 0},
	{3, []int{2, 2, 2, 2}, 3, 0, 4, 2},
}

// newStapleCoupling builds the layer of c with a float64 per-site
// conditioner (hidden [4], kernel 1, tanh, bias) whose weights are
// N(0, 0.5²), so that the spline parameters are O(1) and far from the
// identity.
func newStapleCoupling(t *testing.T, c stapleCase, seed uint64) (*StapleCoupling, *sungauge.Geometry) {
	t.Helper()
	g := sunGeo(t, c.n, c.shape...)
	np := sun.NewSpectral(c.n, c.knots, c.feats).NumParams()
	net, err := nn.NewNet("n", g.Lattice(), nn.NetSpec{In: StapleFeatureChannels(c.n), Out: np, Hidden: []int{4}, Kernel: 1,
		Activation: []string{"tanh"}, Bias: true, Precision: "float64"}, seed)
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewStapleCoupling("st", g, c.mu, c.parity, net, c.knots, c.feats)
	if err != nil {
		t.Fatal(err)
	}
	randomize(l, rand.New(rand.NewPCG(seed, 7)), 0.5)
	return l, g
}

// TestStapleCouplingMask: the active links are those of direction μ on the
// sites of parity p, half the sites; no link of an active link's staples is
// active; the 2d layers (μ, p) of a cycle update every link exactly once.
func TestStapleCouplingMask(t *testing.T) {
	for _, shape := range [][]int{{2, 2}, {4, 4}, {2, 4, 2}, {2, 2, 2, 2}, {4, 2, 4, 2}} {
		g := sunGeo(t, 2, shape...)
		d, v := g.Dim(), g.Volume()
		net, _ := nn.NewNet("n", g.Lattice(), nn.NetSpec{In: 1, Out: sun.NewSpectral(2, 3, 0).NumParams(), Kernel: 1}, 1)
		count := make([]int, g.Links())
		for k := range 2 * d {
			l, err := NewStapleCoupling("st", g, k%d, (k/d)%2, net, 3, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Active()) != v/2 {
				t.Errorf("%v (μ, p) = (%d, %d): %d active links, want %d", shape, l.Mu, l.Parity, len(l.Active()), v/2)
			}
			act := make([]bool, g.Links())
			for _, x := range l.Active() {
				act[g.Link(l.Mu, x)] = true
				count[g.Link(l.Mu, x)]++
			}
			for _, x := range l.Active() {
				for nu := range d {
					if nu == l.Mu {
						continue
					}
					xm := g.Fwd(l.Mu, x)
					for _, k := range []int{g.Link(nu, xm), g.Link(l.Mu, g.Fwd(nu, x)), g.Link(nu, x),
						g.Link(nu, g.Bwd(nu, xm)), g.Link(l.Mu, g.Bwd(nu, x)), g.Link(nu, g.Bwd(nu, x))} {
						if act[k] {
							t.Fatalf("%v (μ, p) = (%d, %d): a staple of the active link at %d holds the active link %d", shape, l.Mu, l.Parity, x, k)
						}
					}
				}
			}
		}
		for k, c := range count {
			if c != 1 {
				t.Fatalf("%v: link %d is updated %d times in a cycle", shape, k, c)
			}
		}
	}
}

// TestStapleCouplingInverse: inverse(forward(U)) = U to 1e-12 and the
// log-Jacobians cancel (batch 2); zeroed weights give the identity.
func TestStapleCouplingInverse(t *testing.T) {
	for _, c := range stapleCases {
		l, g := newStapleCoupling(t, c, 1)
		x := haarBatch(g, 2, 10)
		y, lj := pass(l, false, nil, x, 2)
		checkInverse(t, l, x, 2, 1e-12)
		t.Logf("SU(%d) %v: logJ %.4f %.4f, links moved by %.2f", c.n, c.shape, lj[0], lj[1], maxDiff(x, y))
		if maxDiff(x, y) < 1e-2 || lj[0] == 0 {
			t.Errorf("SU(%d) %v: the layer hardly moves the links (%g)", c.n, c.shape, maxDiff(x, y))
		}
		for i := range y {
			if math.IsNaN(y[i]) {
				t.Fatalf("SU(%d) %v: NaN in the output", c.n, c.shape)
			}
		}
		u := sun.Complex(y)
		for k := range 2 * g.Links() {
			if e := sun.UnitarityError(sun.Mat(u, k, c.n)); e > 1e-12 {
				t.Fatalf("SU(%d) %v: output link %d is %g from SU(N)", c.n, c.shape, k, e)
			}
		}
		randomize(l, rand.New(rand.NewPCG(1, 1)), 0)
		y, lj = pass(l, false, nil, x, 2)
		if maxDiff(x, y) > 1e-14 || math.Abs(lj[0]) > 1e-13 {
			t.Errorf("SU(%d) %v: zero weights move links by %g, logJ %g", c.n, c.shape, maxDiff(x, y), lj[0])
		}
	}
}

// TestStapleCouplingLogJ: in left charts U → exp(iε·T)U of every link the
// Jacobian is block triangular (frozen links pass through; an updated link
// does not move when another updated link is perturbed: checked exactly),
// so logJ = Σ_active log|det J_x| of the (N²−1)×(N²−1) central-difference
// blocks: to 1e-7, forward and inverse.
func TestStapleCouplingLogJ(t *testing.T) {
	for _, c := range stapleCases {
		l, g := newStapleCoupling(t, c, 2)
		x := haarLinks(g, 20)
		n, na := c.n, c.n*c.n-1
		gens := sun.Generators(n)
		for _, inverse := range []bool{false, true} {
			y0, lj := pass(l, inverse, nil, x, 1)
			var sum float64
			e, om := make([]complex128, n*n), make([]complex128, n*n)
			for _, s := range l.Active() {
				k := g.Link(c.mu, s)
				jac := make([]float64, na*na)
				for a := range na {
					const h = 1e-6
					var cols [2][]float64
					for si, sg := range []float64{1, -1} {
						xp := slices.Clone(x)
						for i, v := range gens[a] {
							e[i] = complex(0, sg*h) * v
						}
						sun.Exp(e, e)
						lk := sun.Mat(sun.Complex(xp), k, n)
						sun.Mul(lk, e, lk)
						yp, _ := pass(l, inverse, nil, xp, 1)
						for k2 := range g.Links() {
							if k2 != k && !slices.Equal(sun.Mat(sun.Complex(yp), k2, n), sun.Mat(sun.Complex(y0), k2, n)) {
								t.Fatalf("SU(%d) %v: link %d moves when the updated link %d is perturbed", n, c.shape, k2, k)
							}
						}
						sun.MulAdj(om, sun.Mat(sun.Complex(yp), k, n), sun.Mat(sun.Complex(y0), k, n))
						cols[si] = make([]float64, na)
						sun.AlgebraCoeffs(cols[si], om)
					}
					for b := range na {
						jac[b*na+a] = (cols[0][b] - cols[1][b]) / (2 * h)
					}
				}
				sum += math.Log(math.Abs(detReal(jac, na)))
			}
			t.Logf("SU(%d) %v inverse=%v: logJ %.9f, Σ log|det J| %.9f", n, c.shape, inverse, lj[0], sum)
			if math.Abs(lj[0]-sum) > 1e-7*(1+math.Abs(sum)) {
				t.Errorf("SU(%d) %v inverse=%v: logJ %.10f, finite differences %.10f", n, c.shape, inverse, lj[0], sum)
			}
		}
	}
}

// TestStapleCouplingVJP: for L = Σ dout·y + Σ dlogJ·logJ (random cotangents,
// batch 2), the input cotangent paired with a random tangent direction
// δU = iω·T U of every link (updated and frozen: through P(A), the features
// and the pass-through) equals the central difference of L along
// U → exp(iεω·T)U (h = 1e-6; 4 directions), and the cotangents of 40
// random conditioner weights equal their central differences: to 1e-6
// relative, forward and inverse.
func TestStapleCouplingVJP(t *testing.T) {
	for _, c := range stapleCases {
		l, g := newStapleCoupling(t, c, 3)
		checkSUNLinkVJP(t, fmt.Sprintf("SU(%d) %v", c.n, c.shape), l, g, c.n, 4)
	}
}

// TestStapleCouplingFrozenVJP: the cotangents of the frozen links alone
// (through P(A) and the features; the updated links held fixed), paired
// with a random tangent direction of the frozen links only, against central
// differences — the part of the VJP the full-direction test mixes with the
// updated links' own.
func TestStapleCouplingFrozenVJP(t *testing.T) {
	for _, c := range stapleCases {
		l, g := newStapleCoupling(t, c, 6)
		x := haarLinks(g, 60)
		r := rand.New(rand.NewPCG(6, 6))
		dout, dlogJ := randn(r, len(x), 1), randn(r, 1, 1)
		n, na := c.n, c.n*c.n-1
		active := make([]bool, g.Links())
		for _, s := range l.Active() {
			active[g.Link(c.mu, s)] = true
		}
		obj := func(x []float64) float64 {
			y, lj := pass(l, false, nil, x, 1)
			s := dlogJ[0] * lj[0]
			for i := range y {
				s += dout[i] * y[i]
			}
			return s
		}
		tape := NewTape(nil)
		pass(l, false, tape, x, 1)
		din := make([]float64, len(x))
		tape.Backward(dout, dlogJ, din)
		om := randn(r, g.Links()*na, 1)
		move := func(eps float64) []float64 {
			xm := slices.Clone(x)
			u := sun.Complex(xm)
			xa := make([]complex128, n*n)
			w := make([]float64, na)
			for k := range g.Links() {
				if active[k] {
					continue
				}
				for a := range w {
					w[a] = eps * om[k*na+a]
				}
				sun.AlgebraElement(xa, w)
				sun.Exp(xa, xa)
				sun.Mul(sun.Mat(u, k, n), xa, sun.Mat(u, k, n))
			}
			return xm
		}
		const h = 1e-6
		fd := (obj(move(h)) - obj(move(-h))) / (2 * h)
		tan := make([]float64, len(x))
		tu, u := sun.Complex(tan), sun.Complex(x)
		xa := make([]complex128, n*n)
		for k := range g.Links() {
			if active[k] {
				continue
			}
			sun.AlgebraElement(xa, om[k*na:(k+1)*na])
			sun.Mul(sun.Mat(tu, k, n), xa, sun.Mat(u, k, n))
		}
		var an float64
		for i := range din {
			an += din[i] * tan[i]
		}
		if math.Abs(an-fd) > 1e-6*(1+math.Abs(fd)) {
			t.Errorf("SU(%d) %v: frozen-link VJP %.10g, finite difference %.10g", n, c.shape, an, fd)
		}
	}
}

// TestStapleCouplingEquivariance: forward and inverse commute with random
// local SU(N) transformations, links to 1e-10 and logJ to 1e-10.
func TestStapleCouplingEquivariance(t *testing.T) {
	for _, c := range stapleCases {
		l, g := newStapleCoupling(t, c, 5)
		checkSUNLinkEquivariance(t, fmt.Sprintf("SU(%d) %v", c.n, c.shape), l, g)
	}
}

// TestStapleCouplingBadInput: odd extents, bad μ, parity, knots, features
// and conditioner channels are one-line errors naming the value.
func TestStapleCouplingBadInput(t *testing.T) {
	g := sunGeo(t, 2, 4, 4)
	net, _ := nn.NewNet("n", g.Lattice(), nn.NetSpec{In: 1, Out: 13, Kernel: 1}, 1)
	bad, _ := nn.NewNet("n", g.Lattice(), nn.NetSpec{In: 2, Out: 13, Kernel: 1}, 1)
	badOut, _ := nn.NewNet("n", g.Lattice(), nn.NetSpec{In: 1, Out: 12, Kernel: 1}, 1)
	for _, c := range []struct {
		net           nn.Conditioner
		mu, p, k, fea int
		want          string
	}{
		{bad, 0, 0, 5, 0, "input channels"}, {badOut, 0, 0, 5, 0, "output channels"}, {net, 2, 0, 5, 0, "mu = 2"},
		{net, 0, 2, 5, 0, "parity = 2"}, {net, 0, 0, 1, 0, "knots = 1"}, {net, 0, 0, 5, 1, "features = 1"}, {nil, 0, 0, 5, 0, "nil"},
	} {
		_, err := NewStapleCoupling("st", g, c.mu, c.p, c.net, c.k, c.fea)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: error %v, want one line with %q", c, err, c.want)
		}
	}
	odd := sunGeo(t, 2, 4, 3)
	onet, _ := nn.NewNet("n", odd.Lattice(), nn.NetSpec{In: 1, Out: 13, Kernel: 1}, 1)
	if _, err := NewStapleCoupling("st", odd, 0, 0, onet, 5, 0); err == nil || !strings.Contains(err.Error(), "odd extent 3 along axis 1") {
		t.Errorf("odd extent: error %v", err)
	}
	if _, err := NewStapleCoupling("st", g, 0, 1, net, 5, 0); err != nil {
		t.Errorf("good layer: %v", err)
	}
}

// BenchmarkStapleCouplingSU3 is a taped forward pass and its backward pass
// of one SU(3) stapled coupling on 4⁴ (128 updated links) for a batch of 8,
// conditioner hidden [16], kernel 1, float32:
//
//	go test -run '^$' -bench StapleCoupling -benchtime 20x ./flow
func BenchmarkStapleCouplingSU3(b *testing.B) {
	g, err := sungauge.NewGeometry(lattice.MustNew(4, 4, 4, 4), 3)
	if err != nil {
		b.Fatal(err)
	}
	np := sun.NewSpectral(3, 8, 2).NumParams()
	net, err := nn.NewNet("n", g.Lattice(), nn.NetSpec{In: 4, Out: np, Hidden: []int{16}, Kernel: 1,
		Activation: []string{"tanh"}, Bias: true}, 1)
	if err != nil {
		b.Fatal(err)
	}
	l, err := NewStapleCoupling("st", g, 0, 0, net, 8, 2)
	if err != nil {
		b.Fatal(err)
	}
	randomize(l, rand.New(rand.NewPCG(1, 2)), 0.1)
	const nb = 8
	x := haarBatch(g, nb, 1)
	y, dy, dx, lj := make([]float64, len(x)), make([]float64, len(x)), make([]float64, len(x)), make([]float64, nb)
	dlj := make([]float64, nb)
	set, _ := nn.NewParamSet(l.Params())
	grads := nn.NewGrads(set)
	for b.Loop() {
		tape := NewTape(grads)
		l.Forward(tape, x, y, lj)
		tape.Backward(dy, dlj, dx)
	}
}
