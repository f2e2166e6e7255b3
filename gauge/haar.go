package gauge

import (
	"fmt"
	"math"

	"github.com/normflow/normflow-go/rng"
)

// Haar is the Haar measure of U(1) on every link: link angles independent and
// uniform on (−π, π], log r = −N log 2π for N = 2V angles. It implements
// prior.Prior. The density is that of the circle, so LogProb is the same
// constant for any real angles (an angle outside (−π, π] is the same group
// element as its wrapped value): the inverse of a gauge flow need not land in
// (−π, π] for log q to be right.
type Haar struct {
	N int
}

// NewHaar returns the Haar prior on n link angles per configuration.
func NewHaar(n int) (*Haar, error) {
	if n <= 0 {
		return nil, fmt.Errorf("gauge: haar prior: size %d: must be positive", n)
	}
	return &Haar{N: n}, nil
}

func (p *Haar) Size() int { return p.N }

// Sample draws θ = π − 2π u with u uniform in [0, 1): θ ∈ (−π, π].
func (p *Haar) Sample(s *rng.Stream, x []float64) {
	for i := range x {
		x[i] = math.Pi - 2*math.Pi*s.Float64()
	}
}

func (p *Haar) LogProb(x, out []float64) {
	c := -float64(p.N) * math.Log(2*math.Pi)
	for b := range out {
		out[b] = c
	}
}

// GradLogProb is zero: the density is flat.
func (p *Haar) GradLogProb(x, g []float64) { clear(g[:len(x)]) }
