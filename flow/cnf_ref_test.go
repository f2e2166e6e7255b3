package flow

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/normflow/normflow-go/lattice"
)

// refCNFForward is a direct implementation of the untaped forward pass
// (docs/conventions.md §5.19), independent of the layer's FFT, kernel
// representations and sin/cos: math.Sincos for the features, the kernel
// K_b(r, t) = Σ_a g_a(t) W_{a,b,o(r)} summed over all pairs of sites, and
// classical RK4 for φ and logJ.
func refCNFForward(c *CNF, x []float64, steps int) ([]float64, []float64) {
	s := c.state()
	lat, v, nb := c.lat, c.vol, len(x)/c.vol
	shape := lat.Shape()
	diff := make([][]int, v) // diff[x][y]: the offset x − y
	for i := range v {
		diff[i] = make([]int, v)
		ci := lat.Coords(i)
		for j := range v {
			cj := lat.Coords(j)
			d := make([]int, len(shape))
			for mu, l := range shape {
				d[mu] = (ci[mu] - cj[mu] + l) % l
			}
			diff[i][j] = lat.Index(d)
		}
	}
	field := func(phi []float64, t float64) ([]float64, float64) {
		g := make([]float64, c.nt)
		g[0] = 1
		for k := 1; 2*k < c.nt; k++ {
			g[2*k-1], g[2*k] = math.Cos(math.Pi*float64(k)*t), math.Sin(math.Pi*float64(k)*t)
		}
		kern := func(b, r int) float64 {
			var sum float64
			for a := range c.nt {
				sum += g[a] * s.w[(a*c.nf+b)*c.nOrb+c.orbit[r]]
			}
			return sum
		}
		f := make([][]float64, c.nf)
		var div float64
		for b := range c.nf {
			f[b] = make([]float64, v)
			for i, p := range phi {
				if b == c.nf-1 {
					f[b][i] = p
					div += kern(b, 0)
					continue
				}
				sn, cs := math.Sincos(s.om[b] * p)
				f[b][i] = sn
				div += kern(b, 0) * s.om[b] * cs
			}
		}
		out := make([]float64, v)
		for b := range c.nf {
			kr := make([]float64, v)
			for r := range v {
				kr[r] = kern(b, r)
			}
			for i := range v {
				for j := range v {
					out[i] += kr[diff[i][j]] * f[b][j]
				}
			}
		}
		for ci, nu := range s.nu {
			var u float64
			for a := range c.nt {
				u += g[a] * s.lw[a*c.nl+ci]
			}
			for i, p := range phi {
				sn, cs := math.Sincos(nu * p)
				out[i] += u * sn
				div += u * nu * cs
			}
		}
		return out, div
	}
	y, logJ := make([]float64, len(x)), make([]float64, nb)
	h := 1 / float64(steps)
	for b := range nb {
		phi := append([]float64(nil), x[b*v:(b+1)*v]...)
		for step := range steps {
			t := float64(step) * h
			acc := append([]float64(nil), phi...)
			k := make([]float64, v)
			for i := range 4 {
				si := make([]float64, v)
				for j := range si {
					si[j] = phi[j] + rk4A[i]*h*k[j]
				}
				var div float64
				k, div = field(si, t+rk4C[i]*h)
				for j := range acc {
					acc[j] += rk4W[i] * h * k[j]
				}
				logJ[b] += rk4W[i] * h * div
			}
			phi = acc
		}
		copy(y[b*v:], phi)
	}
	return y, logJ
}

// The untaped forward pass (FFT convolution, table sin/cos, per-stage
// kernels) agrees with the direct reference to 1e-12 of the field's scale,
// and logJ to 1e-12 relative, on even, mixed and odd lattices, in both
// bases, with and without the local term.
func TestCNFForwardMatchesReference(t *testing.T) {
	for _, tc := range []struct {
		shape []int
		basis string
		local bool
	}{
		{[]int{8, 8}, CNFMomentum, true},
		{[]int{8, 8}, CNFPosition, false},
		{[]int{6, 4}, CNFMomentum, true},
		{[]int{5, 3}, CNFMomentum, true},
		{[]int{7}, CNFPosition, true},
	} {
		lat := lattice.MustNew(tc.shape...)
		r := rand.New(rand.NewPCG(5, 6))
		opts := CNFOptions{Steps: 6, Freqs: 3, TimeFreqs: 2, Local: tc.local, Basis: tc.basis}
		c := testCNF(t, lat, opts, cnfAuto, r, 0.5)
		const batch = 3
		x := randn(r, batch*lat.Volume(), 1)
		y, logJ := make([]float64, len(x)), make([]float64, batch)
		c.Forward(nil, x, y, logJ)
		wy, wlogJ := refCNFForward(c, x, opts.Steps)
		var scale, worst float64
		for i := range y {
			scale = max(scale, math.Abs(wy[i]))
			worst = max(worst, math.Abs(y[i]-wy[i]))
		}
		if worst > 1e-12*scale || scale == 0 {
			t.Errorf("%v %s local=%v: φ(1) differs from the reference by %.3g (scale %.3g)", tc.shape, tc.basis, tc.local, worst, scale)
		}
		var worstJ float64
		for b := range logJ {
			d := math.Abs(logJ[b] - wlogJ[b])
			worstJ = max(worstJ, d/math.Abs(wlogJ[b]))
			if d > 1e-12*math.Abs(wlogJ[b]) {
				t.Errorf("%v %s local=%v: logJ[%d] = %.17g, reference %.17g", tc.shape, tc.basis, tc.local, b, logJ[b], wlogJ[b])
			}
		}
		t.Logf("%v %s local=%v: largest difference %.3g of %.3g; logJ relative %.3g", tc.shape, tc.basis, tc.local, worst, scale, worstJ)
	}
}
