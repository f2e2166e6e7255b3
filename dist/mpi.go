//go:build mpi

package dist

/*
#cgo pkg-config: ompi-c
#include <stdint.h>
#include <stdlib.h>
#include <mpi.h>

// MPI_COMM_WORLD and the datatypes are macros over addresses in Open MPI, so
// every call goes through a small C function here.

static int nf_init(void) {
	int done = 0, provided = 0;
	MPI_Initialized(&done);
	if (done) return MPI_THREAD_SERIALIZED;
	MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided);
	return provided;
}
static int nf_finalize(void) {
	int done = 0;
	MPI_Finalized(&done);
	if (done) return 0;
	return MPI_Finalize();
}
static int nf_rank(void) { int r = 0; MPI_Comm_rank(MPI_COMM_WORLD, &r); return r; }
static int nf_size(void) { int s = 1; MPI_Comm_size(MPI_COMM_WORLD, &s); return s; }
static int nf_abort(int code) { return MPI_Abort(MPI_COMM_WORLD, code); }
static int nf_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }
static int nf_reduce_sum(double *buf, int n, int root) {
	int r = 0;
	MPI_Comm_rank(MPI_COMM_WORLD, &r);
	if (r == root) return MPI_Reduce(MPI_IN_PLACE, buf, n, MPI_DOUBLE, MPI_SUM, root, MPI_COMM_WORLD);
	return MPI_Reduce(buf, NULL, n, MPI_DOUBLE, MPI_SUM, root, MPI_COMM_WORLD);
}
static int nf_bcast(double *buf, int n, int root) {
	return MPI_Bcast(buf, n, MPI_DOUBLE, root, MPI_COMM_WORLD);
}
static int nf_allgather_count(int64_t n, int64_t *all) {
	return MPI_Allgather(&n, 1, MPI_INT64_T, all, 1, MPI_INT64_T, MPI_COMM_WORLD);
}
static int nf_gatherv(double *send, int n, double *recv, int *counts, int *displs, int root) {
	return MPI_Gatherv(send, n, MPI_DOUBLE, recv, counts, displs, MPI_DOUBLE, root, MPI_COMM_WORLD);
}
*/
import "C"

import (
	"fmt"
	"math"
	"os"
	"sync"
	"unsafe"
)

// Backend names the implementation of World: "single" or "mpi".
const Backend = "mpi"

var (
	worldOnce sync.Once
	world     *mpiComm
)

// World is MPI_COMM_WORLD. The first call initialises MPI
// (MPI_Init_thread, MPI_THREAD_SERIALIZED: any goroutine may call, one at a
// time, which mpiComm's lock ensures). A program started without mpirun is
// one rank of one (MPI's singleton start).
func World() Comm {
	worldOnce.Do(func() {
		provided := C.nf_init()
		if provided < C.MPI_THREAD_SERIALIZED {
			// Open MPI's lower levels still serve calls from any one thread
			// at a time; say so rather than refuse to run.
			fmt.Fprintf(os.Stderr, "normflow: MPI provides thread level %d < MPI_THREAD_SERIALIZED; calls are serialised by normflow\n", int(provided))
		}
		world = &mpiComm{rank: int(C.nf_rank()), size: int(C.nf_size())}
	})
	return world
}

// Finalize ends the use of MPI (MPI_Finalize) when World was used; every
// rank must call it before exiting normally.
func Finalize() {
	if world != nil {
		world.mu.Lock()
		defer world.mu.Unlock()
		C.nf_finalize()
	}
}

// Abort ends every rank of the run with exit status code (MPI_Abort).
func Abort(code int) {
	if world == nil {
		os.Exit(code)
	}
	C.nf_abort(C.int(code))
	os.Exit(code)
}

type mpiComm struct {
	mu         sync.Mutex // serialises MPI calls (MPI_THREAD_SERIALIZED)
	rank, size int
}

func (c *mpiComm) Rank() int { return c.rank }
func (c *mpiComm) Size() int { return c.size }

func (c *mpiComm) Barrier() {
	c.mu.Lock()
	defer c.mu.Unlock()
	check("MPI_Barrier", C.nf_barrier())
}

// maxCount is the largest element count of one MPI call (an int).
const maxCount = math.MaxInt32

// AllreduceSum is MPI_Reduce to rank 0 followed by MPI_Bcast from it: the sum
// is formed once and every rank receives the same bits. (MPI only recommends
// that MPI_Allreduce give every rank the same result; the trainer relies on
// it to keep the weights of all ranks identical.) Long buffers go in pieces
// of at most 2³¹−1 values.
func (c *mpiComm) AllreduceSum(buf []float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for lo := 0; lo < len(buf); lo += maxCount {
		part := buf[lo:min(lo+maxCount, len(buf))]
		p := (*C.double)(unsafe.Pointer(&part[0]))
		check("MPI_Reduce", C.nf_reduce_sum(p, C.int(len(part)), 0))
		check("MPI_Bcast", C.nf_bcast(p, C.int(len(part)), 0))
	}
}

func (c *mpiComm) Bcast(buf []float64, root int) {
	checkRoot(root, c.size)
	c.mu.Lock()
	defer c.mu.Unlock()
	for lo := 0; lo < len(buf); lo += maxCount {
		part := buf[lo:min(lo+maxCount, len(buf))]
		check("MPI_Bcast", C.nf_bcast((*C.double)(unsafe.Pointer(&part[0])), C.int(len(part)), C.int(root)))
	}
}

// Gatherv first shares every rank's length (MPI_Allgather), then moves the
// data with MPI_Gatherv in rounds in which every rank sends at most
// (2³¹−1)/size values, so that counts and displacements fit MPI's int.
func (c *mpiComm) Gatherv(send []float64, root int) [][]float64 {
	checkRoot(root, c.size)
	c.mu.Lock()
	defer c.mu.Unlock()
	counts := make([]int64, c.size)
	check("MPI_Allgather", C.nf_allgather_count(C.int64_t(len(send)), (*C.int64_t)(unsafe.Pointer(&counts[0]))))
	var out [][]float64
	if c.rank == root {
		out = make([][]float64, c.size)
		for r, n := range counts {
			out[r] = make([]float64, n)
		}
	}
	var longest int64
	for _, n := range counts {
		longest = max(longest, n)
	}
	piece := int64(maxCount / c.size)
	// Go memory without Go pointers inside may be passed to C for the
	// duration of a call (cgo's rules); MPI keeps none of these pointers.
	cCounts := make([]C.int, c.size)
	cDispls := make([]C.int, c.size)
	var recv []float64
	for off := int64(0); off < longest; off += piece {
		total := 0
		for r, n := range counts {
			k := max(0, min(n-off, piece))
			cCounts[r], cDispls[r] = C.int(k), C.int(total)
			total += int(k)
		}
		mine := send[min(off, int64(len(send))):min(off+piece, int64(len(send)))]
		var sp *C.double
		if len(mine) > 0 {
			sp = (*C.double)(unsafe.Pointer(&mine[0]))
		}
		var rp *C.double
		if c.rank == root {
			if cap(recv) < total {
				recv = make([]float64, total)
			}
			recv = recv[:total]
			if total > 0 {
				rp = (*C.double)(unsafe.Pointer(&recv[0]))
			}
		}
		check("MPI_Gatherv", C.nf_gatherv(sp, C.int(len(mine)), rp, &cCounts[0], &cDispls[0], C.int(root)))
		if c.rank == root {
			for r, n := range counts {
				if off < n {
					k := int(cCounts[r])
					copy(out[r][off:off+int64(k)], recv[int(cDispls[r]):int(cDispls[r])+k])
				}
			}
		}
	}
	return out
}

// check stops the run on an MPI error code. MPI's default error handler is
// already fatal, so this only fires under a non-default handler.
func check(call string, code C.int) {
	if code != C.MPI_SUCCESS {
		fmt.Fprintf(os.Stderr, "normflow: %s failed with MPI error %d\n", call, int(code))
		C.nf_abort(1)
		os.Exit(1)
	}
}
