package flow

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/normflow/normflow-go/fft"
	"github.com/normflow/normflow-go/lattice"
	"gonum.org/v1/gonum/mat"
)

var fourierShapes = [][]int{{6}, {4, 4}, {2, 3, 2}, {5}}

func TestFourierContract(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, shape := range fourierShapes {
		lat := lattice.MustNew(shape...)
		for _, excl := range []bool{false, true} {
			f, err := NewFourier("fo", lat, 5, excl)
			if err != nil {
				t.Fatal(err)
			}
			randomize(f, r, 0.7)
			const batch = 3
			x := randn(r, batch*lat.Volume(), 1.5)
			checkInverse(t, f, x, batch, 1e-10)
			checkLogJ(t, f, x, batch, 1e-6)
			checkVJP(t, f, x, batch, r, 1e-5)
		}
	}
}

func TestFourierInit(t *testing.T) {
	lat := lattice.MustNew(4, 4)
	for _, excl := range []bool{false, true} {
		f, _ := NewFourier("fo", lat, 6, excl)
		q := f.Q()
		for k, w := range f.Weights() {
			want := 1 / math.Sqrt(1+math.Exp(FourierInitLogSlope)*q[k])
			if excl && k == 0 {
				want = 1
			}
			if !(math.Abs(w-want) <= 1e-14) || w > 1 || w < 0.996 {
				t.Errorf("excl=%v: w(%d) = %.15g at init, want %.15g", excl, k, w, want)
			}
		}
		if !excl {
			if w0 := f.Weights()[0]; w0 != 1 {
				t.Errorf("w(0) = %g at init, want 1", w0)
			}
		}
		r := rand.New(rand.NewPCG(1, 2))
		x := randn(r, 2*lat.Volume(), 1)
		y, logJ := pass(f, false, nil, x, 2)
		var nx, nd float64
		for i := range x {
			nx += x[i] * x[i]
			nd += (y[i] - x[i]) * (y[i] - x[i])
		}
		if math.Sqrt(nd/nx) > 0.0034 {
			t.Errorf("excl=%v: |y−x|/|x| = %g at init", excl, math.Sqrt(nd/nx))
		}
		if logJ[0] > 0 || logJ[0] < -0.0034*float64(lat.Volume()) {
			t.Errorf("excl=%v: logJ = %g at init", excl, logJ[0])
		}
	}
}

// w depends on k only through k̂², and decreases with it; w(0) = 1 when excluded.
func TestFourierWeightsRadial(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, shape := range [][]int{{6}, {4, 4}, {2, 3, 2}, {3, 4, 5}} {
		lat := lattice.MustNew(shape...)
		k2 := fft.MomentumSquared(lat)
		for _, excl := range []bool{false, true} {
			f, _ := NewFourier("fo", lat, 7, excl)
			randomize(f, r, 1)
			w := f.Weights()
			idx := make([]int, len(w))
			for i := range idx {
				idx[i] = i
			}
			slices.SortFunc(idx, func(a, b int) int {
				if excl && (a == 0 || b == 0) { // the zero mode is special
					return map[bool]int{true: -1, false: 1}[a == 0]
				}
				switch {
				case k2[a] < k2[b]:
					return -1
				case k2[a] > k2[b]:
					return 1
				}
				return 0
			})
			if excl && w[0] != 1 {
				t.Errorf("%v: w(0) = %g with the zero mode excluded", shape, w[0])
			}
			for j := 1; j < len(idx); j++ {
				a, b := idx[j-1], idx[j]
				if excl && a == 0 {
					continue
				}
				switch {
				case math.Abs(k2[a]-k2[b]) < 1e-12:
					if !(math.Abs(w[a]-w[b]) <= 1e-13*w[a]) {
						t.Errorf("%v: equal k̂² = %g but w(%d) = %.15g ≠ w(%d) = %.15g", shape, k2[a], a, w[a], b, w[b])
					}
				case w[b] >= w[a]:
					t.Errorf("%v: k̂² %g < %g but w %g ≤ %g", shape, k2[a], k2[b], w[a], w[b])
				}
			}
		}
	}
}

// Free theory: with S the identity, e^{pa} = m² and e^{pc} = max k̂²/m², the
// layer is A = (−∇² + m²)^{−1/2}; so A applied to N(0,1) noise has covariance
// A Aᵀ = (−∇² + m²)^{−1}, the free propagator. Checked exactly as matrices.
func TestFourierFreeField(t *testing.T) {
	for _, shape := range [][]int{{6}, {4, 4}, {2, 3, 2}} {
		lat := lattice.MustNew(shape...)
		v := lat.Volume()
		const m2 = 0.3
		f, _ := NewFourier("fo", lat, 4, false)
		f.LogScale.Value[0] = math.Log(m2)
		f.LogSlope.Value[0] = math.Log(slices.Max(fft.MomentumSquared(lat)) / m2)
		eye := make([]float64, v*v)
		for i := range v {
			eye[i*v+i] = 1
		}
		cols, logJ := pass(f, false, nil, eye, v) // row i = A e_i = column i of A (A symmetric)
		a := mat.NewDense(v, v, cols)
		var cov mat.Dense
		cov.Mul(a, a.T())
		// K = −∇² + m²
		k := mat.NewDense(v, v, nil)
		for i := range v {
			k.Set(i, i, k.At(i, i)+m2)
			for mu := range lat.Dim() {
				if shape[mu] == 1 {
					continue
				}
				for _, j := range []int{lat.Fwd(mu, i), lat.Bwd(mu, i)} {
					k.Set(i, i, k.At(i, i)+1)
					k.Set(i, j, k.At(i, j)-1)
				}
			}
		}
		var prod mat.Dense
		prod.Mul(&cov, k)
		for i := range v {
			for j := range v {
				want := 0.0
				if i == j {
					want = 1
				}
				if !(math.Abs(prod.At(i, j)-want) <= 1e-10) {
					t.Fatalf("%v: (A Aᵀ (−∇²+m²))[%d,%d] = %g, want %g", shape, i, j, prod.At(i, j), want)
				}
			}
		}
		// logJ = ½ log det (−∇²+m²)^{−1}.
		var lu mat.LU
		lu.Factorize(k)
		ld, _ := lu.LogDet()
		if !(math.Abs(logJ[0]+0.5*ld) <= 1e-10) {
			t.Errorf("%v: logJ = %g, want −½ log det K = %g", shape, logJ[0], -0.5*ld)
		}
	}
}

// The input VJP must not need parameter gradients (path-gradient use).
func TestFourierTapeWithoutGrads(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	lat := lattice.MustNew(4, 4)
	f, _ := NewFourier("fo", lat, 5, true)
	randomize(f, r, 0.5)
	x := randn(r, 2*lat.Volume(), 1)
	tape := NewTape(nil)
	pass(f, true, tape, x, 2)
	dout := randn(r, len(x), 1)
	din := make([]float64, len(x))
	tape.Backward(dout, []float64{0.3, -0.2}, din)
	// A⁻¹ is symmetric: din = A⁻¹ dout = inverse pass of dout.
	want, _ := pass(f, true, nil, dout, 2)
	for i := range din {
		if !(math.Abs(din[i]-want[i]) <= 1e-12) {
			t.Fatalf("din[%d] = %g, want %g", i, din[i], want[i])
		}
	}
}

// Concurrent passes (several workers, one layer) agree with a serial pass;
// run with -race.
func TestPSDConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	lat := lattice.MustNew(4, 4)
	psd, _ := NewPSD("psd", lat, 5, true, true, 5)
	randomize(psd, r, 0.5)
	x := randn(r, 4*lat.Volume(), 1)
	want, wantLJ := pass(psd, false, nil, x, 4)
	done := make(chan error, 4)
	for range 4 {
		go func() {
			tape := NewTape(nil)
			y, lj := pass(psd, false, tape, x, 4)
			din := make([]float64, len(x))
			tape.Backward(y, lj, din)
			for i := range y {
				if y[i] != want[i] {
					done <- errMismatch
					return
				}
			}
			if !slices.Equal(lj, wantLJ) {
				done <- errMismatch
				return
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

var errMismatch = errorString("concurrent pass differs from the serial one")

type errorString string

func (e errorString) Error() string { return string(e) }
