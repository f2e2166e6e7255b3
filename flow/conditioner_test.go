package flow

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/normflow/normflow-go/nn"
)

// denseNet is a small test conditioner (the real one is nn.Net): a dense
// two-layer network over the whole field,
//
//	y = W2 · tanh(W1 · x + b1) + b2,
//
// with x flattened to [in·sites] and y to [out·sites] per sample, and a
// hand-written VJP. Without biases (odd = true) it is an odd function,
// y(−x) = −y(x). All-zero parameters give a zero output.
type denseNet struct {
	in, out, v, hidden int
	w1, b1, w2, b2     *nn.Param // b1, b2 nil when odd
}

var _ nn.Conditioner = (*denseNet)(nil)

func newDenseNet(name string, in, out, sites, hidden int, odd bool) *denseNet {
	d := &denseNet{in: in, out: out, v: sites, hidden: hidden,
		w1: nn.NewParam(name+".w1", hidden, in*sites),
		w2: nn.NewParam(name+".w2", out*sites, hidden),
	}
	if !odd {
		d.b1 = nn.NewParam(name+".b1", hidden)
		d.b2 = nn.NewParam(name+".b2", out*sites)
	}
	return d
}

func (d *denseNet) Params() []*nn.Param {
	if d.b1 == nil {
		return []*nn.Param{d.w1, d.w2}
	}
	return []*nn.Param{d.w1, d.b1, d.w2, d.b2}
}

func (d *denseNet) InChannels() int  { return d.in }
func (d *denseNet) OutChannels() int { return d.out }

func (d *denseNet) Forward(x, y []float64, batch int, keep bool) nn.NetBackward {
	n, m, h := d.in*d.v, d.out*d.v, d.hidden
	if len(x) != batch*n || len(y) != batch*m {
		panic(fmt.Sprintf("denseNet: len(x) = %d, len(y) = %d for batch %d", len(x), len(y), batch))
	}
	w1, w2 := d.w1.Value, d.w2.Value
	hs := make([]float64, batch*h)
	for b := range batch {
		xb := x[b*n : (b+1)*n]
		for j := range h {
			var a float64
			if d.b1 != nil {
				a = d.b1.Value[j]
			}
			for k, xk := range xb {
				a += w1[j*n+k] * xk
			}
			hs[b*h+j] = math.Tanh(a)
		}
		for i := range m {
			var s float64
			if d.b2 != nil {
				s = d.b2.Value[i]
			}
			for j := range h {
				s += w2[i*h+j] * hs[b*h+j]
			}
			y[b*m+i] = s
		}
	}
	if !keep {
		return nil
	}
	xk := append([]float64(nil), x...)
	return func(dy, dx []float64, grads *nn.Grads) {
		gw1, gw2 := grads.Of(d.w1), grads.Of(d.w2)
		var gb1, gb2 []float64
		if d.b1 != nil {
			gb1, gb2 = grads.Of(d.b1), grads.Of(d.b2)
		}
		ga := make([]float64, h)
		for b := range batch {
			hb := hs[b*h : (b+1)*h]
			clear(ga)
			for i := range m {
				g := dy[b*m+i]
				if gb2 != nil {
					gb2[i] += g
				}
				for j := range h {
					if gw2 != nil {
						gw2[i*h+j] += g * hb[j]
					}
					ga[j] += g * w2[i*h+j]
				}
			}
			for j := range h {
				ga[j] *= 1 - hb[j]*hb[j]
			}
			if gb1 != nil {
				for j := range h {
					gb1[j] += ga[j]
				}
			}
			if gw1 != nil {
				for j := range h {
					for k := range n {
						gw1[j*n+k] += ga[j] * xk[b*n+k]
					}
				}
			}
			if dx != nil {
				for k := range n {
					var s float64
					for j := range h {
						s += ga[j] * w1[j*n+k]
					}
					dx[b*n+k] = s
				}
			}
		}
	}
}

// TestDenseNetVJP checks the test conditioner itself against finite
// differences, so that coupling failures point at the couplings.
func TestDenseNetVJP(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, odd := range []bool{false, true} {
		const batch, in, out, sites = 2, 1, 3, 5
		d := newDenseNet("net", in, out, sites, 4, odd)
		for _, p := range d.Params() {
			copy(p.Value, randn(r, p.Size(), 0.6))
		}
		set, err := nn.NewParamSet(d.Params())
		if err != nil {
			t.Fatal(err)
		}
		x := randn(r, batch*in*sites, 1)
		dy := randn(r, batch*out*sites, 1)
		obj := func(x []float64) float64 {
			y := make([]float64, len(dy))
			d.Forward(x, y, batch, false)
			var s float64
			for i := range y {
				s += dy[i] * y[i]
			}
			return s
		}
		grads := nn.NewGrads(set)
		dx := make([]float64, len(x))
		d.Forward(x, make([]float64, len(dy)), batch, true)(dy, dx, grads)
		const h = 1e-6
		for i := range x {
			xp, xm := append([]float64(nil), x...), append([]float64(nil), x...)
			xp[i] += h
			xm[i] -= h
			if fd := (obj(xp) - obj(xm)) / (2 * h); !(math.Abs(fd-dx[i]) <= 1e-7*(1+math.Abs(fd))) {
				t.Errorf("odd=%v: dx[%d] = %g, finite difference %g", odd, i, dx[i], fd)
			}
		}
		for _, p := range d.Params() {
			g := grads.Of(p)
			for k := range p.Value {
				old := p.Value[k]
				p.Value[k] = old + h
				lp := obj(x)
				p.Value[k] = old - h
				lm := obj(x)
				p.Value[k] = old
				if fd := (lp - lm) / (2 * h); !(math.Abs(fd-g[k]) <= 1e-7*(1+math.Abs(fd))) {
					t.Errorf("odd=%v: d%s[%d] = %g, finite difference %g", odd, p.Name, k, g[k], fd)
				}
			}
		}
		if odd {
			neg := make([]float64, len(x))
			for i := range x {
				neg[i] = -x[i]
			}
			y, yn := make([]float64, len(dy)), make([]float64, len(dy))
			d.Forward(x, y, batch, false)
			d.Forward(neg, yn, batch, false)
			for i := range y {
				if y[i] != -yn[i] {
					t.Fatalf("bias-free net not odd: y[%d] = %g, y(−x) = %g", i, y[i], yn[i])
				}
			}
		}
	}
}
