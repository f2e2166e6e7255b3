package model

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/normflow/normflow-go/action"
	"github.com/normflow/normflow-go/flow"
	"github.com/normflow/normflow-go/nn"
	"github.com/normflow/normflow-go/prior"
	"github.com/normflow/normflow-go/rng"
)

// Model is prior + flow + action (the seed library's Model).
type Model struct {
	Prior  prior.Prior
	Flow   flow.Layer
	Action action.Action
	// Params is the flat layout of the flow's parameters (optimiser, checkpoints).
	Params *nn.ParamSet
	// Threads is the number of goroutines used by Posterior and LogProb (0: all cores).
	Threads int
}

// FieldSizer is implemented by actions whose configurations are not one real
// number per site, e.g. U(1) link angles (package gauge: 2V per configuration
// in 2-d). FieldSize is the number of real variables per configuration.
type FieldSizer interface {
	FieldSize() int
}

// FieldSize is the number of real variables of one configuration of a's
// field: FieldSize() if a implements FieldSizer, else the lattice volume.
func FieldSize(a action.Action) int {
	if f, ok := a.(FieldSizer); ok {
		return f.FieldSize()
	}
	return a.Lattice().Volume()
}

// New checks that the parts fit together (the prior's size is the field size
// of the action: the lattice volume, or FieldSize for a FieldSizer) and lays
// out the parameters.
func New(p prior.Prior, f flow.Layer, a action.Action) (*Model, error) {
	if v := FieldSize(a); p.Size() != v {
		if _, ok := a.(FieldSizer); ok {
			return nil, fmt.Errorf("model: prior has %d variables per sample but the action's field on the lattice %s has %d", p.Size(), a.Lattice(), v)
		}
		return nil, fmt.Errorf("model: prior has %d variables per sample but the lattice %s has %d sites", p.Size(), a.Lattice(), v)
	}
	ps, err := nn.NewParamSet(f.Params())
	if err != nil {
		return nil, err
	}
	return &Model{Prior: p, Flow: f, Action: a, Params: ps}, nil
}

// Size is the number of real variables per configuration.
func (m *Model) Size() int { return m.Prior.Size() }

// Stream domains keep the random numbers of different uses apart.
const (
	// DomainTrain keys training samples: rng.New(seed, DomainTrain, step, i).
	DomainTrain uint64 = 1 + iota
	// DomainPosterior keys posterior samples: rng.New(seed, DomainPosterior, i).
	DomainPosterior
	// DomainAccept keys Metropolis accept/reject draws: rng.New(seed, DomainAccept, i).
	DomainAccept
)

// chunk is the number of samples one goroutine handles at a time.
const chunk = 512

// Posterior draws configurations number first … first+len(logq)−1 of the
// posterior stream with the given seed: z_i ~ r from stream (seed, i), φ_i = f(z_i).
// It fills phi [n, Size], logq [n] with log q(φ) and logp [n] with −S(φ)
// (the unnormalised log target). The result does not depend on Threads.
func (m *Model) Posterior(seed, first uint64, phi, logq, logp []float64) {
	n, size := len(logq), m.Size()
	m.parallel(n, func(lo, hi int) {
		k := hi - lo
		z := make([]float64, k*size)
		for i := lo; i < hi; i++ {
			s := rng.New(seed, DomainPosterior, first+uint64(i))
			m.Prior.Sample(&s, z[(i-lo)*size:(i-lo+1)*size])
		}
		m.ForwardBatch(z, phi[lo*size:hi*size], logq[lo:hi], logp[lo:hi])
	})
}

// ForwardBatch maps prior samples z through the flow, writing φ, log q and −S.
func (m *Model) ForwardBatch(z, phi, logq, logp []float64) {
	m.Forward(nil, z, phi, logq, logp, make([]float64, len(logq)))
}

// Forward is ForwardBatch with a tape (nil: none) and a zeroed log-Jacobian
// buffer logJ [batch] supplied by the caller: log q = log r(z) − log|det ∂f/∂z|,
// log p = −S(φ).
func (m *Model) Forward(tape *flow.Tape, z, phi, logq, logp, logJ []float64) {
	m.Prior.LogProb(z, logq)
	m.Flow.Forward(tape, z, phi, logJ)
	m.Action.Eval(phi, logp)
	for i := range logq {
		logq[i] -= logJ[i]
		logp[i] = -logp[i]
	}
}

// LogProb writes log q(φ) = log r(f⁻¹(φ)) + log|det ∂f⁻¹/∂φ| of each
// configuration into out, through the inverse flow.
func (m *Model) LogProb(phi, out []float64) {
	size := m.Size()
	m.parallel(len(out), func(lo, hi int) {
		k := hi - lo
		z := make([]float64, k*size)
		logJ := make([]float64, k)
		m.Flow.Inverse(nil, phi[lo*size:hi*size], z, logJ)
		m.Prior.LogProb(z, out[lo:hi])
		for i := range logJ {
			out[lo+i] += logJ[i]
		}
	})
}

// parallel runs f over [0, n) in chunks on up to Threads goroutines.
func (m *Model) parallel(n int, f func(lo, hi int)) {
	threads := m.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	nChunks := (n + chunk - 1) / chunk
	if threads > nChunks {
		threads = nChunks
	}
	if threads <= 1 {
		for lo := 0; lo < n; lo += chunk {
			f(lo, min(lo+chunk, n))
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int, nChunks)
	for c := 0; c < nChunks; c++ {
		next <- c
	}
	close(next)
	for w := 0; w < threads; w++ {
		wg.Go(func() {
			for c := range next {
				f(c*chunk, min((c+1)*chunk, n))
			}
		})
	}
	wg.Wait()
}
