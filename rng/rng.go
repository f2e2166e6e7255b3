// Package rng provides counter-based random streams keyed by integers, so that a
// run is a pure function of its seed: the stream of sample i at training step t is
// Stream(seed, t, i), whatever thread or MPI rank draws it (docs/architecture.md §1.4).
//
// The generator is SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom
// number generators", OOPSLA 2014) applied to a counter, with the key mixed from
// the stream coordinates by the same finaliser.
//
// Users meet it as seeds: the coupling constructors of package flow draw
// their conditioner weights from a Stream, e.g. rng.New(seed, layer).
package rng

import "math"

const golden = 0x9e3779b97f4a7c15

// mix is the SplitMix64 finaliser (a bijection of uint64).
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Stream is a sequence of random numbers identified by its key. The zero value is
// a valid stream (key 0). Streams are values: copy one to fork it.
type Stream struct {
	key uint64
	ctr uint64
	// spare normal deviate from Box–Muller, valid when hasSpare.
	spare    float64
	hasSpare bool
}

// New returns the stream keyed by the given coordinates, e.g. New(seed, step, sample).
// Different coordinate tuples give statistically independent streams.
func New(coords ...uint64) Stream {
	s := Stream{key: 0x6a09e667f3bcc908}
	for _, c := range coords {
		s = s.Derive(c)
	}
	return s
}

// Derive returns the stream with one more coordinate: New(a, b).Derive(c) is
// New(a, b, c). Deriving per-sample streams from a per-step stream saves
// re-mixing the common coordinates for every sample.
func (s Stream) Derive(c uint64) Stream {
	return Stream{key: mix(s.key ^ mix(c+golden))}
}

// Uint64 returns the next 64 random bits.
func (s *Stream) Uint64() uint64 {
	s.ctr++
	return mix(s.key + s.ctr*golden)
}

// Float64 returns a uniform deviate in [0, 1) with 53 random bits.
func (s *Stream) Float64() float64 {
	return float64(s.Uint64()>>11) * (1.0 / (1 << 53))
}

// OpenFloat64 returns a uniform deviate in (0, 1), never 0 or 1.
func (s *Stream) OpenFloat64() float64 {
	return (float64(s.Uint64()>>12) + 0.5) * (1.0 / (1 << 52))
}

// Norm returns a standard normal deviate by Marsaglia's polar method (both
// deviates of a pair are used; no trigonometric function is needed).
func (s *Stream) Norm() float64 {
	if s.hasSpare {
		s.hasSpare = false
		return s.spare
	}
	for {
		u := 2*s.Float64() - 1
		v := 2*s.Float64() - 1
		q := u*u + v*v
		if q >= 1 || q == 0 {
			continue
		}
		f := math.Sqrt(-2 * math.Log(q) / q)
		s.spare = v * f
		s.hasSpare = true
		return u * f
	}
}

// Intn returns a uniform integer in [0, n); n must be positive.
func (s *Stream) Intn(n int) int {
	if n <= 0 {
		panic("rng: Intn with n <= 0")
	}
	// Lemire's multiply-shift with rejection for exact uniformity.
	bound := uint64(n)
	for {
		x := s.Uint64()
		hi, lo := mul64(x, bound)
		if lo >= bound || lo >= (-bound)%bound {
			return int(hi)
		}
	}
}

func mul64(x, y uint64) (hi, lo uint64) {
	const mask32 = 1<<32 - 1
	x0, x1 := x&mask32, x>>32
	y0, y1 := y&mask32, y>>32
	w0 := x0 * y0
	t := x1*y0 + w0>>32
	w1 := t & mask32
	w2 := t >> 32
	w1 += x0 * y1
	hi = x1*y1 + w2 + w1>>32
	lo = x * y
	return
}

// State returns the stream's key and counter, enough to restore it with FromState
// (the cached Box–Muller deviate is dropped; call after an even number of Norm).
func (s *Stream) State() (key, ctr uint64) { return s.key, s.ctr }

// FromState restores a stream saved with State.
func FromState(key, ctr uint64) Stream { return Stream{key: key, ctr: ctr} }
