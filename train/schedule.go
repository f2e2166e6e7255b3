package train

import (
	"fmt"
	"math"
)

// Schedule gives the learning-rate factor of each epoch.
type Schedule int

const (
	// Constant keeps the learning rates fixed.
	Constant Schedule = iota
	// Cosine anneals every learning rate from lr to lr·MinFactor over the run:
	// f(t) = m + (1−m)(1 + cos(π (t−1)/T))/2 for epochs t = 1 … T
	// (Loshchilov & Hutter, arXiv:1608.03983, without restarts).
	Cosine
)

// ParseSchedule maps "constant" or "cosine" to a Schedule.
func ParseSchedule(s string) (Schedule, error) {
	switch s {
	case "constant":
		return Constant, nil
	case "cosine":
		return Cosine, nil
	}
	return 0, fmt.Errorf("lr_schedule %q: allowed: constant, cosine", s)
}

func (s Schedule) String() string {
	if s == Cosine {
		return "cosine"
	}
	return "constant"
}

// factor is the learning-rate factor of epoch t (1-based) of T, with final
// factor m for the cosine schedule.
func (s Schedule) factor(t, T int, m float64) float64 {
	if s != Cosine || T <= 1 {
		return 1
	}
	return m + (1-m)*(1+math.Cos(math.Pi*float64(t-1)/float64(T-1)))/2
}

// annealing returns the target exponent α of epoch t: log p → α log p with α
// rising linearly from 1/n at epoch 1 to 1 at epoch n (n = 0: no annealing).
func annealing(t, n int) float64 {
	if n <= 0 || t >= n {
		return 1
	}
	return float64(t) / float64(n)
}
