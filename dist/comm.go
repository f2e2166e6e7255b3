// Package dist runs training and sampling data-parallel over the ranks of a
// communicator: one process per rank, each with its own goroutines, as MPI
// programs do. The default build is a single process (World is Self); the
// build tag `mpi` makes World the MPI_COMM_WORLD of Open MPI, through cgo
// (Debian libopenmpi-dev), for runs under mpirun or srun.
//
// A single-process user needs none of it; to share training steps between
// ranks, set train.Options.Comm to World(). Start with package model.
package dist

// Comm is a communicator: Size ranks numbered 0 … Size−1, of which this
// process is Rank. The collectives must be called by every rank, in the same
// order, with slices of the same length where the method says so; they return
// when this rank's part is done. MPI errors are fatal (MPI's default).
type Comm interface {
	Rank() int
	Size() int
	// AllreduceSum replaces buf (same length on every rank) by the
	// element-wise sum over ranks. Every rank receives the same values, bit
	// for bit: the sum is formed once, in a fixed order, and distributed.
	AllreduceSum(buf []float64)
	// Bcast copies root's buf into buf on every other rank (same length on
	// every rank).
	Bcast(buf []float64, root int)
	// Gatherv collects every rank's send (lengths may differ) at root, which
	// receives them in rank order: out[r] is rank r's send. Other ranks get nil.
	Gatherv(send []float64, root int) [][]float64
	// Barrier returns when every rank has called it.
	Barrier()
}

// IsRoot reports whether c is nil (a single process) or this process is rank 0:
// the rank that prints and writes files.
func IsRoot(c Comm) bool { return c == nil || c.Rank() == 0 }

// Split returns the part [lo, hi) of n items that rank takes out of size
// ranks: contiguous, in rank order, sizes differing by at most one (the last
// ranks take the larger parts).
func Split(n, rank, size int) (lo, hi int) {
	return rank * n / size, (rank + 1) * n / size
}
