package nn

import "fmt"

// Dense is the geometry of a fully connected layer over flattened features:
// for each sample, y = W·x + bias with x [In], y [Out], W [Out, In] (row-major,
// like PyTorch's Linear) and bias [Out]. A batch is x [batch, In], y
// [batch, Out]; for a field [batch, channels, sites] the features are
// channels·sites.
type Dense struct {
	In, Out int
}

// check panics unless slices of lengths nx, ny, nw and nb (−1: no bias) fit
// batch samples.
func (d Dense) check(batch, nx, ny, nw, nb int) {
	if nx != batch*d.In || ny != batch*d.Out || nw != d.In*d.Out || (nb >= 0 && nb != d.Out) {
		panic(fmt.Sprintf("nn: dense %d→%d, batch %d: len(x) = %d, len(y) = %d, len(w) = %d, len(bias) = %d",
			d.In, d.Out, batch, nx, ny, nw, nb))
	}
}

// DenseForward computes y (overwritten) from x, the weights w and bias (nil:
// none).
func DenseForward[T Float](d Dense, batch int, x, w, bias, y []T) {
	d.check(batch, len(x), len(y), len(w), lenOrNone(bias))
	wt := make([]T, len(w))
	transpose(d.Out, d.In, w, wt)
	denseForward(d.In, d.Out, batch, x, wt, bias, y)
}

// DenseInputVJP writes into dx (overwriting) the cotangent of x given the
// cotangent dy of y: dx = dy·W.
func DenseInputVJP[T Float](d Dense, batch int, dy, w, dx []T) {
	d.check(batch, len(dx), len(dy), len(w), -1)
	clear(dx)
	gemm(batch, d.In, d.Out, dy, d.Out, w, d.In, dx, d.In)
}

// DenseParamVJP adds into dw and dbias (nil: skip it) the cotangents of the
// weights and bias: dw += dyᵀ·x, dbias += Σ_b dy[b].
func DenseParamVJP[T Float](d Dense, batch int, x, dy, dw, dbias []T) {
	d.check(batch, len(x), len(dy), len(dw), lenOrNone(dbias))
	dyt := make([]T, len(dy))
	transpose(batch, d.Out, dy, dyt)
	gemm(d.Out, d.In, batch, dyt, batch, x, d.In, dw, d.In)
	if dbias != nil {
		for b := 0; b < batch; b++ {
			for o, g := range dy[b*d.Out : (b+1)*d.Out] {
				dbias[o] += g
			}
		}
	}
}

// denseForward is y = x·Wᵀ + bias with the transposed weights wt [In, Out].
func denseForward[T Float](in, out, batch int, x, wt, bias, y []T) {
	if bias != nil {
		for b := 0; b < batch; b++ {
			copy(y[b*out:(b+1)*out], bias)
		}
	} else {
		clear(y[:batch*out])
	}
	gemm(batch, out, in, x, in, wt, out, y, out)
}
