// Package prior holds the base distributions r(z) that a flow transforms:
// Normal (the seed library's NormalPrior), Uniform, and FreeField, the
// Gaussian of the free lattice theory.
// A prior is one of the three parts of a model: start with package model.
package prior

import (
	"fmt"
	"math"

	"github.com/normflow/normflow-go/rng"
)

// Prior is a base density r(z) on samples of Size() real numbers each; batches
// are row-major [batch, Size()].
type Prior interface {
	// Size is the number of real variables per sample (channels × sites).
	Size() int
	// Sample fills x (a whole number of samples) with draws from r using stream s.
	Sample(s *rng.Stream, x []float64)
	// LogProb writes log r(z) of each sample of x into out [batch].
	LogProb(x, out []float64)
	// GradLogProb writes ∇_z log r(z) into g (same shape as x).
	GradLogProb(x, g []float64)
}

var halfLog2Pi = 0.5 * math.Log(2*math.Pi)

// Normal is the independent normal density with mean Loc and standard deviation
// Scale at every variable: log r = Σ_i [ −(z_i−Loc)²/(2 Scale²) − log Scale − ½ log 2π ].
type Normal struct {
	Loc, Scale float64
	N          int
}

// NewNormal returns a normal prior on n variables per sample.
func NewNormal(loc, scale float64, n int) (*Normal, error) {
	if n <= 0 {
		return nil, fmt.Errorf("prior: size %d: must be positive", n)
	}
	if !(scale > 0) || math.IsInf(scale, 0) || math.IsNaN(loc) || math.IsInf(loc, 0) {
		return nil, fmt.Errorf("prior: normal(loc=%g, scale=%g): loc must be finite and scale positive and finite", loc, scale)
	}
	return &Normal{Loc: loc, Scale: scale, N: n}, nil
}

func (p *Normal) Size() int { return p.N }

func (p *Normal) Sample(s *rng.Stream, x []float64) {
	for i := range x {
		x[i] = p.Loc + p.Scale*s.Norm()
	}
}

func (p *Normal) LogProb(x, out []float64) {
	c := -float64(p.N) * (math.Log(p.Scale) + halfLog2Pi)
	inv := 1 / (p.Scale * p.Scale)
	for b := range out {
		var q float64
		for _, z := range x[b*p.N : (b+1)*p.N] {
			d := z - p.Loc
			q += d * d
		}
		out[b] = c - 0.5*inv*q
	}
}

func (p *Normal) GradLogProb(x, g []float64) {
	inv := 1 / (p.Scale * p.Scale)
	for i, z := range x {
		g[i] = -(z - p.Loc) * inv
	}
}

// Uniform is the independent uniform density on [Low, High) at every variable:
// log r = −N log(High − Low) inside the box, −∞ outside.
type Uniform struct {
	Low, High float64
	N         int
}

// NewUniform returns a uniform prior on n variables per sample.
func NewUniform(low, high float64, n int) (*Uniform, error) {
	if n <= 0 {
		return nil, fmt.Errorf("prior: size %d: must be positive", n)
	}
	if !(high > low) || math.IsInf(low, 0) || math.IsInf(high, 0) {
		return nil, fmt.Errorf("prior: uniform(low=%g, high=%g): need finite low < high", low, high)
	}
	return &Uniform{Low: low, High: high, N: n}, nil
}

func (p *Uniform) Size() int { return p.N }

func (p *Uniform) Sample(s *rng.Stream, x []float64) {
	for i := range x {
		x[i] = p.Low + (p.High-p.Low)*s.Float64()
	}
}

func (p *Uniform) LogProb(x, out []float64) {
	c := -float64(p.N) * math.Log(p.High-p.Low)
	for b := range out {
		out[b] = c
		for _, z := range x[b*p.N : (b+1)*p.N] {
			if !(z >= p.Low && z < p.High) {
				out[b] = math.Inf(-1)
				break
			}
		}
	}
}

// GradLogProb is zero inside the box (the density is flat).
func (p *Uniform) GradLogProb(x, g []float64) { clear(g[:len(x)]) }
