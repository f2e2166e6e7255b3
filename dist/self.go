package dist

// Self is the communicator of one process alone: rank 0 of 1. Its
// collectives are the identity.
type Self struct{}

func (Self) Rank() int                  { return 0 }
func (Self) Size() int                  { return 1 }
func (Self) AllreduceSum(buf []float64) {}
func (Self) Bcast(buf []float64, root int) {
	checkRoot(root, 1)
}
func (Self) Barrier() {}

// Gatherv returns [send] (not a copy).
func (Self) Gatherv(send []float64, root int) [][]float64 {
	checkRoot(root, 1)
	return [][]float64{send}
}

// checkRoot panics on a root outside the communicator: a programming error
// that MPI would report as fatal too.
func checkRoot(root, size int) {
	if root < 0 || root >= size {
		panic("dist: root rank out of range")
	}
}
