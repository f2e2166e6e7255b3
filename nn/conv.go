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
// Each sample is one matrix product, y_b [Out, V] = W [Out, In·taps] · P
// [In·taps, V], with P the gathered patch matrix (im2col); the input VJP is the
// same convolution of dy with the flipped, transposed kernel, and the weight
// VJP is dy_b · Pᵀ. All three go through gemm.
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
	convForward(c.Stencil, c.In, c.Out, batch, x, w, bias, y, make([]T, c.patchSize(c.In)))
}

// ConvInputVJP writes into dx (overwriting) the cotangent of x given the
// cotangent dy of y.
func ConvInputVJP[T Float](c Conv, batch int, dy, w, dx []T) {
	c.check(batch, len(dx), len(dy), len(w), -1)
	wt := make([]T, len(w))
	flipTranspose(c.Out, c.In, c.Stencil.taps, w, wt)
	convForward(c.Stencil, c.Out, c.In, batch, dy, wt, nil, dx, make([]T, c.patchSize(c.Out)))
}

// ConvParamVJP adds into dw and dbias (nil: skip it) the cotangents of the
// weights and bias given the input x and the cotangent dy of y.
func ConvParamVJP[T Float](c Conv, batch int, x, dy, dw, dbias []T) {
	c.check(batch, len(x), len(dy), len(dw), lenOrNone(dbias))
	p := make([]T, c.In*c.Stencil.taps*c.Stencil.sites)
	v := c.Stencil.sites
	for b := 0; b < batch; b++ {
		convWeightVJP(c.Stencil, c.In, c.Out, x[b*c.In*v:(b+1)*c.In*v], dy[b*c.Out*v:(b+1)*c.Out*v], dw, p)
		if dbias != nil {
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

// patchSize is the scratch a convolution with cin input channels needs (none
// for a 1-tap kernel, whose patch matrix is its input).
func (c Conv) patchSize(cin int) int {
	if c.Stencil.taps == 1 {
		return 0
	}
	return cin * c.Stencil.taps * c.Stencil.sites
}

// convForward is the convolution kernel: y = bias + W ⋆ x for batch samples,
// p is scratch of length cin·taps·V (unused when taps = 1).
func convForward[T Float](s *Stencil, cin, cout, batch int, x, w, bias, y, p []T) {
	v, taps := s.sites, s.taps
	kk := cin * taps
	for b := 0; b < batch; b++ {
		xb := x[b*cin*v : (b+1)*cin*v]
		yb := y[b*cout*v : (b+1)*cout*v]
		if bias != nil {
			for o, bo := range bias[:cout] {
				row := yb[o*v : (o+1)*v]
				for i := range row {
					row[i] = bo
				}
			}
		} else {
			clear(yb)
		}
		pb := xb // a 1-tap kernel is a 1×1 convolution: P = x_b
		if taps > 1 {
			pb = p[:kk*v]
			gatherTaps(s, cin, xb, pb)
		}
		gemm(cout, v, kk, w, kk, pb, v, yb, v)
	}
}

// convWeightVJP adds dy_b · P_bᵀ into dw [cout, cin·taps] for one sample;
// p is scratch of length cin·taps·V.
func convWeightVJP[T Float](s *Stencil, cin, cout int, xb, dyb, dw, p []T) {
	v, kk := s.sites, cin*s.taps
	pt := p[:v*kk]
	gatherSites(s, cin, xb, pt)
	gemm(cout, kk, v, dyb, v, pt, kk, dw, kk)
}

// flipTranspose writes the kernel of the input VJP: wt[i, o, t] =
// w[o, i, taps−1−t] (tap taps−1−t has offset −δ_t), so that
// dx = wt ⋆ dy is a convolution like the forward one.
func flipTranspose[T Float](cout, cin, taps int, w, wt []T) {
	for o := 0; o < cout; o++ {
		for i := 0; i < cin; i++ {
			src := w[(o*cin+i)*taps : (o*cin+i+1)*taps]
			dst := wt[(i*cout+o)*taps : (i*cout+o+1)*taps]
			for t, v := range src {
				dst[taps-1-t] = v
			}
		}
	}
}
