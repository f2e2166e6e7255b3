package nn

import (
	"fmt"
	"sync"

	"github.com/normflow/normflow-go/lattice"
)

// Stencil is the neighbour index table of a k^d kernel on a periodic lattice:
// for every site x and every kernel tap t, the site x + δ_t (periodic wrap).
// Taps are numbered in row-major order of the d-dimensional offset δ, each
// component running −(k−1)/2 … +(k−1)/2, so tap t and tap Taps()−1−t have
// opposite offsets. A Stencil is immutable and safe to share.
type Stencil struct {
	lat   *lattice.Lattice
	k     int
	taps  int
	sites int
	// idx[t*sites+x] is the site x + δ_t: tap-major, so that the convolution
	// kernels (gemm.go) step through the sites of one tap contiguously and
	// find the taps of one site at a fixed stride.
	idx []int32
}

type stencilKey struct {
	lat *lattice.Lattice
	k   int
}

// stencils caches the table of each (lattice, k): the layers of every network
// on one lattice share it.
var stencils sync.Map // stencilKey → *Stencil

// NewStencil returns the stencil of an odd kernel size k ≥ 1 on lat (any
// number of axes; a 0-d lattice has one tap). It is computed once per
// (lattice, k) and shared.
func NewStencil(lat *lattice.Lattice, k int) (*Stencil, error) {
	if lat == nil {
		return nil, fmt.Errorf("nn: stencil: nil lattice")
	}
	if k < 1 || k%2 == 0 {
		return nil, fmt.Errorf("nn: kernel = %d: must be an odd positive integer", k)
	}
	key := stencilKey{lat, k}
	if s, ok := stencils.Load(key); ok {
		return s.(*Stencil), nil
	}
	d, v := lat.Dim(), lat.Volume()
	taps := 1
	for range d {
		taps *= k
		if taps*v > 1<<31-1 {
			return nil, fmt.Errorf("nn: kernel = %d on a %s lattice: the stencil table is too large", k, lat)
		}
	}
	s := &Stencil{lat: lat, k: k, taps: taps, sites: v, idx: make([]int32, taps*v)}
	shape := lat.Shape()
	off := make([]int, d)
	y := make([]int, d)
	for x := 0; x < v; x++ {
		c := lat.Coords(x)
		for t := 0; t < taps; t++ {
			s.offset(t, off)
			for mu := range d {
				y[mu] = ((c[mu]+off[mu])%shape[mu] + shape[mu]) % shape[mu]
			}
			s.idx[t*v+x] = int32(lat.Index(y))
		}
	}
	actual, _ := stencils.LoadOrStore(key, s)
	return actual.(*Stencil), nil
}

// offset writes the offset δ_t of tap t into off (length d).
func (s *Stencil) offset(t int, off []int) {
	r := (s.k - 1) / 2
	for mu := len(off) - 1; mu >= 0; mu-- {
		off[mu] = t%s.k - r
		t /= s.k
	}
}

// Lattice is the lattice of the stencil.
func (s *Stencil) Lattice() *lattice.Lattice { return s.lat }

// Kernel is the kernel size k along every axis.
func (s *Stencil) Kernel() int { return s.k }

// Taps is the number of kernel taps k^d.
func (s *Stencil) Taps() int { return s.taps }

// Sites is the lattice volume V.
func (s *Stencil) Sites() int { return s.sites }

// Offset returns the offset δ_t of tap t (d components).
func (s *Stencil) Offset(t int) []int {
	off := make([]int, s.lat.Dim())
	s.offset(t, off)
	return off
}

// Neighbor returns the site x + δ_t.
func (s *Stencil) Neighbor(x, t int) int { return int(s.idx[t*s.sites+x]) }
