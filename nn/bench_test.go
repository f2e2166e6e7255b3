package nn

import (
	"testing"

	"github.com/normflow/normflow-go/lattice"
)

// BenchmarkConv3x3 times one 3×3 circular convolution on an 8×8 lattice,
// batch 128, 16→16 channels with bias (2·B·V·Cout·Cin·9 = 37.7 MFLOP per pass):
// the forward, the input VJP and the weight+bias VJP, in float32 and float64.
func BenchmarkConv3x3(b *testing.B) {
	b.Run("float32", benchConv[float32])
	b.Run("float64", benchConv[float64])
}

func benchConv[T Float](b *testing.B) {
	const batch, c = 128, 16
	s, err := NewStencil(lattice.MustNew(8, 8), 3)
	if err != nil {
		b.Fatal(err)
	}
	cv := Conv{Stencil: s, In: c, Out: c}
	r := newRand(1)
	conv := func(v []float64) []T {
		t := make([]T, len(v))
		Convert(t, v)
		return t
	}
	v := s.Sites()
	x := conv(randn(r, batch*c*v, 1))
	w := conv(randn(r, cv.WeightSize(), 0.1))
	bias := conv(randn(r, c, 0.1))
	y := make([]T, batch*c*v)
	dw, db := make([]T, len(w)), make([]T, c)
	flops := float64(2 * batch * v * c * c * s.Taps())
	report := func(b *testing.B) {
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	}
	b.Run("forward", func(b *testing.B) {
		for b.Loop() {
			ConvForward(cv, batch, x, w, bias, y)
		}
		report(b)
	})
	b.Run("input_vjp", func(b *testing.B) {
		for b.Loop() {
			ConvInputVJP(cv, batch, y, w, x)
		}
		report(b)
	})
	b.Run("param_vjp", func(b *testing.B) {
		for b.Loop() {
			ConvParamVJP(cv, batch, x, y, dw, db)
		}
		report(b)
	})
}

// BenchmarkNet times the conditioner of one RealNVP coupling (1→16→16→2,
// 3×3, tanh, bias) on 8×8, batch 128: forward with kept activations and the
// full VJP (input and parameters).
func BenchmarkNet(b *testing.B) {
	for _, prec := range []string{"float32", "float64"} {
		b.Run(prec, func(b *testing.B) {
			spec := NetSpec{In: 1, Out: 2, Hidden: []int{16, 16}, Kernel: 3, Activation: []string{"tanh"}, Bias: true, Precision: prec}
			n := mustNet(b, "c", []int{8, 8}, spec, 1)
			const batch = 128
			x := netInput(n, batch, 2)
			y := make([]float64, batch*2*64)
			dx := make([]float64, len(x))
			set, _ := NewParamSet(n.Params())
			g := NewGrads(set)
			for b.Loop() {
				back := n.Forward(x, y, batch, true)
				back(y, dx, g)
			}
			// forward: (1·16 + 16·16 + 16·2)·9 multiply-adds per site and
			// sample; the VJP does as many for the weights and for the input
			flops := 3 * float64(2*batch*64*(16+256+32)*9)
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkKernelSets runs BenchmarkNet with each instruction set the CPU
// has (avx512, avx2) and with the portable Go code (none).
func BenchmarkKernelSets(b *testing.B) {
	levels := simdLevels()
	defer setSIMD(levels[0])
	for _, l := range levels {
		setSIMD(l)
		b.Run(l, BenchmarkNet)
	}
}
