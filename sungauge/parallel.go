package sungauge

import (
	"runtime"
	"sync"
)

// parallelFor runs f(lo, hi) on contiguous ranges covering [0, n), on up to
// GOMAXPROCS goroutines with at least minChunk items each (one range, on
// the calling goroutine, when the work is small). Callers compute every item
// independently of how [0, n) is split, so results are bit-identical for any
// number of threads.
func parallelFor(n, minChunk int, f func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n/max(minChunk, 1))
	if workers <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}
