package mcmc

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/normflow/normflow-go/action"
	"github.com/normflow/normflow-go/lattice"
)

// TestKickDriftSIMD: every kernel set this CPU runs (AVX-512, AVX2) gives
// the leapfrog's kick p − c·g and drift φ + c·p bit for bit as the Go loops
// do, for lengths 0 … 70 and 1024 (all remainders of the vector lengths),
// with the second slice longer than the first in half the cases; elements
// past the end stay untouched.
func TestKickDriftSIMD(t *testing.T) {
	levels := axpyLevels()
	defer setAxpySIMD(levels[0])
	r := rand.New(rand.NewPCG(3, 4))
	lengths := []int{1024}
	for n := 0; n <= 70; n++ {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		for extra := 0; extra <= 3; extra += 3 {
			x := make([]float64, n+1) // x[n] is a guard
			y := make([]float64, n+extra)
			for i := range x {
				x[i] = 4 * r.NormFloat64()
			}
			for i := range y {
				y[i] = 4 * r.NormFloat64()
			}
			c := 0.0833 * (1 + r.Float64())
			for _, op := range []struct {
				name string
				f    func(x, y []float64, c float64)
				ref  func(x, y float64) float64
			}{
				{"kick", kick, func(x, y float64) float64 { return x - float64(c*y) }},
				{"drift", drift, func(x, y float64) float64 { return x + float64(c*y) }},
			} {
				want := append([]float64(nil), x...)
				for i := 0; i < n; i++ {
					want[i] = op.ref(want[i], y[i])
				}
				for _, l := range levels {
					if !setAxpySIMD(l) {
						t.Fatalf("setAxpySIMD(%q) refused a level axpyLevels lists", l)
					}
					got := append([]float64(nil), x...)
					op.f(got[:n], y, c)
					for i := range got {
						if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
							t.Fatalf("%s %s n %d element %d: %v, want %v", l, op.name, n, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestHMCKernelsChain: HMC chains (leapfrog and Omelyan, a 2-d lattice with
// rows not a multiple of the vector length and a 3-d one) are the same bit
// for bit with every kick/drift kernel set.
func TestHMCKernelsChain(t *testing.T) {
	levels := axpyLevels()
	defer setAxpySIMD(levels[0])
	for _, shape := range [][]int{{10, 13}, {6, 4, 5}} {
		act, err := action.NewPhi4Albergo(lattice.MustNew(shape...), -4, 4.572)
		if err != nil {
			t.Fatal(err)
		}
		for _, integ := range []Integrator{Leapfrog, Omelyan2MN} {
			var want []float64
			for _, l := range levels {
				setAxpySIMD(l)
				h, err := NewHMC(act, 0.1, 7, 5)
				if err != nil {
					t.Fatal(err)
				}
				h.Integrator = integ
				phi, _, dh := h.Sample(30)
				got := append(phi, dh...)
				if want == nil {
					want = got
					continue
				}
				for i := range got {
					if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
						t.Fatalf("%v %v %s: value %d = %v, %s gives %v", shape, integ, l, i, got[i], levels[0], want[i])
					}
				}
			}
		}
	}
}
