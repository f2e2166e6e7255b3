package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/lattice"
)

// withSIMD runs f with the kernels of each instruction set this CPU has
// ("none" is the portable Go code), restoring the default afterwards.
func withSIMD(t testing.TB, f func(level string)) {
	t.Helper()
	levels := simdLevels()
	defer setSIMD(levels[0])
	for _, l := range levels {
		if !setSIMD(l) {
			t.Fatalf("setSIMD(%q) refused a level simdLevels lists", l)
		}
		f(l)
	}
}

// naiveGemm is C += A·B by the definition, in float64.
func naiveGemm[T Float](m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) []float64 {
	out := make([]float64, len(c))
	for i, v := range c {
		out[i] = float64(v)
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			for p := 0; p < k; p++ {
				s += float64(a[i*lda+p]) * float64(b[p*ldb+j])
			}
			out[i*ldc+j] += s
		}
	}
	return out
}

func randSlice[T Float](r *rand.Rand, n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(r.NormFloat64())
	}
	return s
}

// testGemm compares gemm (whatever kernels are selected) with the
// definition on random shapes, strides wider than the matrices and a C that
// is accumulated into; elements outside the matrices must stay untouched and
// repeated calls must agree bit for bit.
func testGemm[T Float](t *testing.T, level string, tol float64) {
	r := rand.New(rand.NewPCG(3, 4))
	shapes := [][3]int{{1, 1, 1}, {4, 64, 9}, {16, 64, 144}, {2, 100, 144}, {3, 17, 5}, {70, 70, 70}, {5, 600, 300}, {1, 16, 1}, {7, 33, 2}}
	for range 60 {
		shapes = append(shapes, [3]int{1 + r.IntN(70), 1 + r.IntN(70), 1 + r.IntN(70)})
	}
	for _, sh := range shapes {
		m, n, k := sh[0], sh[1], sh[2]
		lda, ldb, ldc := k+r.IntN(5), n+r.IntN(5), n+r.IntN(5)
		a := randSlice[T](r, (m-1)*lda+k)
		b := randSlice[T](r, (k-1)*ldb+n)
		c0 := randSlice[T](r, (m-1)*ldc+n+3) // 3 elements past the matrix
		want := naiveGemm(m, n, k, a, lda, b, ldb, c0, ldc)
		c := slices.Clone(c0)
		gemm(m, n, k, a, lda, b, ldb, c, ldc)
		for i := range c {
			row, col := i/ldc, i%ldc
			if row >= m || col >= n {
				if c[i] != c0[i] {
					t.Fatalf("%s %T m=%d n=%d k=%d: element %d outside C changed", level, c[0], m, n, k, i)
				}
				continue
			}
			if !(math.Abs(float64(c[i])-want[i]) <= tol*math.Sqrt(float64(k))*(1+math.Abs(want[i]))) {
				t.Fatalf("%s %T m=%d n=%d k=%d lda=%d ldb=%d ldc=%d: C[%d,%d] = %g, want %g",
					level, c[0], m, n, k, lda, ldb, ldc, row, col, c[i], want[i])
			}
		}
		c2 := slices.Clone(c0)
		gemm(m, n, k, a, lda, b, ldb, c2, ldc)
		if !slices.Equal(c, c2) {
			t.Fatalf("%s %T m=%d n=%d k=%d: two calls differ", level, c[0], m, n, k)
		}
	}
}

// TestGemm checks every instruction set's gemm, and the portable one, in both
// precisions against the definition.
func TestGemm(t *testing.T) {
	withSIMD(t, func(level string) {
		testGemm[float32](t, level, 1e-6)
		testGemm[float64](t, level, 1e-14)
	})
}

// TestGemmGo exercises the portable gemm directly, whatever the CPU.
func TestGemmGo(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 30 {
		m, n, k := 1+r.IntN(70), 1+r.IntN(70), 1+r.IntN(70)
		lda, ldb, ldc := k+r.IntN(3), n+r.IntN(3), n+r.IntN(3)
		a := randSlice[float64](r, (m-1)*lda+k)
		b := randSlice[float64](r, (k-1)*ldb+n)
		c := randSlice[float64](r, (m-1)*ldc+n)
		want := naiveGemm(m, n, k, a, lda, b, ldb, c, ldc)
		gemmGo(m, n, k, a, lda, b, ldb, c, ldc)
		for i := range c {
			if i%ldc < n && !(math.Abs(c[i]-want[i]) <= 1e-13*(1+math.Abs(want[i]))) {
				t.Fatalf("m=%d n=%d k=%d: C[%d] = %g, want %g", m, n, k, i, c[i], want[i])
			}
		}
	}
}

// TestConvKernels compares the SIMD convolution kernels (convNN, convNT)
// with the portable ones on random lattices, kernels, channel counts and
// block widths, in both precisions.
func TestConvKernels(t *testing.T) {
	withSIMD(t, func(level string) {
		if level == "none" {
			return
		}
		testConvKernels[float32](t, level, 1e-5)
		testConvKernels[float64](t, level, 1e-13)
	})
}

func testConvKernels[T Float](t *testing.T, level string, tol float64) {
	r := rand.New(rand.NewPCG(7, 8))
	lanes := kernelsFor[T]().lanes
	shapes := [][]int{{8, 8}, {5}, {4, 3}, {3, 2, 4}, {2, 3, 2, 2}, {1}, {6, 5}}
	for ci := range 40 {
		shape := shapes[ci%len(shapes)]
		k := []int{1, 3, 5}[r.IntN(3)]
		s, err := NewStencil(lattice.MustNew(shape...), k)
		if err != nil {
			t.Fatal(err)
		}
		cin, cout := 1+r.IntN(9), 1+r.IntN(9)
		if ci == 0 {
			cin, cout = 16, 16
		}
		nb := lanes * (1 + r.IntN(9))
		v := s.Sites()
		x := randSlice[T](r, csbSize[T](cin, v, nb))
		a := randSlice[T](r, cout*s.Taps()*cin)
		y0 := randSlice[T](r, csbSize[T](cout, v, nb))
		var init []T
		if r.IntN(2) == 0 {
			init = randSlice[T](r, cout)
		}
		what := fmt.Sprintf("%s %T %v k=%d %d→%d nb=%d", level, x[0], shape, k, cin, cout, nb)
		want := slices.Clone(y0)
		convNNGo(s, cin, cout, nb, x, a, init, want)
		got := slices.Clone(y0)
		convNN(s, cin, cout, nb, x, a, init, got)
		scale := math.Sqrt(float64(s.Taps() * cin))
		for i := range want {
			if !(math.Abs(float64(got[i]-want[i])) <= tol*scale*(1+math.Abs(float64(want[i])))) {
				t.Fatalf("%s: convNN y[%d] = %g, portable %g", what, i, got[i], want[i])
			}
		}
		dw0 := randSlice[T](r, cout*cin*s.Taps())
		wantW := slices.Clone(dw0)
		convNTGo(s, cin, cout, nb, y0, x, wantW)
		gotW := slices.Clone(dw0)
		convNT(s, cin, cout, nb, y0, x, gotW)
		scale = math.Sqrt(float64(v * nb))
		for i := range wantW {
			if !(math.Abs(float64(gotW[i]-wantW[i])) <= tol*scale*(1+math.Abs(float64(wantW[i])))) {
				t.Fatalf("%s: convNT dw[%d] = %g, portable %g", what, i, gotW[i], wantW[i])
			}
		}
		again := slices.Clone(dw0)
		convNT(s, cin, cout, nb, y0, x, again)
		if !slices.Equal(again, gotW) {
			t.Fatalf("%s: two convNT calls differ", what)
		}
	}
}

// TestTanhVJPKernel: the tanh VJP kernels round exactly like the Go
// expression dy·(1 − y²), at any length (vector tails) and in place.
func TestTanhVJPKernel(t *testing.T) {
	withSIMD(t, func(level string) {
		testTanhVJP[float32](t, level)
		testTanhVJP[float64](t, level)
	})
}

func testTanhVJP[T Float](t *testing.T, level string) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{0, 1, 15, 16, 31, 32, 33, 100, 1000} {
		y, dy := randSlice[T](r, n), randSlice[T](r, n)
		dx := make([]T, n)
		tanhVJP(y, dy, dx)
		for i := range y {
			if want := dy[i] * (1 - y[i]*y[i]); dx[i] != want {
				t.Fatalf("%s %T n=%d: dx[%d] = %g, want %g", level, y[0], n, i, dx[i], want)
			}
		}
		tanhVJP(y, dy, dy) // in place
		if !slices.Equal(dx, dy) {
			t.Fatalf("%s %T n=%d: in place differs", level, dx, n)
		}
	}
}

// TestSumFloat64: the float64 sums of slices, vectorised or not, agree with
// the plain loop to rounding, at any length.
func TestSumFloat64(t *testing.T) {
	withSIMD(t, func(level string) {
		r := rand.New(rand.NewPCG(11, 12))
		for _, n := range []int{0, 1, 15, 16, 17, 64, 100, 4096} {
			s32, s64 := randSlice[float32](r, n), randSlice[float64](r, n)
			var w32, w64, abs float64
			for i := range n {
				w32 += float64(s32[i])
				w64 += s64[i]
				abs += math.Abs(s64[i]) + math.Abs(float64(s32[i]))
			}
			if got := sumFloat64(s32); !(math.Abs(got-w32) <= 1e-14*abs) {
				t.Fatalf("%s n=%d: float32 sum %g, want %g", level, n, got, w32)
			}
			if got := sumFloat64(s64); !(math.Abs(got-w64) <= 1e-14*abs) {
				t.Fatalf("%s n=%d: float64 sum %g, want %g", level, n, got, w64)
			}
		}
	})
}

// TestCSB: the block layout round-trips and pads with zeros.
func TestCSB(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	const c, v = 3, 5
	for _, cnt := range []int{1, 3, 4, 7, 9} {
		nb := cnt + r.IntN(3)
		src := randn(r, cnt*c*v, 1)
		blk := randSlice[float32](r, csbSize[float32](c, v, nb))
		toCSB(blk, src, cnt, nb, c, v)
		cs := csbStride[float32](v, nb)
		if cs < v*nb {
			t.Fatalf("channel stride %d < %d", cs, v*nb)
		}
		for j := range nb {
			for ch := range c {
				for x := range v {
					want := float32(0)
					if j < cnt {
						want = float32(src[(j*c+ch)*v+x])
					}
					if got := blk[ch*cs+x*nb+j]; got != want {
						t.Fatalf("cnt %d nb %d: block (%d, %d, %d) = %g, want %g", cnt, nb, ch, x, j, got, want)
					}
				}
			}
		}
		back := make([]float64, len(src))
		fromCSB(back, blk, cnt, nb, c, v)
		for i := range src {
			if back[i] != float64(float32(src[i])) {
				t.Fatalf("cnt %d: round trip [%d] = %g, want %g", cnt, i, back[i], src[i])
			}
		}
	}
}

// TestConvBlocks: convolutions of batches that span several blocks of
// samples (csb.go) and a padded last block match the direct loops.
func TestConvBlocks(t *testing.T) {
	withSIMD(t, func(level string) {
		for _, batch := range []int{65, 150} {
			c := convCase{shape: []int{4, 3}, k: 3, cin: 2, cout: 3, bias: true, batch: batch}
			cv, lat, x, w, bias := c.build(t, 21)
			want := naiveConv(lat, c.k, c.cin, c.cout, c.batch, x, w, bias)
			y := make([]float64, len(want))
			ConvForward(cv, batch, x, w, bias, y)
			y32 := make([]float32, len(want))
			ConvForward(cv, batch, to32(x), to32(w), to32(bias), y32)
			for i := range want {
				if !(math.Abs(y[i]-want[i]) <= 1e-12*(1+math.Abs(want[i]))) || !(math.Abs(float64(y32[i])-want[i]) <= 1e-5*(1+math.Abs(want[i]))) {
					t.Fatalf("%s batch %d: y[%d] = %g (float32 %g), direct loop %g", level, batch, i, y[i], y32[i], want[i])
				}
			}
			// the VJPs against per-sample calls
			dy := randn(newRand(22), len(y), 1)
			dx := make([]float64, len(x))
			ConvInputVJP(cv, batch, dy, w, dx)
			dw := make([]float64, len(w))
			ConvParamVJP(cv, batch, x, dy, dw, nil)
			v := lat.Volume()
			wantDW := make([]float64, len(w))
			for b := range batch {
				dxb := make([]float64, c.cin*v)
				ConvInputVJP(cv, 1, dy[b*c.cout*v:(b+1)*c.cout*v], w, dxb)
				for i := range dxb {
					if !(math.Abs(dxb[i]-dx[b*c.cin*v+i]) <= 1e-12*(1+math.Abs(dxb[i]))) {
						t.Fatalf("%s batch %d: dx of sample %d differs from a batch of one", level, batch, b)
					}
				}
				ConvParamVJP(cv, 1, x[b*c.cin*v:(b+1)*c.cin*v], dy[b*c.cout*v:(b+1)*c.cout*v], wantDW, nil)
			}
			for i := range dw {
				if !(math.Abs(dw[i]-wantDW[i]) <= 1e-11*(1+math.Abs(wantDW[i]))) {
					t.Fatalf("%s batch %d: dW[%d] = %g, per-sample sum %g", level, batch, i, dw[i], wantDW[i])
				}
			}
		}
	})
}

// TestNetSIMD: a conv net with batches of several blocks gives, with every
// instruction set (and the portable code), the outputs and cotangents of
// per-sample calls with the default kernels, and repeated calls agree bit for
// bit.
func TestNetSIMD(t *testing.T) {
	for _, prec := range []string{"float32", "float64"} {
		spec := NetSpec{In: 1, Out: 2, Hidden: []int{16, 5}, Kernel: 3, Activation: []string{"tanh", "leaky_relu"}, Bias: true, Precision: prec}
		n := mustNet(t, "c", []int{6, 4}, spec, 3)
		set, _ := NewParamSet(n.Params())
		v := n.Lattice().Volume()
		const batch = 140
		x := netInput(n, batch, 4)
		dy := randn(newRand(5), batch*2*v, 1)
		// the reference: one sample at a time
		wantY, wantDX, wantG := make([]float64, len(dy)), make([]float64, len(x)), NewGrads(set)
		for b := range batch {
			back := n.Forward(x[b*v:(b+1)*v], wantY[b*2*v:(b+1)*2*v], 1, true)
			back(dy[b*2*v:(b+1)*2*v], wantDX[b*v:(b+1)*v], wantG)
		}
		tol := 1e-12
		if prec == "float32" {
			tol = 2e-5
		}
		withSIMD(t, func(level string) {
			var first [3][]float64
			for round := range 2 {
				y, dx, g := make([]float64, len(dy)), make([]float64, len(x)), NewGrads(set)
				n.Forward(x, y, batch, true)(dy, dx, g)
				if round == 1 {
					if !slices.Equal(y, first[0]) || !slices.Equal(dx, first[1]) || !slices.Equal(g.Data, first[2]) {
						t.Fatalf("%s %s: two calls differ", prec, level)
					}
					continue
				}
				first = [3][]float64{y, dx, g.Data}
				for _, c := range []struct {
					what      string
					got, want []float64
				}{{"y", y, wantY}, {"dx", dx, wantDX}, {"grad", g.Data, wantG.Data}} {
					scale := maxAbs(c.want)
					for i := range c.want {
						if !(math.Abs(c.got[i]-c.want[i]) <= tol*scale) {
							t.Fatalf("%s %s: %s[%d] = %.10g, per sample %.10g", prec, level, c.what, i, c.got[i], c.want[i])
						}
					}
				}
			}
		})
	}
}

// TestNetSlabReuse: the block buffers a VJP keeps go back to a pool when the
// VJP has run, not before: a VJP held while many other passes run (and give
// their buffers back) and garbage collections happen still gives the results
// of a fresh pass; a VJP run twice panics instead of reading recycled memory.
func TestNetSlabReuse(t *testing.T) {
	spec := NetSpec{In: 1, Out: 2, Hidden: []int{8}, Kernel: 3, Activation: []string{"tanh"}, Bias: true}
	n := mustNet(t, "c", []int{4, 4}, spec, 1)
	set, _ := NewParamSet(n.Params())
	const batch = 40
	x := netInput(n, batch, 1)
	dy := randn(newRand(2), batch*2*16, 1)
	run := func(back NetBackward) ([]float64, []float64) {
		dx, g := make([]float64, len(x)), NewGrads(set)
		back(dy, dx, g)
		return dx, g.Data
	}
	y := make([]float64, len(dy))
	held := n.Forward(x, y, batch, true)
	for i := range 20 {
		other := netInput(n, batch, uint64(10+i))
		run(n.Forward(other, make([]float64, len(dy)), batch, true))
		runtime.GC()
	}
	dx, g := run(held)
	wantDX, wantG := run(n.Forward(x, make([]float64, len(dy)), batch, true))
	if !slices.Equal(dx, wantDX) || !slices.Equal(g, wantG) {
		t.Fatal("a held VJP changed after other passes and garbage collections")
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "twice") {
			t.Errorf("a VJP run twice: recover() = %v, want a panic saying so", r)
		}
	}()
	run(held)
}
