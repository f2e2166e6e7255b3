package fft

import (
	"fmt"
	"math"
	"math/cmplx"
	"sync"
	"testing"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/rng"
)

var testShapes = [][]int{{1}, {5}, {4, 3}, {3, 2, 4}, {2, 3, 2, 2}, {1, 7}, {6, 1, 5}}

// naiveDFT is the O(V²) definition X(k) = Σ_x x(x) e^{sign·i k·x}.
func naiveDFT(lat *lattice.Lattice, x []complex128, sign float64) []complex128 {
	shape := lat.Shape()
	v := lat.Volume()
	out := make([]complex128, v)
	for k := 0; k < v; k++ {
		nk := lat.Coords(k)
		var s complex128
		for i := 0; i < v; i++ {
			xi := lat.Coords(i)
			var ph float64
			for mu, l := range shape {
				ph += 2 * math.Pi * float64(nk[mu]*xi[mu]%l) / float64(l)
			}
			s += x[i] * cmplx.Exp(complex(0, sign*ph))
		}
		out[k] = s
	}
	return out
}

func randReal(seed uint64, n int) []float64 {
	s := rng.New(seed)
	x := make([]float64, n)
	for i := range x {
		x[i] = s.Norm()
	}
	return x
}

func randCmplx(seed uint64, n int) []complex128 {
	s := rng.New(seed)
	x := make([]complex128, n)
	for i := range x {
		x[i] = complex(s.Norm(), s.Norm())
	}
	return x
}

func TestForwardInverseAgainstNaive(t *testing.T) {
	const nb = 3
	for si, shape := range testShapes {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			lat := lattice.MustNew(shape...)
			v := lat.Volume()
			p := NewPlan(lat)
			x := randReal(uint64(si), nb*v)
			out := make([]complex128, nb*v)
			p.Forward(x, out)
			for b := 0; b < nb; b++ {
				xc := make([]complex128, v)
				for i := range xc {
					xc[i] = complex(x[b*v+i], 0)
				}
				want := naiveDFT(lat, xc, -1)
				for k := range want {
					if cmplx.Abs(out[b*v+k]-want[k]) > 1e-12 {
						t.Fatalf("forward b=%d k=%d: %v, want %v", b, k, out[b*v+k], want[k])
					}
				}
			}
			// Inverse against the naive inverse of a general complex spectrum.
			X := randCmplx(uint64(100+si), nb*v)
			xr := make([]float64, nb*v)
			p.Inverse(X, xr)
			c := append([]complex128(nil), X...)
			p.InverseComplex(c)
			for b := 0; b < nb; b++ {
				want := naiveDFT(lat, X[b*v:(b+1)*v], +1)
				for i := range want {
					w := want[i] / complex(float64(v), 0)
					if !(math.Abs(xr[b*v+i]-real(w)) <= 1e-12) {
						t.Fatalf("inverse b=%d x=%d: %g, want %g", b, i, xr[b*v+i], real(w))
					}
					if cmplx.Abs(c[b*v+i]-w) > 1e-12 {
						t.Fatalf("inverse complex b=%d x=%d: %v, want %v", b, i, c[b*v+i], w)
					}
				}
			}
			// ForwardComplex against naive.
			c = append([]complex128(nil), X...)
			p.ForwardComplex(c)
			for b := 0; b < nb; b++ {
				want := naiveDFT(lat, X[b*v:(b+1)*v], -1)
				for k := range want {
					if cmplx.Abs(c[b*v+k]-want[k]) > 1e-12 {
						t.Fatalf("forward complex b=%d k=%d: %v, want %v", b, k, c[b*v+k], want[k])
					}
				}
			}
		})
	}
}

func TestRoundTripAndParseval(t *testing.T) {
	const nb = 2
	for si, shape := range testShapes {
		lat := lattice.MustNew(shape...)
		v := lat.Volume()
		p := NewPlan(lat)
		x := randReal(uint64(200+si), nb*v)
		X := make([]complex128, nb*v)
		p.Forward(x, X)
		y := make([]float64, nb*v)
		p.Inverse(X, y)
		for i := range x {
			if !(math.Abs(x[i]-y[i]) <= 1e-12) {
				t.Fatalf("%v: inverse(forward(x))[%d] = %g, want %g", shape, i, y[i], x[i])
			}
		}
		for b := 0; b < nb; b++ {
			var sx, sk float64
			for i := b * v; i < (b+1)*v; i++ {
				sx += x[i] * x[i]
				sk += real(X[i])*real(X[i]) + imag(X[i])*imag(X[i])
			}
			if !(math.Abs(sx-sk/float64(v)) <= 1e-12*sx) {
				t.Errorf("%v: Parseval Σx² = %g, Σ|X|²/V = %g", shape, sx, sk/float64(v))
			}
		}
		// Hermitian symmetry of the spectrum of a real field: X(−k) = conj X(k).
		for k := 0; k < v; k++ {
			n := lat.Coords(k)
			for mu, l := range shape {
				n[mu] = (l - n[mu]) % l
			}
			if cmplx.Abs(X[lat.Index(n)]-cmplx.Conj(X[k])) > 1e-12 {
				t.Fatalf("%v: X(−k) ≠ conj X(k) at k=%d", shape, k)
			}
		}
	}
}

// TestAdjoint checks ⟨Fx, Y⟩ = ⟨x, V·Inverse(Y)⟩ and ⟨Inverse X, y⟩ = ⟨X, F y / V⟩
// with ⟨A, B⟩ = Re Σ conj(A)B on spectra, for random (non-Hermitian) Y, X.
func TestAdjoint(t *testing.T) {
	for si, shape := range testShapes {
		lat := lattice.MustNew(shape...)
		v := lat.Volume()
		p := NewPlan(lat)
		x := randReal(uint64(300+si), v)
		Y := randCmplx(uint64(400+si), v)
		Fx := make([]complex128, v)
		p.Forward(x, Fx)
		FtY := make([]float64, v)
		p.Inverse(Y, FtY)
		var lhs, rhs float64
		for i := range x {
			lhs += real(cmplx.Conj(Fx[i]) * Y[i])
			rhs += x[i] * float64(v) * FtY[i]
		}
		if !(math.Abs(lhs-rhs) <= 1e-11*(1+math.Abs(lhs))) {
			t.Errorf("%v: ⟨Fx,Y⟩ = %g, ⟨x,F†Y⟩ = %g", shape, lhs, rhs)
		}
		// Inverse† = Forward/V.
		y := randReal(uint64(500+si), v)
		Fy := make([]complex128, v)
		p.Forward(y, Fy)
		lhs, rhs = 0, 0
		for i := range y {
			lhs += FtY[i] * y[i]
			rhs += real(cmplx.Conj(Y[i])*Fy[i]) / float64(v)
		}
		if !(math.Abs(lhs-rhs) <= 1e-11*(1+math.Abs(lhs))) {
			t.Errorf("%v: ⟨Inv Y,y⟩ = %g, ⟨Y,Fy/V⟩ = %g", shape, lhs, rhs)
		}
	}
}

func TestMomentumSquared(t *testing.T) {
	lat := lattice.MustNew(4, 3)
	k2 := MomentumSquared(lat)
	cases := []struct {
		n    []int
		want float64
	}{
		{[]int{0, 0}, 0},
		{[]int{2, 0}, 4},     // k = (π, 0)
		{[]int{1, 0}, 2},     // 4 sin²(π/4)
		{[]int{0, 1}, 3},     // 4 sin²(π/3)
		{[]int{3, 2}, 2 + 3}, // (−π/2, −2π/3)
		{[]int{2, 1}, 4 + 3}, // (π, 2π/3)
		{[]int{1, 2}, 2 + 3}, // (π/2, 4π/3)
	}
	for _, c := range cases {
		if got := k2[lat.Index(c.n)]; !(math.Abs(got-c.want) <= 1e-14) {
			t.Errorf("k̂²%v = %g, want %g", c.n, got, c.want)
		}
	}
	// Small-k limit: k̂² ≈ k² for the lowest mode of a long chain.
	l := lattice.MustNew(1000)
	k := 2 * math.Pi / 1000
	if got := MomentumSquared(l)[1]; !(math.Abs(got-k*k) <= k*k*k*k/12*1.01) {
		t.Errorf("k̂²(2π/1000) = %g, want ≈ %g", got, k*k)
	}
	if m := Momentum(lat, lat.Index([]int{3, 2})); !(math.Abs(m[0]+math.Pi/2) <= 1e-15) || !(math.Abs(m[1]+2*math.Pi/3) <= 1e-15) {
		t.Errorf("Momentum(3,2) = %v", m)
	}
}

func TestConcurrentUse(t *testing.T) {
	lat := lattice.MustNew(6, 5)
	p := NewPlan(lat)
	v := lat.Volume()
	x := randReal(7, 4*v)
	want := make([]complex128, 4*v)
	p.Forward(x, want)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := make([]complex128, 4*v)
			for rep := 0; rep < 50; rep++ {
				p.Forward(x, out)
				for i := range out {
					if out[i] != want[i] {
						errs <- "concurrent Forward differs"
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

func TestLengthPanics(t *testing.T) {
	p := NewPlan(lattice.MustNew(3))
	defer func() {
		if recover() == nil {
			t.Error("no panic on bad length")
		}
	}()
	p.Forward(make([]float64, 4), make([]complex128, 4))
}
