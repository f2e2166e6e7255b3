package flow

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/nn"
)

// testCNF makes a CNF layer with random parameters: weights of scale
// wscale/(number of offsets), frequencies near their initial values.
func testCNF(t testing.TB, lat *lattice.Lattice, opts CNFOptions, mode int, r *rand.Rand, wscale float64) *CNF {
	t.Helper()
	c, err := newCNF("cnf", lat, opts, mode)
	if err != nil {
		t.Fatal(err)
	}
	scale := wscale / math.Sqrt(float64(len(c.offsets)))
	for i := range c.Weights.Value {
		c.Weights.Value[i] = scale * r.NormFloat64()
	}
	for _, p := range []*nn.Param{c.Freqs, c.LocalFreqs} {
		if p != nil {
			for i := range p.Value {
				p.Value[i] += 0.3 * r.NormFloat64()
			}
		}
	}
	if c.LocalWeights != nil {
		for i := range c.LocalWeights.Value {
			c.LocalWeights.Value[i] = wscale * r.NormFloat64()
		}
	}
	return c
}

// evalField returns v(φ, t) and div v of one sample.
func evalField(c *CNF, phi []float64, t float64) ([]float64, float64) {
	s := c.state()
	st := c.newStage()
	c.at(s, st, t)
	out := make([]float64, len(phi))
	div := c.field(s, st, phi, out, c.work())
	return out, div
}

// The divergence equals the trace of the finite-difference Jacobian of v.
func TestCNFDivergence(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, shape := range [][]int{{4, 4}, {3, 3, 2}} {
		lat := lattice.MustNew(shape...)
		for _, mode := range []int{cnfByFFT, cnfDirectly} {
			for _, kernel := range []int{0, 1} {
				opts := CNFOptions{Steps: 1, Freqs: 3, TimeFreqs: 2, Kernel: kernel, Local: true}
				c := testCNF(t, lat, opts, mode, r, 1)
				phi := randn(r, lat.Volume(), 1.2)
				for _, tm := range []float64{0, 0.37, 1} {
					_, div := evalField(c, phi, tm)
					const h = 1e-5
					var tr float64
					for x := range phi {
						p := append([]float64(nil), phi...)
						p[x] += h
						vp, _ := evalField(c, p, tm)
						p[x] -= 2 * h
						vm, _ := evalField(c, p, tm)
						tr += (vp[x] - vm[x]) / (2 * h)
					}
					if !(math.Abs(tr-div) <= 1e-8*(1+math.Abs(tr))) {
						t.Errorf("%v mode %d kernel %d t=%g: div v = %.12g, trace of the Jacobian %.12g", shape, mode, kernel, tm, div, tr)
					}
				}
			}
		}
	}
}

// The FFT and direct convolutions give the same field.
func TestCNFConvModesAgree(t *testing.T) {
	for _, shape := range [][]int{{4, 4}, {3, 3, 2}, {6, 5}, {7}} {
		lat := lattice.MustNew(shape...)
		for _, kernel := range []int{0, 1, 2} {
			opts := CNFOptions{Steps: 1, Freqs: 2, TimeFreqs: 1, Kernel: kernel}
			if _, err := NewCNF("c", lat, opts); err != nil {
				continue // kernel larger than the lattice
			}
			a := testCNF(t, lat, opts, cnfByFFT, rand.New(rand.NewPCG(3, 4)), 1)
			b := testCNF(t, lat, opts, cnfDirectly, rand.New(rand.NewPCG(3, 4)), 1)
			phi := randn(rand.New(rand.NewPCG(5, 6)), lat.Volume(), 1)
			va, da := evalField(a, phi, 0.3)
			vb, db := evalField(b, phi, 0.3)
			for x := range va {
				if !(math.Abs(va[x]-vb[x]) <= 1e-12) {
					t.Fatalf("%v kernel %d: v[%d] = %.15g by FFT, %.15g directly", shape, kernel, x, va[x], vb[x])
				}
			}
			if !(math.Abs(da-db) <= 1e-12*(1+math.Abs(da))) {
				t.Errorf("%v kernel %d: div %.15g by FFT, %.15g directly", shape, kernel, da, db)
			}
		}
	}
}

// The layer contract (inverse, logJ by finite differences, VJPs) on tiny
// lattices, by FFT and directly, with and without the local term.
func TestCNFContract(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct {
		shape         []int
		mode, kernel  int
		freqs, tfreqs int
		local         bool
		basis         string
	}{
		{[]int{4, 4}, cnfByFFT, 0, 2, 1, true, ""},
		{[]int{4, 4}, cnfDirectly, 1, 2, 1, false, ""},
		{[]int{3, 3, 2}, cnfByFFT, 1, 3, 1, false, ""},
		{[]int{3, 3, 2}, cnfDirectly, 0, 2, 1, true, ""},
		{[]int{5}, cnfAuto, 0, 1, 2, true, ""},
		{[]int{6}, cnfAuto, 0, 0, 0, false, ""}, // v = K ∗ φ: a linear flow
		// The momentum basis: the weights' VJPs go through toPosᵀ.
		{[]int{4, 4}, cnfByFFT, 0, 2, 1, true, CNFMomentum},
		{[]int{3, 3, 2}, cnfDirectly, 0, 2, 1, false, CNFMomentum},
		{[]int{6, 4}, cnfAuto, 0, 1, 1, true, CNFMomentum},
	} {
		t.Run(fmt.Sprint(tc), func(t *testing.T) {
			lat := lattice.MustNew(tc.shape...)
			opts := CNFOptions{Steps: 4, Freqs: tc.freqs, TimeFreqs: tc.tfreqs, Kernel: tc.kernel, Local: tc.local, Basis: tc.basis}
			c := testCNF(t, lat, opts, tc.mode, r, 0.5)
			const batch = 2
			x := randn(r, batch*lat.Volume(), 1.2)
			checkVJP(t, c, x, batch, r, 1e-6)
			// The inverse and logJ hold to the integrator's O(h⁴).
			c.Opts.Steps = 40
			checkInverse(t, c, x, batch, 1e-5)
			checkLogJ(t, c, x, batch, 1e-5)
		})
	}
}

// localCNF makes a fresh layer flow.0 with the default settings and local = true.
func localCNF(t *testing.T, lat *lattice.Lattice) *CNF {
	t.Helper()
	opts := DefaultCNFOptions()
	opts.Local = true
	c, err := NewCNF("flow.0", lat, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The fresh layer (all weights zero) is the identity.
func TestCNFIdentityAtInit(t *testing.T) {
	lat := lattice.MustNew(4, 4)
	c := localCNF(t, lat)
	x := randn(rand.New(rand.NewPCG(9, 10)), 3*lat.Volume(), 1)
	for _, inverse := range []bool{false, true} {
		y, logJ := pass(c, inverse, nil, x, 3)
		for i := range x {
			if y[i] != x[i] {
				t.Fatalf("inverse=%v: y[%d] = %g, x = %g", inverse, i, y[i], x[i])
			}
		}
		for _, l := range logJ {
			if l != 0 {
				t.Fatalf("inverse=%v: logJ = %g at init", inverse, l)
			}
		}
	}
	want := []string{"flow.0.weights", "flow.0.freqs", "flow.0.local.weights", "flow.0.local.freqs"}
	for i, p := range c.Params() {
		if p.Name != want[i] {
			t.Errorf("parameter %d is %s, want %s", i, p.Name, want[i])
		}
	}
	if n := c.Weights.Shape; n[0] != 5 || n[1] != 4 || n[2] != 6 {
		t.Errorf("weights of shape %v, want [5 4 6] (6 orbits on 4×4)", n)
	}
}

// permuteSites returns the field φ′(x) = φ(m(x)) for a map m of coordinates.
func permuteSites(lat *lattice.Lattice, phi []float64, m func(x []int) []int) []float64 {
	v := lat.Volume()
	out := make([]float64, len(phi))
	for b := 0; b < len(phi)/v; b++ {
		for i := range v {
			out[b*v+i] = phi[b*v+lat.Index(m(lat.Coords(i)))]
		}
	}
	return out
}

// The layer commutes with translations, reflections, swaps of equal-length
// axes and φ → −φ, and its logJ is invariant, to 1e-12.
func TestCNFEquivariance(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, shape := range [][]int{{4, 4}, {3, 3, 2}, {4, 2}} {
		lat := lattice.MustNew(shape...)
		d := len(shape)
		type sym struct {
			name string
			m    func(x []int) []int // φ′(x) = φ(m(x))
			neg  bool
		}
		syms := []sym{{name: "φ → −φ", m: func(x []int) []int { return x }, neg: true}}
		shift := make([]int, d)
		for mu := range shift {
			shift[mu] = 1 + r.IntN(shape[mu])
		}
		syms = append(syms, sym{name: fmt.Sprint("translation by ", shift), m: func(x []int) []int {
			y := make([]int, d)
			for mu := range x {
				y[mu] = (x[mu] - shift[mu] + 2*shape[mu]) % shape[mu]
			}
			return y
		}})
		for mu := range d {
			syms = append(syms, sym{name: fmt.Sprint("reflection of axis ", mu), m: func(x []int) []int {
				y := append([]int(nil), x...)
				y[mu] = (shape[mu] - x[mu]) % shape[mu]
				return y
			}})
			for nu := mu + 1; nu < d; nu++ {
				if shape[mu] == shape[nu] {
					syms = append(syms, sym{name: fmt.Sprint("swap of axes ", mu, nu), m: func(x []int) []int {
						y := append([]int(nil), x...)
						y[mu], y[nu] = x[nu], x[mu]
						return y
					}})
				}
			}
		}
		for _, mode := range []int{cnfByFFT, cnfDirectly} {
			for _, kernel := range []int{0, 1} {
				opts := CNFOptions{Steps: 3, Freqs: 3, TimeFreqs: 2, Kernel: kernel, Local: true}
				c := testCNF(t, lat, opts, mode, r, 0.5)
				const batch = 2
				x := randn(r, batch*lat.Volume(), 1.2)
				for _, inverse := range []bool{false, true} {
					y, lj := pass(c, inverse, nil, x, batch)
					for _, s := range syms {
						tx := permuteSites(lat, x, s.m)
						ty := permuteSites(lat, y, s.m)
						if s.neg {
							for i := range tx {
								tx[i], ty[i] = -tx[i], -ty[i]
							}
						}
						got, glj := pass(c, inverse, nil, tx, batch)
						var dy, dl float64
						for i := range got {
							dy = max(dy, math.Abs(got[i]-ty[i]))
						}
						for b := range glj {
							dl = max(dl, math.Abs(glj[b]-lj[b])/(1+math.Abs(lj[b])))
						}
						if !(dy <= 1e-12 && dl <= 1e-12) {
							t.Errorf("%v mode %d kernel %d inverse=%v, %s: |f(Tx) − T f(x)| = %.2g, logJ differs by %.2g", shape, mode, kernel, inverse, s.name, dy, dl)
						}
					}
				}
			}
		}
	}
}

// The orbits of the offsets on a few lattices: counts and representatives.
func TestCNFOrbits(t *testing.T) {
	for _, c := range []struct {
		shape  []int
		kernel int
		orbits int
		sizes  map[string]int // offset coordinates → size of its orbit
	}{
		// folded values {0,1,2}, sorted pairs: (0,0) (0,1) (0,2) (1,1) (1,2) (2,2).
		{[]int{4, 4}, 0, 6, map[string]int{"[0 0]": 1, "[0 1]": 4, "[0 2]": 2, "[1 1]": 4, "[1 2]": 4, "[2 2]": 1}},
		{[]int{4, 4}, 1, 3, map[string]int{"[0 0]": 1, "[1 0]": 4, "[1 1]": 4}},
		// 3×3×2: axes 0, 1 of length 3 (folded {0,1}) swap, axis 2 (folded {0,1}) alone.
		{[]int{3, 3, 2}, 0, 6, map[string]int{"[0 0 0]": 1, "[0 0 1]": 1, "[1 0 0]": 4, "[1 0 1]": 4, "[1 1 0]": 4, "[1 1 1]": 4}},
		// 4×2: no swap; (1,0) and (0,1) in different orbits.
		{[]int{4, 2}, 0, 6, map[string]int{"[0 0]": 1, "[1 0]": 2, "[0 1]": 1, "[2 0]": 1, "[1 1]": 2, "[2 1]": 1}},
		{[]int{5}, 1, 2, map[string]int{"[0]": 1, "[1]": 2}},
	} {
		lat := lattice.MustNew(c.shape...)
		offsets, orbit, n := cnfOrbits(lat, c.kernel)
		if n != c.orbits {
			t.Errorf("%v kernel %d: %d orbits, want %d", c.shape, c.kernel, n, c.orbits)
		}
		size := make([]int, n)
		for _, o := range orbit {
			size[o]++
		}
		for j, r := range offsets {
			if want, ok := c.sizes[fmt.Sprint(lat.Coords(r))]; ok && size[orbit[j]] != want {
				t.Errorf("%v kernel %d: offset %v in an orbit of %d, want %d", c.shape, c.kernel, lat.Coords(r), size[orbit[j]], want)
			}
		}
		if orbit[0] != 0 || offsets[0] != 0 || size[0] != 1 {
			t.Errorf("%v: orbit 0 is not the offset 0 alone", c.shape)
		}
	}
}

// trainedCNF returns the layer in testdata/cnf_phi4_8x8.json: default
// settings with local = true on 8×8, trained for 300 steps (16 RK4 steps,
// batch 64, lr 0.01) on albergo2019 φ⁴ at m² = −4, λ = 4.572; it moves a
// field by 0.68 rms per site with logJ ≈ 66.
func trainedCNF(t *testing.T) (*CNF, *lattice.Lattice) {
	t.Helper()
	data, err := os.ReadFile("testdata/cnf_phi4_8x8.json")
	if err != nil {
		t.Fatal(err)
	}
	var vals map[string][]float64
	if err := json.Unmarshal(data, &vals); err != nil {
		t.Fatal(err)
	}
	lat := lattice.MustNew(8, 8)
	c := localCNF(t, lat)
	for _, p := range c.Params() {
		if len(vals[p.Name]) != len(p.Value) {
			t.Fatalf("%s: %d values stored, want %d", p.Name, len(vals[p.Name]), len(p.Value))
		}
		copy(p.Value, vals[p.Name])
	}
	return c, lat
}

// With the default steps the inverse undoes the forward map of a trained
// layer to 1e-8 (measured 7.2e-9 with 90 steps; 1.3e-8 with 80, 1.4e-7 with 50).
func TestCNFRoundTripDefaultSteps(t *testing.T) {
	c, lat := trainedCNF(t)
	x := randn(rand.New(rand.NewPCG(11, 12)), 2*lat.Volume(), 1)
	checkInverse(t, c, x, 2, 1e-8)
}

// With the default steps logJ is that of the discrete map to 1e-7 relative,
// forward and inverse, on a random 4×4 layer (measured 2.9e-7 on logJ ≈ 21
// with 100 steps, so about 4.4e-7 with 90; 4.4e-6 with 50).
func TestCNFLogJDefaultSteps(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	lat := lattice.MustNew(4, 4)
	c := testCNF(t, lat, CNFOptions{Steps: DefaultCNFOptions().Steps, Freqs: 3, TimeFreqs: 2, Local: true}, cnfAuto, r, 0.25)
	checkLogJ(t, c, randn(r, lat.Volume(), 1), 1, 1e-7)
}

// NewCNF rejects settings it cannot build, naming them.
func TestCNFBadOptions(t *testing.T) {
	ok := CNFOptions{Steps: 10, Freqs: 2, TimeFreqs: 1}
	with := func(f func(*CNFOptions)) CNFOptions { o := ok; f(&o); return o }
	for _, c := range []struct {
		shape []int
		opts  CNFOptions
		want  string
	}{
		{nil, ok, "at least one axis"},
		{[]int{4, 4}, with(func(o *CNFOptions) { o.Steps = 0 }), "steps = 0"},
		{[]int{4, 4}, with(func(o *CNFOptions) { o.Freqs = -1 }), "freqs = -1"},
		{[]int{4, 4}, with(func(o *CNFOptions) { o.TimeFreqs = -1 }), "time_freqs = -1"},
		{[]int{4, 4}, with(func(o *CNFOptions) { o.Kernel = 3 }), "kernel = 3: must lie in [0, 2]"},
		{[]int{6, 2}, with(func(o *CNFOptions) { o.Kernel = -1 }), "kernel = -1"},
		{[]int{4}, with(func(o *CNFOptions) { o.Freqs, o.Local = 0, true }), "local = true needs freqs >= 1"},
		{[]int{4, 4}, with(func(o *CNFOptions) { o.TrainSteps = -1 }), "train_steps = -1"},
		{[]int{4, 4}, with(func(o *CNFOptions) { o.Basis = "fourier" }), `basis = "fourier"`},
		{[]int{4, 4}, with(func(o *CNFOptions) { o.Basis, o.Kernel = CNFMomentum, 1 }), "needs kernel = 0"},
	} {
		_, err := NewCNF("c", lattice.MustNew(c.shape...), c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %+v: error %v, want it to name %q", c.shape, c.opts, err, c.want)
		}
	}
	// Kernel 3 fits a 6×2 lattice: it reaches the whole short axis.
	if _, err := NewCNF("c", lattice.MustNew(6, 2), with(func(o *CNFOptions) { o.Kernel = 3 })); err != nil {
		t.Error(err)
	}
}

// The momentum basis: its weights are the gains K̂(k) of the kernel they
// make (the DFT of K(r), compared with a direct sum over the lattice), and
// the two maps between the bases are inverse to each other
// (docs/conventions.md §5.19, "Basis").
func TestCNFMomentumBasis(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	for _, shape := range [][]int{{4, 4}, {6, 4}, {3, 3, 2}, {5}, {8, 8}} {
		lat := lattice.MustNew(shape...)
		c := testCNF(t, lat, CNFOptions{Steps: 1, Freqs: 1, TimeFreqs: 0, Basis: CNFMomentum}, cnfAuto, r, 1)
		n := c.nOrb
		for o := range n {
			for q := range n {
				var sum float64
				for p := range n {
					sum += c.toMom[o*n+p] * c.toPos[p*n+q]
				}
				want := 0.0
				if o == q {
					want = 1
				}
				if !(math.Abs(sum-want) <= 1e-12) {
					t.Fatalf("%v: (toMom·toPos)[%d][%d] = %.15g, want %g", shape, o, q, sum, want)
				}
			}
		}
		w := c.state().w // position weights [F][nOrb]
		for b := range c.nf {
			for k := range lat.Volume() {
				kc := lat.Coords(k)
				var re, im float64
				for x := range lat.Volume() {
					xc := lat.Coords(x)
					var p float64
					for mu, l := range shape {
						p += float64(kc[mu]*xc[mu]) / float64(l)
					}
					re += w[b*n+c.orbit[x]] * math.Cos(2*math.Pi*p)
					im -= w[b*n+c.orbit[x]] * math.Sin(2*math.Pi*p)
				}
				if want := c.Weights.Value[b*n+c.orbit[k]]; !(math.Abs(re-want) <= 1e-12 && math.Abs(im) <= 1e-12) {
					t.Fatalf("%v feature %d: K̂ at mode %v = %.15g%+.3gi, want the weight %.15g", shape, b, kc, re, im, want)
				}
			}
		}
	}
}

// TrainSteps: a taped pass integrates with TrainSteps steps, bit for bit the
// pass of a layer with Steps = TrainSteps (so the VJPs, checked for that
// layer by TestCNFContract, are those of the training map), and an untaped
// pass keeps Steps (docs/conventions.md §5.19, "Training steps").
func TestCNFTrainSteps(t *testing.T) {
	lat := lattice.MustNew(4, 4)
	opts := CNFOptions{Steps: 12, TrainSteps: 3, Freqs: 2, TimeFreqs: 1, Local: true, Basis: CNFMomentum}
	c := testCNF(t, lat, opts, cnfAuto, rand.New(rand.NewPCG(21, 22)), 0.5)
	train := func(steps int) *CNF {
		o := opts
		o.Steps, o.TrainSteps = steps, 0
		d := testCNF(t, lat, o, cnfAuto, rand.New(rand.NewPCG(21, 22)), 0.5)
		return d
	}
	const batch = 2
	x := randn(rand.New(rand.NewPCG(23, 24)), batch*lat.Volume(), 1)
	for _, inverse := range []bool{false, true} {
		for _, tc := range []struct {
			tape  *Tape
			steps int
		}{{NewTape(nil), 3}, {nil, 12}} {
			y, lj := pass(c, inverse, tc.tape, x, batch)
			wy, wlj := pass(train(tc.steps), inverse, nil, x, batch)
			if !slices.Equal(y, wy) || !slices.Equal(lj, wlj) {
				t.Errorf("inverse=%v taped=%v: differs from the layer with %d steps", inverse, tc.tape != nil, tc.steps)
			}
		}
	}
}
