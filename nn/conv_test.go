package nn

import (
	"fmt"
	"math"
	"testing"

	"github.com/normflow/normflow-go/lattice"
)

// naiveConv is the definition, written with coordinates and not the stencil
// table: y[b,o,x] = bias[o] + Σ_{i,δ} W[o,i,δ] x[b,i,x+δ], the offsets δ
// enumerated in row-major order by an odometer.
func naiveConv(lat *lattice.Lattice, k, cin, cout, batch int, x, w, bias []float64) []float64 {
	shape := lat.Shape()
	d, v := len(shape), lat.Volume()
	r := (k - 1) / 2
	taps := 1
	for range d {
		taps *= k
	}
	y := make([]float64, batch*cout*v)
	nb := make([]int, d)
	for b := 0; b < batch; b++ {
		for o := 0; o < cout; o++ {
			for site := 0; site < v; site++ {
				c := lat.Coords(site)
				s := 0.0
				if bias != nil {
					s = bias[o]
				}
				for i := 0; i < cin; i++ {
					off := make([]int, d)
					for mu := range off {
						off[mu] = -r
					}
					for t := 0; t < taps; t++ {
						for mu := range d {
							nb[mu] = ((c[mu]+off[mu])%shape[mu] + shape[mu]) % shape[mu]
						}
						s += w[(o*cin+i)*taps+t] * x[(b*cin+i)*v+lat.Index(nb)]
						// next offset, last axis fastest
						for mu := d - 1; mu >= 0; mu-- {
							if off[mu]++; off[mu] <= r {
								break
							}
							off[mu] = -r
						}
					}
				}
				y[(b*cout+o)*v+site] = s
			}
		}
	}
	return y
}

type convCase struct {
	shape      []int
	k          int
	cin, cout  int
	bias       bool
	batch      int
	descriptor string
}

func convCases() []convCase {
	var cs []convCase
	shapes := [][]int{{5}, {4, 3}, {3, 2, 4}, {2, 3, 2, 2}}
	chans := [][2]int{{1, 1}, {2, 3}, {3, 2}}
	for _, sh := range shapes {
		for _, k := range []int{1, 3} {
			for ci, ch := range chans {
				bias := ci%2 == 0
				if k == 3 {
					bias = !bias
				}
				cs = append(cs, convCase{shape: sh, k: k, cin: ch[0], cout: ch[1], bias: bias, batch: 2})
			}
		}
	}
	// kernel 5 on lattices at least 5 wide, and a kernel wider than the lattice
	cs = append(cs,
		convCase{shape: []int{7}, k: 5, cin: 2, cout: 2, bias: true, batch: 3},
		convCase{shape: []int{6, 5}, k: 5, cin: 2, cout: 3, bias: false, batch: 2},
		convCase{shape: []int{5, 5, 5}, k: 5, cin: 1, cout: 2, bias: true, batch: 1},
		convCase{shape: []int{2, 3}, k: 5, cin: 1, cout: 1, bias: true, batch: 1},
	)
	for i := range cs {
		cs[i].descriptor = fmt.Sprintf("%v/k%d/%d→%d/bias=%v", cs[i].shape, cs[i].k, cs[i].cin, cs[i].cout, cs[i].bias)
	}
	return cs
}

func (c convCase) build(t *testing.T, seed uint64) (Conv, *lattice.Lattice, []float64, []float64, []float64) {
	t.Helper()
	lat := lattice.MustNew(c.shape...)
	s, err := NewStencil(lat, c.k)
	if err != nil {
		t.Fatal(err)
	}
	cv := Conv{Stencil: s, In: c.cin, Out: c.cout}
	r := newRand(seed)
	x := randn(r, c.batch*c.cin*lat.Volume(), 1)
	w := randn(r, cv.WeightSize(), 1)
	var bias []float64
	if c.bias {
		bias = randn(r, c.cout, 1)
	}
	return cv, lat, x, w, bias
}

func TestConvMatchesNaive(t *testing.T) {
	for ci, c := range convCases() {
		cv, lat, x, w, bias := c.build(t, uint64(ci))
		want := naiveConv(lat, c.k, c.cin, c.cout, c.batch, x, w, bias)
		y := make([]float64, len(want))
		ConvForward(cv, c.batch, x, w, bias, y)
		for i := range want {
			if !(math.Abs(y[i]-want[i]) <= 1e-12*(1+math.Abs(want[i]))) {
				t.Fatalf("%s float64: y[%d] = %.15g, direct loop %.15g", c.descriptor, i, y[i], want[i])
			}
		}
		var b32 []float32
		if bias != nil {
			b32 = to32(bias)
		}
		y32 := make([]float32, len(want))
		ConvForward(cv, c.batch, to32(x), to32(w), b32, y32)
		scale := maxAbs(want)
		for i := range want {
			if !(math.Abs(float64(y32[i])-want[i]) <= 1e-5*(1+scale)) {
				t.Fatalf("%s float32: y[%d] = %.8g, direct loop %.8g", c.descriptor, i, y32[i], want[i])
			}
		}
	}
}

// TestConvOrientation pins the layout with one-hot weights and inputs: the
// tap in row-major position 1 of a 3×3 kernel has offset δ = (−1, 0), and
// cross-correlation reads x at x+δ, so an input at s shows up at s−δ.
func TestConvOrientation(t *testing.T) {
	lat := lattice.MustNew(4, 3)
	s, _ := NewStencil(lat, 3)
	if off := s.Offset(1); off[0] != -1 || off[1] != 0 {
		t.Fatalf("offset of tap 1 = %v, want [-1 0]", off)
	}
	cv := Conv{Stencil: s, In: 1, Out: 1}
	w := make([]float64, 9)
	w[1] = 1
	x := make([]float64, 12)
	x[lat.Index([]int{2, 1})] = 1
	y := make([]float64, 12)
	ConvForward(cv, 1, x, w, nil, y)
	for i, v := range y {
		want := 0.0
		if i == lat.Index([]int{3, 1}) {
			want = 1
		}
		if v != want {
			t.Fatalf("y at %v = %g, want %g", lat.Coords(i), v, want)
		}
	}
	// 1-d, by hand: y[x] = w0·x[x−1] + w1·x[x] + w2·x[x+1] (periodic).
	lat1 := lattice.MustNew(5)
	s1, _ := NewStencil(lat1, 3)
	x1 := []float64{1, 2, 3, 4, 5}
	w1 := []float64{100, 10, 1}
	y1 := make([]float64, 5)
	ConvForward(Conv{Stencil: s1, In: 1, Out: 1}, 1, x1, w1, []float64{0.5}, y1)
	for i, want := range []float64{0.5 + 500 + 10 + 2, 0.5 + 100 + 20 + 3, 0.5 + 200 + 30 + 4, 0.5 + 300 + 40 + 5, 0.5 + 400 + 50 + 1} {
		if y1[i] != want {
			t.Errorf("1-d y[%d] = %g, want %g", i, y1[i], want)
		}
	}
}

func TestStencil(t *testing.T) {
	lat := lattice.MustNew(3, 2, 4)
	s, err := NewStencil(lat, 3)
	if err != nil {
		t.Fatal(err)
	}
	if s.Taps() != 27 || s.Sites() != 24 || s.Kernel() != 3 || s.Lattice() != lat {
		t.Fatalf("taps %d sites %d kernel %d", s.Taps(), s.Sites(), s.Kernel())
	}
	if s2, _ := NewStencil(lat, 3); s2 != s {
		t.Error("the stencil of (lattice, k) is not shared")
	}
	for tp := 0; tp < s.Taps(); tp++ {
		a, b := s.Offset(tp), s.Offset(s.Taps()-1-tp)
		for mu := range a {
			if a[mu] != -b[mu] {
				t.Fatalf("taps %d and %d: offsets %v and %v are not opposite", tp, s.Taps()-1-tp, a, b)
			}
		}
	}
	// the centre tap is the site itself; tap offsets agree with Fwd/Bwd
	for x := 0; x < s.Sites(); x++ {
		if s.Neighbor(x, 13) != x {
			t.Fatalf("centre tap of site %d is %d", x, s.Neighbor(x, 13))
		}
		// offset (0, 0, +1) is tap 14; (+1, 0, 0) is tap 22; (0, −1, 0) is tap 10
		if s.Neighbor(x, 14) != lat.Fwd(2, x) || s.Neighbor(x, 22) != lat.Fwd(0, x) || s.Neighbor(x, 10) != lat.Bwd(1, x) {
			t.Fatalf("site %d: taps 14, 22, 10 = %d, %d, %d", x, s.Neighbor(x, 14), s.Neighbor(x, 22), s.Neighbor(x, 10))
		}
	}
	for _, k := range []int{0, -1, 2, 4} {
		if _, err := NewStencil(lat, k); err == nil {
			t.Errorf("kernel %d accepted", k)
		}
	}
	if _, err := NewStencil(nil, 3); err == nil {
		t.Error("nil lattice accepted")
	}
}

// TestConvVJP checks the input and parameter VJPs against central finite
// differences of L = Σ dy·y, and that parameter cotangents add.
func TestConvVJP(t *testing.T) {
	for ci, c := range convCases() {
		cv, _, x, w, bias := c.build(t, uint64(100+ci))
		r := newRand(uint64(200 + ci))
		dy := randn(r, c.batch*c.cout*cv.Stencil.Sites(), 1)
		y := make([]float64, len(dy))
		loss := func() float64 {
			ConvForward(cv, c.batch, x, w, bias, y)
			return dot(dy, y)
		}
		dx := randn(r, len(x), 1) // overwritten
		ConvInputVJP(cv, c.batch, dy, w, dx)
		checkFD(t, c.descriptor+" dx", x, dx, loss, 0.1, 1e-9)
		dw0 := randn(r, len(w), 1)
		dw := append([]float64(nil), dw0...)
		var db, db0 []float64
		if bias != nil {
			db0 = randn(r, len(bias), 1)
			db = append([]float64(nil), db0...)
		}
		ConvParamVJP(cv, c.batch, x, dy, dw, db)
		for i := range dw {
			dw[i] -= dw0[i]
		}
		checkFD(t, c.descriptor+" dW", w, dw, loss, 0.1, 1e-9)
		if bias != nil {
			for i := range db {
				db[i] -= db0[i]
			}
			checkFD(t, c.descriptor+" dbias", bias, db, loss, 0.1, 1e-9)
		}
		// float32 kernels agree with float64 ones
		dx32 := make([]float32, len(x))
		ConvInputVJP(cv, c.batch, to32(dy), to32(w), dx32)
		dw32 := make([]float32, len(w))
		ConvParamVJP(cv, c.batch, to32(x), to32(dy), dw32, nil)
		ConvInputVJP(cv, c.batch, dy, w, dx)
		for i := range dx {
			if !(math.Abs(float64(dx32[i])-dx[i]) <= 1e-5*(1+maxAbs(dx))) {
				t.Fatalf("%s: float32 dx[%d] = %g, float64 %g", c.descriptor, i, dx32[i], dx[i])
			}
		}
		for i := range dw {
			if !(math.Abs(float64(dw32[i])-dw[i]) <= 1e-5*(1+maxAbs(dw))) {
				t.Fatalf("%s: float32 dW[%d] = %g, float64 %g", c.descriptor, i, dw32[i], dw[i])
			}
		}
	}
}

func TestConvPanicsOnBadLengths(t *testing.T) {
	s, _ := NewStencil(lattice.MustNew(4), 3)
	cv := Conv{Stencil: s, In: 2, Out: 1}
	defer func() {
		if recover() == nil {
			t.Error("no panic for a short weight slice")
		}
	}()
	ConvForward(cv, 1, make([]float64, 8), make([]float64, 5), nil, make([]float64, 4))
}
