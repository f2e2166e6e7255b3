package action

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/normflow/normflow-go/lattice"
)

// TestPhi4GradSIMD: every kernel set this CPU runs (AVX-512, AVX2) gives
// the φ⁴ force bit for bit as the Go loop does ("none"), on 2-d shapes with
// interior rows longer and shorter than a vector, rows without an interior
// (L1 ≤ 2), odd extents and a 3-d shape, with and without the hopping term.
func TestPhi4GradSIMD(t *testing.T) {
	levels := gradLevels()
	defer setGradSIMD(levels[0])
	r := rand.New(rand.NewPCG(11, 12))
	shapes := [][]int{{32, 32}, {16, 16}, {8, 8}, {3, 4}, {4, 3}, {1, 5}, {5, 1}, {2, 2},
		{64, 64}, {12, 20}, {3, 7}, {2, 11}, {4, 6}, {1, 9}, {1, 12}, {2, 10}, {7, 9}, {6, 4, 5}}
	for _, shape := range shapes {
		lat := lattice.MustNew(shape...)
		for _, kappa := range []float64{0.5, 0} {
			s, _ := NewPhi4(lat, kappa, -1.3, 0.7, 1)
			const batch = 3
			phi := randField(r, batch*lat.Volume())
			phi[0] = 3e5 // a large φ³ term
			if !setGradSIMD("none") {
				t.Fatal(`setGradSIMD("none") refused`)
			}
			want := make([]float64, len(phi))
			s.Grad(phi, want)
			for _, l := range levels {
				if !setGradSIMD(l) {
					t.Fatalf("setGradSIMD(%q) refused a level gradLevels lists", l)
				}
				got := make([]float64, len(phi))
				s.Grad(phi, got)
				for i := range got {
					if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
						t.Fatalf("%s shape %v κ %g element %d: dS/dφ = %v, Go loop %v", l, shape, kappa, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// BenchmarkPhi4Grad32 times the force on a 32×32 lattice with each kernel
// set.
func BenchmarkPhi4Grad32(b *testing.B) {
	levels := gradLevels()
	defer setGradSIMD(levels[0])
	lat := lattice.MustNew(32, 32)
	s, _ := NewPhi4Albergo(lat, -4, 4.572)
	phi := randField(rand.New(rand.NewPCG(1, 2)), lat.Volume())
	g := make([]float64, len(phi))
	for _, l := range levels {
		setGradSIMD(l)
		b.Run(l, func(b *testing.B) {
			for b.Loop() {
				s.Grad(phi, g)
			}
		})
	}
}
