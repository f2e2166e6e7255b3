package nn

import "fmt"

// Conv is the geometry of one N-d circular (periodic) convolution on a lattice:
//
//	y[b,o,x] = bias[o] + Σ_{i,t} W[o,i,t] · x[b,i,x+δ_t]
//
// with x [batch, In, V], y [batch, Out, V] (sites in the lattice's row-major
// order), W [Out, In, taps] (taps in row-major order of the offset δ, see
// Stencil) and bias [Out]. This is cross-correlation, like PyTorch's Conv2d with
// padding_mode='circular' and padding (k−1)/2, but on any number of axes.
//
// The batch is split into blocks of samples in the [channels, sites,
// samples] layout (csb.go); the convolution of a block is one GEMM over all
// its samples and taps, y [Out, V·nb] = W [Out, taps·In] · (shifted rows of x),
// the input VJP is the same convolution of dy with the flipped, transposed
// kernel, and the weight VJP is its A·Bᵀ counterpart. All three go through
// the seam of gemm.go.
type Conv struct {
	Stencil *Stencil
	In, Out int
}

// WeightSize is the number of kernel weights Out·In·taps.
func (c Conv) WeightSize() int { return c.Out * c.In * c.Stencil.taps }

// check panics unless slices of lengths nx (input), ny (output), nw (weights)
// and nb (bias; −1 for none) fit batch samples.
func (c Conv) check(batch, nx, ny, nw, nb int) {
	v := c.Stencil.sites
	if nx != batch*c.In*v || ny != batch*c.Out*v || nw != c.WeightSize() || (nb >= 0 && nb != c.Out) {
		panic(fmt.Sprintf("nn: conv %d→%d on %d sites, batch %d: len(x) = %d, len(y) = %d, len(w) = %d, len(bias) = %d",
			c.In, c.Out, v, batch, nx, ny, nw, nb))
	}
}

// lenOrNone is len(s), or −1 for a nil slice (an absent bias).
func lenOrNone[T Float](s []T) int {
	if s == nil {
		return -1
	}
	return len(s)
}

// ConvForward computes y (overwritten) from x, the weights w and bias (nil:
// none).
func ConvForward[T Float](c Conv, batch int, x, w, bias, y []T) {
	c.check(batch, len(x), len(y), len(w), lenOrNone(bias))
	taps := c.Stencil.taps
	wk := make([]T, len(w))
	convKernel(c.Out, c.In, taps, w, wk)
	if bias == nil {
		bias = make([]T, c.Out)
	}
	convBatch(c.Stencil, c.In, c.Out, batch, x, wk, bias, y)
}

// ConvInputVJP writes into dx (overwriting) the cotangent of x given the
// cotangent dy of y.
func ConvInputVJP[T Float](c Conv, batch int, dy, w, dx []T) {
	c.check(batch, len(dx), len(dy), len(w), -1)
	wt := make([]T, len(w))
	convKernelVJP(c.Out, c.In, c.Stencil.taps, w, wt)
	convBatch(c.Stencil, c.Out, c.In, batch, dy, wt, make([]T, c.In), dx)
}

// convBatch runs convNN on a batch in the batch layout, block by block:
// y = init + wk ⋆ x with x [batch, cin, V], y [batch, cout, V].
func convBatch[T Float](s *Stencil, cin, cout, batch int, x, wk, init, y []T) {
	v := s.sites
	nbMax := sampleBlock[T](batch)
	xb, yb := make([]T, csbSize[T](cin, v, nbMax)), make([]T, csbSize[T](cout, v, nbMax))
	for s0 := 0; s0 < batch; s0 += nbMax {
		cnt := min(nbMax, batch-s0)
		nb := padSamples[T](cnt)
		toCSB(xb, x[s0*cin*v:(s0+cnt)*cin*v], cnt, nb, cin, v)
		convNN(s, cin, cout, nb, xb, wk, init, yb)
		fromCSB(y[s0*cout*v:(s0+cnt)*cout*v], yb, cnt, nb, cout, v)
	}
}

// ConvParamVJP adds into dw and dbias (nil: skip it) the cotangents of the
// weights and bias given the input x and the cotangent dy of y.
func ConvParamVJP[T Float](c Conv, batch int, x, dy, dw, dbias []T) {
	c.check(batch, len(x), len(dy), len(dw), lenOrNone(dbias))
	s, v := c.Stencil, c.Stencil.sites
	nbMax := sampleBlock[T](batch)
	xb, gb := make([]T, csbSize[T](c.In, v, nbMax)), make([]T, csbSize[T](c.Out, v, nbMax))
	for s0 := 0; s0 < batch; s0 += nbMax {
		cnt := min(nbMax, batch-s0)
		nb := padSamples[T](cnt)
		toCSB(xb, x[s0*c.In*v:(s0+cnt)*c.In*v], cnt, nb, c.In, v)
		toCSB(gb, dy[s0*c.Out*v:(s0+cnt)*c.Out*v], cnt, nb, c.Out, v)
		convNT(s, c.In, c.Out, nb, gb, xb, dw)
	}
	if dbias != nil {
		for b := 0; b < batch; b++ {
			for o := range c.Out {
				var s T
				for _, g := range dy[(b*c.Out+o)*v : (b*c.Out+o+1)*v] {
					s += g
				}
				dbias[o] += s
			}
		}
	}
}
