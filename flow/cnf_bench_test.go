package flow

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/nn"
)

// benchCNFStep times one training step of a CNF layer: a taped forward pass
// and its backward pass with parameter gradients.
func benchCNFStep(b *testing.B, shape []int, batch int, opts CNFOptions, mode int) {
	lat := lattice.MustNew(shape...)
	r := rand.New(rand.NewPCG(1, 2))
	c := testCNF(b, lat, opts, mode, r, 0.5)
	set, _ := nn.NewParamSet(c.Params())
	tape := NewTape(nn.NewGrads(set))
	n := batch * lat.Volume()
	x, dy := randn(r, n, 1), randn(r, n, 1)
	y, dx := make([]float64, n), make([]float64, n)
	logJ, dlogJ := make([]float64, batch), make([]float64, batch)
	for i := range dlogJ {
		dlogJ[i] = 1
	}
	step := func() {
		tape.Reset()
		clear(logJ)
		c.Forward(tape, x, y, logJ)
		tape.Backward(dy, dlogJ, dx)
	}
	step() // the tape's arena is touched once, as in training
	b.ResetTimer()
	for range b.N {
		step()
	}
}

// One training step at L = 32, batch 64, default settings (whole-lattice
// kernel by FFT, 90 RK4 steps).
func BenchmarkCNFStep(b *testing.B) {
	benchCNFStep(b, []int{32, 32}, 64, DefaultCNFOptions(), cnfAuto)
}

// The FFT and the direct convolution for kernels of a few sizes (5 RK4
// steps, batch 4): the basis of cnfDirectMax.
func BenchmarkCNFConv(b *testing.B) {
	for _, L := range []int{8, 16, 32} {
		for _, kernel := range []int{1, 2, 3} {
			for _, mode := range []int{cnfByFFT, cnfDirectly} {
				opts := DefaultCNFOptions()
				opts.Steps, opts.Kernel = 5, kernel
				name := map[int]string{cnfByFFT: "fft", cnfDirectly: "direct"}[mode]
				b.Run(fmt.Sprintf("L%d_kernel%d_%s", L, kernel, name), func(b *testing.B) {
					benchCNFStep(b, []int{L, L}, 4, opts, mode)
				})
			}
		}
	}
}

// BenchmarkCNFTransform times one untaped forward pass (sampling) at L = 32,
// batch 64, default settings.
func BenchmarkCNFTransform(b *testing.B) {
	lat := lattice.MustNew(32, 32)
	r := rand.New(rand.NewPCG(1, 2))
	c := testCNF(b, lat, DefaultCNFOptions(), cnfAuto, r, 0.5)
	const batch = 64
	n := batch * lat.Volume()
	x, y := randn(r, n, 1), make([]float64, n)
	logJ := make([]float64, batch)
	b.ResetTimer()
	for range b.N {
		clear(logJ)
		c.Forward(nil, x, y, logJ)
	}
}

// BenchmarkCNFSample times one untaped forward pass with the settings of
// examples/phi4_cnf_L32.toml's CNF layer (L = 32, batch 64, 20 RK4 steps, 3
// frequencies, 2 time frequencies, whole-lattice kernel in the momentum
// basis, local term): the flow's share of a flow-MCMC proposal
// (docs/conventions.md §5.19, "Speed").
func BenchmarkCNFSample(b *testing.B) {
	lat := lattice.MustNew(32, 32)
	r := rand.New(rand.NewPCG(1, 2))
	opts := CNFOptions{Steps: 20, TrainSteps: 8, Freqs: 3, TimeFreqs: 2, Local: true, Basis: CNFMomentum}
	c := testCNF(b, lat, opts, cnfAuto, r, 0.5)
	const batch = 64
	n := batch * lat.Volume()
	x, y := randn(r, n, 1), make([]float64, n)
	logJ := make([]float64, batch)
	b.ResetTimer()
	for range b.N {
		clear(logJ)
		c.Forward(nil, x, y, logJ)
	}
}
