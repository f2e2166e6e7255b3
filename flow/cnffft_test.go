package flow

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"github.com/normflow/normflow-go/fft"
	"github.com/normflow/normflow-go/lattice"
)

var cnfFFTShapes = [][]int{{32, 32}, {4, 4}, {3, 3, 2}, {12}, {20, 5}, {6, 5}, {7}, {8, 1, 4}, {2}, {16, 8}, {1}, {9, 25}}

// randc returns n complex values with standard normal parts.
func randc(r *rand.Rand, n int) []complex128 {
	z := make([]complex128, n)
	for i := range z {
		z[i] = complex(r.NormFloat64(), r.NormFloat64())
	}
	return z
}

// The forward transform is the DFT Σ_x c(x) e^{−ik·x}, stored at pos[k]: against
// the direct sum and against package fft, to 1e-13 of the largest mode.
func TestCNFFFTForward(t *testing.T) { forEachFFTSIMD(t, testCNFFFTForward) }

func testCNFFFTForward(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, shape := range cnfFFTShapes {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			lat := lattice.MustNew(shape...)
			v := lat.Volume()
			pl := newCNFFFTPlan(lat)
			seen := make([]bool, v)
			for _, p := range pl.pos {
				if p < 0 || p >= v || seen[p] {
					t.Fatalf("pos is not a permutation of the sites: %v", pl.pos)
				}
				seen[p] = true
			}
			c := randc(r, v)
			got := append([]complex128(nil), c...)
			pl.forward(got)
			ref := append([]complex128(nil), c...)
			fft.NewPlan(lat).ForwardComplex(ref)
			var scale, eDirect, eFFT float64
			for k := range v {
				kk := lat.Coords(k)
				var s complex128
				for x := range v {
					xx := lat.Coords(x)
					var ph float64
					for mu, l := range shape {
						ph += float64(kk[mu]*xx[mu]%l) / float64(l)
					}
					s += c[x] * cmplx.Rect(1, -2*math.Pi*ph)
				}
				scale = max(scale, cmplx.Abs(s))
				eDirect = max(eDirect, cmplx.Abs(got[pl.pos[k]]-s))
				eFFT = max(eFFT, cmplx.Abs(got[pl.pos[k]]-ref[k]))
			}
			if !(eDirect <= 1e-13*scale && eFFT <= 1e-13*scale) {
				t.Errorf("max |X| = %.3g: off the direct DFT by %.3g, off package fft by %.3g", scale, eDirect, eFFT)
			}
		})
	}
}

// The inverse is the adjoint of the forward transform (⟨F a, b⟩ = ⟨a, F†b⟩)
// and inverse(forward(c)) = V·c.
func TestCNFFFTInverse(t *testing.T) { forEachFFTSIMD(t, testCNFFFTInverse) }

func testCNFFFTInverse(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for _, shape := range cnfFFTShapes {
		lat := lattice.MustNew(shape...)
		v := lat.Volume()
		pl := newCNFFFTPlan(lat)
		a, b := randc(r, v), randc(r, v)
		fa := append([]complex128(nil), a...)
		pl.forward(fa)
		ib := append([]complex128(nil), b...)
		pl.inverse(ib)
		var lhs, rhs complex128
		for i := range a {
			lhs += cmplx.Conj(fa[i]) * b[i]
			rhs += cmplx.Conj(a[i]) * ib[i]
		}
		if d := cmplx.Abs(lhs - rhs); !(d <= 1e-12*float64(v)) {
			t.Errorf("%v: ⟨F a, b⟩ = %.15g, ⟨a, F†b⟩ = %.15g", shape, lhs, rhs)
		}
		pl.inverse(fa)
		var e float64
		for i := range a {
			e = max(e, cmplx.Abs(fa[i]/complex(float64(v), 0)-a[i]))
		}
		if !(e <= 1e-14*math.Sqrt(float64(v))+1e-15) {
			t.Errorf("%v: inverse(forward(c))/V differs from c by %.3g", shape, e)
		}
	}
}

// forEachFFTSIMD runs f as a subtest on every FFT kernel set of this CPU
// (avx512, avx2, none) and restores the default afterwards.
func forEachFFTSIMD(t *testing.T, f func(*testing.T)) {
	levels := fftSIMDLevels()
	t.Cleanup(func() { setFFTSIMD(levels[0]) })
	for _, l := range levels {
		setFFTSIMD(l)
		t.Run(l, f)
	}
}

// Every kernel set gives the same bits as the portable Go code, forward and
// inverse, and inverse(forward(c)) = V·c on each.
func TestCNFFFTSIMDBitIdentical(t *testing.T) {
	shapes := [][]int{{32, 32}, {16, 16}, {8, 8}, {4, 4}, {64, 64}, {12, 12}, {20, 20}, {4, 4, 4},
		{2, 8}, {8, 2}, {6}, {32}, {3, 3, 2}, {2, 4, 2, 2}, {16, 8}, {8, 1, 4}, {6, 10}}
	levels := fftSIMDLevels()
	t.Cleanup(func() { setFFTSIMD(levels[0]) })
	t.Logf("kernel sets: %v", levels)
	r := rand.New(rand.NewPCG(25, 26))
	for _, shape := range shapes {
		lat := lattice.MustNew(shape...)
		v := lat.Volume()
		pl := newCNFFFTPlan(lat)
		c := randc(r, v)
		var refF, refI []complex128
		for _, l := range append(levels[len(levels)-1:], levels...) { // "none" first
			setFFTSIMD(l)
			f := append([]complex128(nil), c...)
			pl.forward(f)
			in := append([]complex128(nil), f...)
			pl.inverse(in)
			if refF == nil {
				refF, refI = f, in
				var e, scale float64
				for i := range c {
					e = max(e, cmplx.Abs(in[i]-complex(float64(v), 0)*c[i]))
					scale = max(scale, cmplx.Abs(complex(float64(v), 0)*c[i]))
				}
				if !(e <= 1e-12*scale) {
					t.Errorf("%v: inverse(forward(c)) off V·c by %.3g of %.3g", shape, e, scale)
				}
				continue
			}
			for i := range c {
				if !sameBits(f[i], refF[i]) {
					t.Errorf("%v %s: forward[%d] = %v, Go %v", shape, l, i, f[i], refF[i])
					break
				}
			}
			for i := range c {
				if !sameBits(in[i], refI[i]) {
					t.Errorf("%v %s: inverse[%d] = %v, Go %v", shape, l, i, in[i], refI[i])
					break
				}
			}
		}
	}
}

func sameBits(a, b complex128) bool {
	return math.Float64bits(real(a)) == math.Float64bits(real(b)) &&
		math.Float64bits(imag(a)) == math.Float64bits(imag(b))
}

// BenchmarkCNFFFTSIMD times one forward and one inverse 32×32 transform on
// each kernel set (the input is copied afresh each time, so no overflow).
func BenchmarkCNFFFTSIMD(b *testing.B) {
	lat := lattice.MustNew(32, 32)
	c0 := randc(rand.New(rand.NewPCG(1, 2)), lat.Volume())
	c := make([]complex128, len(c0))
	pl := newCNFFFTPlan(lat)
	levels := fftSIMDLevels()
	defer setFFTSIMD(levels[0])
	for _, l := range levels {
		b.Run(l, func(b *testing.B) {
			setFFTSIMD(l)
			for range b.N {
				copy(c, c0)
				pl.forward(c)
				pl.inverse(c)
			}
		})
	}
}

// BenchmarkCNFFFT times one forward and one inverse 32×32 transform.
func BenchmarkCNFFFT(b *testing.B) {
	lat := lattice.MustNew(32, 32)
	c := randc(rand.New(rand.NewPCG(1, 2)), lat.Volume())
	b.Run("cnf", func(b *testing.B) {
		pl := newCNFFFTPlan(lat)
		for range b.N {
			pl.forward(c)
			pl.inverse(c)
		}
	})
	b.Run("fft", func(b *testing.B) {
		pl := fft.NewPlan(lat)
		for range b.N {
			pl.ForwardComplex(c)
			pl.InverseComplex(c)
		}
	})
}

// BenchmarkCNFFFTShapes times forward + inverse on the lattices of the
// issue's scaling table, against package fft.
func BenchmarkCNFFFTShapes(b *testing.B) {
	for _, l := range []int{12, 20, 32} {
		lat := lattice.MustNew(l, l)
		c := randc(rand.New(rand.NewPCG(1, 2)), lat.Volume())
		b.Run(fmt.Sprintf("L%d/cnf", l), func(b *testing.B) {
			pl := newCNFFFTPlan(lat)
			for range b.N {
				pl.forward(c)
				pl.inverse(c)
			}
		})
		b.Run(fmt.Sprintf("L%d/fft", l), func(b *testing.B) {
			pl := fft.NewPlan(lat)
			for range b.N {
				pl.ForwardComplex(c)
				pl.InverseComplex(c)
			}
		})
	}
}

// cnfMulAcc, the mode-by-mode product of cnfFFT.apply, gives the same bits
// on every kernel set.
func TestCNFMulAccSIMDBitIdentical(t *testing.T) {
	levels := fftSIMDLevels()
	t.Cleanup(func() { setFFTSIMD(levels[0]) })
	r := rand.New(rand.NewPCG(27, 28))
	for _, n := range []int{1, 2, 3, 4, 7, 8, 37, 1024} {
		acc0, z := randc(r, n), randc(r, n)
		ka, kb := make([]float64, n), make([]float64, n)
		for i := range ka {
			ka[i], kb[i] = r.NormFloat64(), r.NormFloat64()
		}
		var ref []complex128
		for _, l := range append(levels[len(levels)-1:], levels...) { // "none" first
			setFFTSIMD(l)
			acc := append([]complex128(nil), acc0...)
			cnfMulAcc(acc, ka, kb, z)
			if ref == nil {
				ref = acc
				for k := range acc {
					if want := acc0[k] + cmul(complex(ka[k], -kb[k]), z[k]); !sameBits(acc[k], want) {
						t.Fatalf("n = %d: acc[%d] = %v, want %v", n, k, acc[k], want)
					}
				}
				continue
			}
			for k := range acc {
				if !sameBits(acc[k], ref[k]) {
					t.Errorf("n = %d %s: acc[%d] = %v, Go %v", n, l, k, acc[k], ref[k])
					break
				}
			}
		}
	}
}
