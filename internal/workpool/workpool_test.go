package workpool

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// Every Run calls the task once on every worker, concurrently, and returns
// only after all calls have returned; repeated runs, with pauses long enough
// for the workers to park, never lose a worker.
func TestRunCallsEveryWorkerOnce(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5} {
		p := New(n)
		for run := 0; run < 300; run++ {
			var calls [8]atomic.Int32
			var total atomic.Int32
			p.Run(func(w int) {
				calls[w].Add(1)
				total.Add(1)
			})
			if int(total.Load()) != n {
				t.Fatalf("n=%d run %d: %d calls", n, run, total.Load())
			}
			for w := 0; w < n; w++ {
				if calls[w].Load() != 1 {
					t.Fatalf("n=%d run %d: worker %d called %d times", n, run, w, calls[w].Load())
				}
			}
			if run%100 == 99 {
				time.Sleep(2 * spinFor) // let the workers park
			}
		}
		p.Close()
	}
}

func TestCloseStopsWorkers(t *testing.T) {
	before := runtime.NumGoroutine()
	p := New(4)
	p.Run(func(int) {})
	p.Close()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before {
		t.Errorf("%d goroutines after Close, %d before New", g, before)
	}
}
