package flow

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/nn"
	"github.com/normflow/normflow-go/sun"
	"github.com/normflow/normflow-go/sungauge"
)

// sunCase is one configuration of the SU(N) coupling tests.
type sunCase struct {
	n                   int
	shape               []int
	mu, nu, period, off int
	knots, feats        int
	scale               float64 // of the conditioner weights, so that its outputs are O(1)
}

// The lattices of issue 16 (2×2 and 4×4 in 2-d, 2⁴ in 4-d) and 2×4×2×4;
// on 2×2 (stripes of period 2) no plaquette is frozen, so the conditioner
// sees zeros and only its biases act. In 4-d a kernel-3 convolution sees 3⁴
// sites × 12 channels, so its weights are scaled down by √(972/18) against
// 2-d to keep the spline parameters O(1) (larger ones make splines with
// slopes of 1e-5 and an ill-conditioned inverse).
var sunCases = []sunCase{
	{2, []int{4, 4}, 0, 1, 4, 1, 5, 0, 0.3},
	{3, []int{4, 4}, 1, 0, 4, 2, 4, 1, 0.3},
	{3, []int{2, 2}, 0, 1, 2, 1, 4, 1, 0.3},
	{2, []int{2, 2, 2, 2}, 2, 0, 2, 0, 5, 0, 0.04},
	{3, []int{2, 4, 2, 4}, 3, 1, 4, 0, 4, 1, 0.04},
}

// newSUNCoupling builds the layer of c with a float64 conditioner (hidden
// [4], kernel 3, tanh, bias) whose weights are N(0, (scale·c.scale)²).
func newSUNCoupling(t *testing.T, c sunCase, scale float64, seed uint64) (*SUNGaugeCoupling, *sungauge.Geometry) {
	t.Helper()
	g := sunGeo(t, c.n, c.shape...)
	m, err := NewSUNGaugeMask(g, c.mu, c.nu, c.period, c.off)
	if err != nil {
		t.Fatal(err)
	}
	np := sun.NewSpectral(c.n, c.knots, c.feats).NumParams()
	net, err := nn.NewNet("n", g.Lattice(), nn.NetSpec{In: m.FeatureChannels(), Out: np, Hidden: []int{4}, Kernel: 3,
		Activation: []string{"tanh"}, Bias: true, Precision: "float64"}, seed)
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewSUNGaugeCoupling("s", g, c.mu, c.nu, c.period, c.off, net, c.knots, c.feats)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 3))
	randomize(l, r, scale*c.scale)
	return l, g
}

func haarBatch(g *sungauge.Geometry, nb int, seed uint64) []float64 {
	f := make([]float64, 0, nb*g.FieldSize())
	for b := range nb {
		f = append(f, haarLinks(g, seed+uint64(b))...)
	}
	return f
}

// TestSUNCouplingInverse: inverse(forward(U)) = U to 1e-12 and the
// log-Jacobians cancel (batch 2, weights N(0, 0.3²) in 2-d); zeroed weights give
// the identity.
func TestSUNCouplingInverse(t *testing.T) {
	for _, c := range sunCases {
		l, g := newSUNCoupling(t, c, 1, 1)
		x := haarBatch(g, 2, 10)
		y, lj := pass(l, false, nil, x, 2)
		checkInverse(t, l, x, 2, 1e-12)
		t.Logf("SU(%d) %v: logJ %.4f %.4f, links moved by %.2f", c.n, c.shape, lj[0], lj[1], maxDiff(x, y))
		if maxDiff(x, y) < 1e-3 || lj[0] == 0 {
			t.Errorf("SU(%d) %v: the layer hardly moves the links (%g)", c.n, c.shape, maxDiff(x, y))
		}
		randomize(l, rand.New(rand.NewPCG(1, 1)), 0)
		y, lj = pass(l, false, nil, x, 2)
		if maxDiff(x, y) > 1e-14 || math.Abs(lj[0]) > 1e-13 {
			t.Errorf("SU(%d) %v: zero weights move links by %g, logJ %g", c.n, c.shape, maxDiff(x, y), lj[0])
		}
	}
}

// TestSUNCouplingLogJ: in left charts of every link the Jacobian is block
// triangular (frozen links pass through; an updated link's output does not
// depend on another updated link: checked exactly), so logJ = Σ_active
// log|det J_x| of the (N²−1)×(N²−1) central-difference blocks: to 1e-7,
// forward and inverse.
func TestSUNCouplingLogJ(t *testing.T) {
	for _, c := range sunCases {
		l, g := newSUNCoupling(t, c, 1, 2)
		x := haarLinks(g, 20)
		n, na := c.n, c.n*c.n-1
		gens := sun.Generators(n)
		for _, inverse := range []bool{false, true} {
			y0, lj := pass(l, inverse, nil, x, 1)
			var sum float64
			e, om := make([]complex128, n*n), make([]complex128, n*n)
			for _, s := range l.Mask.Active() {
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
						for _, s2 := range l.Mask.Active() {
							if k2 := g.Link(c.mu, s2); k2 != k && !slices.Equal(sun.Mat(sun.Complex(yp), k2, n), sun.Mat(sun.Complex(y0), k2, n)) {
								t.Fatalf("SU(%d) %v: updated link %d moves when updated link %d is perturbed", n, c.shape, k2, k)
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
			if math.Abs(lj[0]-sum) > 1e-7 {
				t.Errorf("SU(%d) %v inverse=%v: logJ %.10f, finite differences %.10f", n, c.shape, inverse, lj[0], sum)
			}
		}
	}
}

// TestSUNCouplingVJP: for L = Σ dout·y + Σ dlogJ·logJ (random cotangents,
// batch 2), the input cotangent paired with a random tangent direction
// δU = iω·T U of every link equals the central difference of L along
// U → exp(iεω·T)U (h = 1e-6; 4 directions), and the parameter cotangents of
// 40 random conditioner weights equal their central differences: to 1e-6
// relative, forward and inverse.
func TestSUNCouplingVJP(t *testing.T) {
	for _, c := range sunCases {
		l, g := newSUNCoupling(t, c, 1, 3)
		checkSUNLinkVJP(t, fmt.Sprintf("SU(%d) %v", c.n, c.shape), l, g, c.n, 20)
	}
}

// checkSUNLinkVJP checks the VJPs of a layer l on SU(n) links of geometry g
// for L = Σ dout·y + Σ dlogJ·logJ (random cotangents, batch 2), forward and
// inverse: the input cotangent paired with a random tangent direction
// δU = iω·T U of every link against the central difference of L along
// U → exp(iεω·T)U (h = 1e-6; 4 directions), and the cotangents of up to 40
// conditioner weights (about one in every) against their central
// differences, to 1e-6 relative.
func checkSUNLinkVJP(t *testing.T, label string, l Layer, g *sungauge.Geometry, n, every int) {
	t.Helper()
	const nb = 2
	x := haarBatch(g, nb, 30)
	r := rand.New(rand.NewPCG(4, 4))
	dout, dlogJ := randn(r, len(x), 1), randn(r, nb, 1)
	obj := func(inverse bool, x []float64) float64 {
		y, lj := pass(l, inverse, nil, x, nb)
		var s float64
		for i := range y {
			s += dout[i] * y[i]
		}
		for b := range lj {
			s += dlogJ[b] * lj[b]
		}
		return s
	}
	set, err := nn.NewParamSet(l.Params())
	if err != nil {
		t.Fatal(err)
	}
	na := n*n - 1
	for _, inverse := range []bool{false, true} {
		grads := nn.NewGrads(set)
		tape := NewTape(grads)
		pass(l, inverse, tape, x, nb)
		din := make([]float64, len(x))
		tape.Backward(dout, dlogJ, din)
		for dir := range 4 {
			om := randn(r, nb*g.Links()*na, 1)
			move := func(eps float64) []float64 {
				xm := slices.Clone(x)
				u := sun.Complex(xm)
				xa := make([]complex128, n*n)
				w := make([]float64, na)
				for k := range nb * g.Links() {
					for a := range w {
						w[a] = eps * om[k*na+a]
					}
					sun.AlgebraElement(xa, w)
					sun.Exp(xa, xa)
					lk := sun.Mat(u, k, n)
					sun.Mul(lk, xa, lk)
				}
				return xm
			}
			const h = 1e-6
			fd := (obj(inverse, move(h)) - obj(inverse, move(-h))) / (2 * h)
			// the tangent δU = iω·T U, as floats
			tan := make([]float64, len(x))
			tu, u := sun.Complex(tan), sun.Complex(x)
			xa := make([]complex128, n*n)
			for k := range nb * g.Links() {
				sun.AlgebraElement(xa, om[k*na:(k+1)*na])
				sun.Mul(sun.Mat(tu, k, n), xa, sun.Mat(u, k, n))
			}
			var an float64
			for i := range din {
				an += din[i] * tan[i]
			}
			if math.Abs(an-fd) > 1e-6*(1+math.Abs(fd)) {
				t.Errorf("%s inverse=%v direction %d: VJP %.10g, finite difference %.10g", label, inverse, dir, an, fd)
			}
		}
		checked := 0
		for _, p := range set.Params {
			gp := grads.Of(p)
			for k := range p.Value {
				if r.IntN(every) != 0 || checked >= 40 {
					continue
				}
				checked++
				old := p.Value[k]
				p.Value[k] = old + 1e-6
				lp := obj(inverse, x)
				p.Value[k] = old - 1e-6
				lm := obj(inverse, x)
				p.Value[k] = old
				fd := (lp - lm) / 2e-6
				if math.Abs(fd-gp[k]) > 1e-6*(1+math.Abs(fd)) {
					t.Errorf("%s inverse=%v: ∂L/∂%s[%d] = %.10g, finite difference %.10g", label, inverse, p.Name, k, gp[k], fd)
				}
			}
		}
		if checked == 0 {
			t.Errorf("%s: no parameter checked", label)
		}
	}
}

// TestSUNCouplingEquivariance: forward and inverse commute with random local
// SU(N) transformations, links to 1e-10 and logJ to 1e-10.
func TestSUNCouplingEquivariance(t *testing.T) {
	for _, c := range sunCases {
		l, g := newSUNCoupling(t, c, 1, 5)
		checkSUNLinkEquivariance(t, fmt.Sprintf("SU(%d) %v", c.n, c.shape), l, g)
	}
}

// checkSUNLinkEquivariance checks that the forward and the inverse map of a
// layer l on SU(N) links of g commute with a random local SU(N)
// transformation of Haar-random links, links to 1e-10 and logJ to 1e-10.
func checkSUNLinkEquivariance(t *testing.T, label string, l Layer, g *sungauge.Geometry) {
	t.Helper()
	x := haarLinks(g, 40)
	om := haarOmega(g, 41)
	for _, inverse := range []bool{false, true} {
		y, lj := pass(l, inverse, nil, x, 1)
		gx := slices.Clone(x)
		g.Transform(sun.Complex(gx), om)
		gy, ljg := pass(l, inverse, nil, gx, 1)
		g.Transform(sun.Complex(y), om)
		if e := maxDiff(gy, y); e > 1e-10 || math.Abs(ljg[0]-lj[0]) > 1e-10 {
			t.Errorf("%s inverse=%v: f(ΩU) − Ωf(U) = %g, logJ differs by %g", label, inverse, e, ljg[0]-lj[0])
		}
	}
}

// TestSUNCouplingBadInput: wrong conditioner channels, knots, features and
// masks are one-line errors naming the value.
func TestSUNCouplingBadInput(t *testing.T) {
	g := sunGeo(t, 2, 4, 4)
	net, _ := nn.NewNet("n", g.Lattice(), nn.NetSpec{In: 2, Out: 13, Kernel: 3}, 1)
	bad, _ := nn.NewNet("n", g.Lattice(), nn.NetSpec{In: 3, Out: 13, Kernel: 3}, 1)
	for _, c := range []struct {
		net                 nn.Conditioner
		mu, nu, off, k, fea int
	}{{bad, 0, 1, 0, 5, 0}, {net, 0, 1, 0, 4, 0}, {net, 0, 1, 0, 5, 1}, {net, 0, 0, 0, 5, 0}, {net, 0, 1, 0, 1, 0}, {nil, 0, 1, 0, 5, 0}} {
		if _, err := NewSUNGaugeCoupling("s", g, c.mu, c.nu, 4, c.off, c.net, c.k, c.fea); err == nil {
			t.Errorf("%+v: no error", c)
		} else {
			t.Log(err)
		}
	}
	if _, err := NewSUNGaugeCoupling("s", g, 0, 1, 3, 0, net, 5, 0); err == nil {
		t.Error("period 3: no error")
	}
	if _, err := NewSUNGaugeCoupling("s", g, 0, 1, 4, 0, net, 5, 0); err != nil {
		t.Errorf("good layer: %v", err)
	}
}

// BenchmarkSUNCouplingSU3 is a taped forward pass and its backward pass of
// one SU(3) coupling on 4⁴ (64 updated links) for a batch of 8, conditioner
// hidden [8], kernel 1, float32:
//
//	go test -run '^$' -bench SUNCoupling -benchtime 20x ./flow
func BenchmarkSUNCouplingSU3(b *testing.B) {
	g, err := sungauge.NewGeometry(lattice.MustNew(4, 4, 4, 4), 3)
	if err != nil {
		b.Fatal(err)
	}
	np := sun.NewSpectral(3, 6, 2).NumParams()
	net, err := nn.NewNet("n", g.Lattice(), nn.NetSpec{In: 12, Out: np, Hidden: []int{8}, Kernel: 1,
		Activation: []string{"tanh"}, Bias: true}, 1)
	if err != nil {
		b.Fatal(err)
	}
	l, err := NewSUNGaugeCoupling("s", g, 0, 1, 4, 0, net, 6, 2)
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
