package dist_test

import (
	"math"
	"sync"
	"testing"

	"github.com/normflow/normflow-go/dist"
)

// The single-process communicator: rank 0 of 1, collectives are the identity.
func TestSelf(t *testing.T) {
	var c dist.Comm = dist.Self{}
	if c.Rank() != 0 || c.Size() != 1 || !dist.IsRoot(c) || !dist.IsRoot(nil) {
		t.Fatalf("Self: rank %d of %d", c.Rank(), c.Size())
	}
	buf := []float64{1.5, -2, math.Inf(1)}
	c.AllreduceSum(buf)
	c.Bcast(buf, 0)
	c.Barrier()
	if buf[0] != 1.5 || buf[1] != -2 || !math.IsInf(buf[2], 1) {
		t.Fatalf("Self collectives changed the buffer: %v", buf)
	}
	got := c.Gatherv(buf, 0)
	if len(got) != 1 || len(got[0]) != 3 || got[0][1] != -2 {
		t.Fatalf("Self Gatherv = %v", got)
	}
}

// Split covers [0, n) with contiguous, ordered parts differing by at most one.
func TestSplit(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 1000} {
		for size := 1; size <= 5; size++ {
			next := 0
			for r := 0; r < size; r++ {
				lo, hi := dist.Split(n, r, size)
				if lo != next || hi < lo || hi-lo > n/size+1 || hi-lo < n/size {
					t.Fatalf("Split(%d, %d, %d) = [%d, %d), want start %d and %d or %d items", n, r, size, lo, hi, next, n/size, n/size+1)
				}
				next = hi
			}
			if next != n {
				t.Fatalf("Split(%d, ·, %d) ends at %d", n, size, next)
			}
		}
	}
}

// In-process ranks: every collective gives the exact expected values on
// every rank, repeatedly (the barrier is reusable).
func TestLocal(t *testing.T) {
	const size = 3
	comms := dist.NewLocal(size)
	errs := make(chan string, 100)
	var wg sync.WaitGroup
	for _, c := range comms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := c.Rank()
			for round := range 20 {
				// allreduce: rank r contributes (r+1)·(i+round); the sum is
				// 6·(i+round), exact in float64.
				buf := make([]float64, 5)
				for i := range buf {
					buf[i] = float64((r + 1) * (i + round))
				}
				c.AllreduceSum(buf)
				for i, v := range buf {
					if v != float64(6*(i+round)) {
						errs <- "AllreduceSum wrong"
					}
				}
				root := round % size
				b := []float64{float64(r), float64(round)}
				c.Bcast(b, root)
				if b[0] != float64(root) || b[1] != float64(round) {
					errs <- "Bcast wrong"
				}
				send := make([]float64, r+round%2) // lengths differ by rank
				for i := range send {
					send[i] = float64(100*r + i)
				}
				got := c.Gatherv(send, root)
				if r != root {
					if got != nil {
						errs <- "Gatherv returned data off the root"
					}
				} else {
					for q, s := range got {
						if len(s) != q+round%2 {
							errs <- "Gatherv length wrong"
						}
						for i, v := range s {
							if v != float64(100*q+i) {
								errs <- "Gatherv value wrong"
							}
						}
					}
				}
				c.Barrier()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}
