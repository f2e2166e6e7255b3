// Package workpool runs a loop body on a fixed set of worker goroutines that
// live as long as the pool, so that a training step does not pay for waking
// sleeping threads: between tasks a worker spins briefly (yielding the
// processor) before it parks. Tasks of a few hundred microseconds, repeated
// thousands of times, are the use case.
package workpool

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// spinFor is how long an idle worker polls for the next task before parking.
const spinFor = 200 * time.Microsecond

// Pool is a set of n workers. The zero value is not usable; call New.
type Pool struct {
	n       int
	gen     atomic.Uint64 // task generation; a change means "run the task"
	task    func(worker int)
	pending atomic.Int64
	mu      sync.Mutex
	cond    *sync.Cond
	closed  atomic.Bool
}

// New starts a pool of n ≥ 1 workers. Worker 0 is the goroutine that calls
// Run; the others are background goroutines, stopped by Close.
func New(n int) *Pool {
	p := &Pool{n: max(n, 1)}
	p.cond = sync.NewCond(&p.mu)
	for w := 1; w < p.n; w++ {
		go p.worker(w)
	}
	return p
}

// Size is the number of workers.
func (p *Pool) Size() int { return p.n }

// Run calls task(w) once on every worker w = 0 … n−1 concurrently and
// returns when all calls have returned. Run must not be called concurrently.
func (p *Pool) Run(task func(worker int)) {
	if p.n == 1 {
		task(0)
		return
	}
	p.task = task
	p.pending.Store(int64(p.n - 1))
	p.mu.Lock()
	p.gen.Add(1)
	p.cond.Broadcast()
	p.mu.Unlock()
	task(0)
	// Spin rather than park: the others finish within microseconds of worker
	// 0, and waking a parked thread costs more than that.
	for p.pending.Load() > 0 {
		runtime.Gosched()
	}
}

// Close stops the background workers. The pool must not be used afterwards.
func (p *Pool) Close() {
	p.closed.Store(true)
	p.mu.Lock()
	p.gen.Add(1)
	p.cond.Broadcast()
	p.mu.Unlock()
}

func (p *Pool) worker(w int) {
	var seen uint64 // the generation at New: a Run before this goroutine starts is not missed
	for {
		// Spin (yielding) for a while, then park until the generation changes.
		deadline := time.Now().Add(spinFor)
		for p.gen.Load() == seen && time.Now().Before(deadline) {
			runtime.Gosched()
		}
		if p.gen.Load() == seen {
			p.mu.Lock()
			for p.gen.Load() == seen {
				p.cond.Wait()
			}
			p.mu.Unlock()
		}
		seen = p.gen.Load()
		if p.closed.Load() {
			return
		}
		p.task(w)
		p.pending.Add(-1)
	}
}
