// Package fft computes N-dimensional discrete Fourier transforms of lattice
// fields, batched over row-major [batch, sites] slices in lattice site order
// (lattice.Lattice: last axis fastest). The transforms are separable: a 1-d
// complex FFT (gonum.org/v1/gonum/dsp/fourier) is applied along every axis of
// extent > 1, so any number of axes and any extents (odd, 1) are supported.
//
// Conventions (V = number of sites, k_μ = 2π n_μ / L_μ with 0 ≤ n_μ < L_μ;
// mode k is stored at the site index of coordinates n, i.e. the same row-major
// layout as the field):
//
//	Forward:  X(k) = Σ_x x(x) e^{−i k·x}                 (unnormalised)
//	Inverse:  x(x) = Re[ (1/V) Σ_k X(k) e^{+i k·x} ]      (normalised)
//
// so Inverse(Forward(x)) = x, and Parseval reads Σ_x x² = (1/V) Σ_k |X(k)|².
//
// Adjoints (for vector–Jacobian products). With the real inner products
// ⟨a, b⟩ = Σ a·b on real fields and ⟨A, B⟩ = Re Σ_k conj(A_k) B_k on spectra,
// both transforms are real-linear maps and
//
//	Forward† = V · Inverse   : ⟨Forward x, Y⟩ = ⟨x, V·Inverse(Y)⟩
//	Inverse† = Forward / V   : ⟨Inverse X, y⟩ = ⟨X, Forward(y)/V⟩
//
// Hence, for y = Forward(x), the cotangent ḡ_x = V·Inverse(ḡ_Y); for
// y = Inverse(X), ḡ_X = Forward(ḡ_y)/V. (Inverse keeps only the real part, so
// its adjoint is valid for any complex X, Hermitian-symmetric or not.)
//
// It serves the Fourier layers of package flow and prior.FreeField; a user
// of the library rarely calls it (start with package model).
package fft

import (
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/dsp/fourier"

	"github.com/normflow/normflow-go/lattice"
)

// Plan holds the per-axis FFT plans for one lattice shape. It is safe for
// concurrent use: scratch space is drawn from an internal pool.
type Plan struct {
	shape []int
	vol   int
	pool  sync.Pool // *work
}

// work is the mutable per-goroutine state of a Plan (gonum FFTs keep scratch).
type work struct {
	ffts      []*fourier.CmplxFFT // per axis; nil for extent 1
	line, res []complex128
	buf       []complex128
}

// NewPlan precomputes the transforms for lattice lat.
func NewPlan(lat *lattice.Lattice) *Plan {
	p := &Plan{shape: lat.Shape(), vol: lat.Volume()}
	p.pool.New = func() any { return p.newWork() }
	return p
}

func (p *Plan) newWork() *work {
	w := &work{ffts: make([]*fourier.CmplxFFT, len(p.shape)), buf: make([]complex128, p.vol)}
	maxL := 1
	for mu, l := range p.shape {
		if l > 1 {
			w.ffts[mu] = fourier.NewCmplxFFT(l)
		}
		maxL = max(maxL, l)
	}
	w.line = make([]complex128, maxL)
	w.res = make([]complex128, maxL)
	return w
}

// Volume is the number of sites (and modes) per sample.
func (p *Plan) Volume() int { return p.vol }

// Shape returns a copy of the lattice extents.
func (p *Plan) Shape() []int { return append([]int(nil), p.shape...) }

func (p *Plan) batch(n int, what string) int {
	if n%p.vol != 0 {
		panic(fmt.Sprintf("fft: %s length %d is not a multiple of the volume %d", what, n, p.vol))
	}
	return n / p.vol
}

// Forward writes the unnormalised DFT X(k) = Σ_x x(x) e^{−ik·x} of each sample
// of x [batch, V] into out [batch, V] (full complex spectrum, mode k at the site
// index of its integer coordinates n).
func (p *Plan) Forward(x []float64, out []complex128) {
	nb := p.batch(len(x), "input")
	if len(out) != len(x) {
		panic(fmt.Sprintf("fft: Forward output length %d, want %d", len(out), len(x)))
	}
	for i, v := range x {
		out[i] = complex(v, 0)
	}
	w := p.pool.Get().(*work)
	for b := 0; b < nb; b++ {
		p.transform(w, out[b*p.vol:(b+1)*p.vol], false)
	}
	p.pool.Put(w)
}

// Inverse writes x(x) = Re[(1/V) Σ_k X(k) e^{+ik·x}] of each sample of X
// [batch, V] into x [batch, V]. For a Hermitian-symmetric X (X(−k) = conj X(k))
// the discarded imaginary part is zero up to rounding.
func (p *Plan) Inverse(X []complex128, x []float64) {
	nb := p.batch(len(X), "input")
	if len(x) != len(X) {
		panic(fmt.Sprintf("fft: Inverse output length %d, want %d", len(x), len(X)))
	}
	w := p.pool.Get().(*work)
	inv := 1 / float64(p.vol)
	for b := 0; b < nb; b++ {
		c := w.buf
		copy(c, X[b*p.vol:(b+1)*p.vol])
		p.transform(w, c, true)
		for i, v := range c {
			x[b*p.vol+i] = real(v) * inv
		}
	}
	p.pool.Put(w)
}

// ForwardComplex transforms complex samples c [batch, V] in place:
// c(k) ← Σ_x c(x) e^{−ik·x}.
func (p *Plan) ForwardComplex(c []complex128) {
	nb := p.batch(len(c), "input")
	w := p.pool.Get().(*work)
	for b := 0; b < nb; b++ {
		p.transform(w, c[b*p.vol:(b+1)*p.vol], false)
	}
	p.pool.Put(w)
}

// InverseComplex transforms complex spectra c [batch, V] in place:
// c(x) ← (1/V) Σ_k c(k) e^{+ik·x} (real and imaginary parts kept).
func (p *Plan) InverseComplex(c []complex128) {
	nb := p.batch(len(c), "input")
	w := p.pool.Get().(*work)
	inv := complex(1/float64(p.vol), 0)
	for b := 0; b < nb; b++ {
		s := c[b*p.vol : (b+1)*p.vol]
		p.transform(w, s, true)
		for i := range s {
			s[i] *= inv
		}
	}
	p.pool.Put(w)
}

// transform applies the unnormalised 1-d DFT (sign − forward, + backward) along
// every axis of one sample c [V], in place.
func (p *Plan) transform(w *work, c []complex128, backward bool) {
	stride := p.vol
	for mu, l := range p.shape {
		stride /= l
		if l == 1 {
			continue
		}
		f := w.ffts[mu]
		line, res := w.line[:l], w.res[:l]
		outer := p.vol / (l * stride)
		for o := 0; o < outer; o++ {
			base := o * l * stride
			for s := 0; s < stride; s++ {
				off := base + s
				for j := range line {
					line[j] = c[off+j*stride]
				}
				if backward {
					f.Sequence(res, line)
				} else {
					f.Coefficients(res, line)
				}
				for j, v := range res {
					c[off+j*stride] = v
				}
			}
		}
	}
}

// MomentumSquared returns the lattice momentum squared k̂²(k) = Σ_μ 4 sin²(k_μ/2),
// k_μ = 2π n_μ/L_μ, for every mode in site order (the layout of Forward's output).
func MomentumSquared(lat *lattice.Lattice) []float64 {
	shape := lat.Shape()
	v := lat.Volume()
	out := make([]float64, v)
	for i := 0; i < v; i++ {
		n := lat.Coords(i)
		var s float64
		for mu, l := range shape {
			h := math.Sin(math.Pi * float64(n[mu]) / float64(l))
			s += 4 * h * h
		}
		out[i] = s
	}
	return out
}

// Momentum returns the wave vector components k_μ = 2π n_μ/L_μ of mode i,
// folded into (−π, π].
func Momentum(lat *lattice.Lattice, i int) []float64 {
	shape := lat.Shape()
	n := lat.Coords(i)
	k := make([]float64, len(shape))
	for mu, l := range shape {
		m := n[mu]
		if 2*m > l {
			m -= l
		}
		k[mu] = 2 * math.Pi * float64(m) / float64(l)
	}
	return k
}
