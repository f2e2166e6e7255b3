package flow

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/lattice"
)

// tile returns the field on lattice big that repeats each sample of phi
// (on small) periodically: φ′(x) = φ(x mod L).
func tile(small, big *lattice.Lattice, phi []float64) []float64 {
	v, w := small.Volume(), big.Volume()
	shape := small.Shape()
	out := make([]float64, len(phi)/v*w)
	for b := range len(phi) / v {
		for i := range w {
			x := big.Coords(i)
			for mu, l := range shape {
				x[mu] %= l
			}
			out[b*w+i] = phi[b*v+small.Index(x)]
		}
	}
	return out
}

// A layer carried from L to L′ (a multiple of L) maps the periodic tiling of a
// field to the tiling of its image, with logJ scaled by V′/V: the orbits
// keep their weights and the halved antipodal shells sum, over the offsets
// r′ ≡ r (mod L), to the kernel of L (docs/conventions.md §6.10).
func TestCNFTransferTiles(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for _, c := range []struct{ from, to []int }{
		{[]int{4, 4}, []int{8, 8}}, {[]int{4, 4}, []int{12, 12}}, {[]int{3, 3}, []int{6, 6}},
		{[]int{4, 4, 2}, []int{8, 8, 4}}, {[]int{6}, []int{12}}, {[]int{4, 2}, []int{8, 6}},
	} {
		for _, mode := range []int{cnfByFFT, cnfDirectly} {
			t.Run(fmt.Sprint(c.from, c.to, mode), func(t *testing.T) {
				small, big := lattice.MustNew(c.from...), lattice.MustNew(c.to...)
				opts := CNFOptions{Steps: 4, Freqs: 2, TimeFreqs: 1, Local: true}
				// Either basis on either side (§5.19, "Basis").
				srcOpts, dstOpts := opts, opts
				if len(c.from) == 2 {
					srcOpts.Basis = CNFMomentum
				}
				if c.from[0] == 4 {
					dstOpts.Basis = CNFMomentum
				}
				src := testCNF(t, small, srcOpts, mode, r, 0.5)
				dst, err := newCNF("cnf", big, dstOpts, mode)
				if err != nil {
					t.Fatal(err)
				}
				if err := dst.TransferFrom(src); err != nil {
					t.Fatal(err)
				}
				const batch = 2
				x := randn(r, batch*small.Volume(), 1)
				for _, inverse := range []bool{false, true} {
					y, lj := pass(src, inverse, nil, x, batch)
					yb, ljb := pass(dst, inverse, nil, tile(small, big, x), batch)
					want := tile(small, big, y)
					var d float64
					for i := range yb {
						d = max(d, math.Abs(yb[i]-want[i]))
					}
					f := float64(big.Volume()) / float64(small.Volume())
					for b := range lj {
						d = max(d, math.Abs(ljb[b]-f*lj[b])/(1+math.Abs(f*lj[b])))
					}
					if !(d <= 1e-12) {
						t.Errorf("inverse=%v: the carried layer differs from the tiled one by %.3g", inverse, d)
					}
				}
			})
		}
	}
}

// Layers that cannot be carried over are refused, naming why.
func TestCNFTransferRefuses(t *testing.T) {
	opts := CNFOptions{Steps: 4, Freqs: 2, TimeFreqs: 1}
	mk := func(shape []int, o CNFOptions) *CNF {
		c, err := NewCNF("cnf", lattice.MustNew(shape...), o)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	more := opts
	more.Freqs = 3
	for _, c := range []struct {
		from, to *CNF
		want     string
	}{
		{mk([]int{8, 8}, opts), mk([]int{4, 4}, opts), "at least as large"},
		{mk([]int{4, 4}, opts), mk([]int{8, 4}, opts), "axes of equal length"},
		{mk([]int{4, 4}, opts), mk([]int{8, 8, 2}, opts), "same number of axes"},
		{mk([]int{4, 4}, opts), mk([]int{8, 8}, more), "freqs, time_freqs or local differ"},
	} {
		err := c.to.TransferFrom(c.from)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v → %v: error %v, want one line naming %q", c.from.lat.Shape(), c.to.lat.Shape(), err, c.want)
		}
	}
}
