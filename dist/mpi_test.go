//go:build mpi

package dist_test

import (
	"testing"
	"time"

	"github.com/normflow/normflow-go/dist"
)

// MPI_COMM_WORLD's collectives, on however many ranks the test binary runs:
// alone (MPI singleton) or under `mpirun -np R` (.ci/run runs R = 2).
func TestMPIWorld(t *testing.T) {
	c := dist.World()
	r, size := c.Rank(), c.Size()
	if r < 0 || r >= size {
		t.Fatalf("rank %d of %d", r, size)
	}
	// rank q contributes (q+1)·(i+1): the sum is (i+1)·size(size+1)/2, exact.
	buf := make([]float64, 1000)
	for i := range buf {
		buf[i] = float64((r + 1) * (i + 1))
	}
	c.AllreduceSum(buf)
	for i, v := range buf {
		if want := float64((i + 1) * size * (size + 1) / 2); v != want {
			t.Fatalf("rank %d: AllreduceSum[%d] = %v, want %v", r, i, v, want)
		}
	}
	root := size - 1
	b := []float64{float64(r), 7}
	c.Bcast(b, root)
	if b[0] != float64(root) || b[1] != 7 {
		t.Fatalf("rank %d: Bcast from %d gave %v", r, root, b)
	}
	send := make([]float64, 3*r+1) // lengths differ by rank
	for i := range send {
		send[i] = float64(1000*r + i)
	}
	got := c.Gatherv(send, 0)
	if r == 0 {
		if len(got) != size {
			t.Fatalf("Gatherv: %d parts, want %d", len(got), size)
		}
		for q, s := range got {
			if len(s) != 3*q+1 {
				t.Fatalf("Gatherv: rank %d sent %d values, got %d", q, 3*q+1, len(s))
			}
			for i, v := range s {
				if v != float64(1000*q+i) {
					t.Fatalf("Gatherv: rank %d value %d = %v", q, i, v)
				}
			}
		}
	} else if got != nil {
		t.Fatalf("rank %d: Gatherv returned data off the root", r)
	}
	c.Barrier()
	t.Logf("rank %d of %d: collectives agree", r, size)
}

func TestMain(m *testing.M) {
	code := m.Run()
	dist.Finalize()
	if code != 0 {
		dist.Abort(code)
	}
}

// TestMPIAllreduceTime measures AllreduceSum of the buffer one training step
// of examples/phi4_2d_affine.toml sums (6536 weights, 8 micro-batches of
// statistics, the stop flag): a fixed number of calls, the same on every
// rank (a benchmark's adaptive iteration count would differ between ranks).
func TestMPIAllreduceTime(t *testing.T) {
	c := dist.World()
	buf := make([]float64, 6536+8*8+1) // zeros: the sums stay finite
	const calls = 2000
	c.Barrier()
	start := time.Now()
	for range calls {
		c.AllreduceSum(buf)
	}
	c.Barrier()
	per := time.Since(start) / calls
	if c.Rank() == 0 {
		t.Logf("%d ranks: AllreduceSum of %d values: %v per call", c.Size(), len(buf), per)
	}
}
