package dist

import "sync"

// NewLocal returns the size ranks of a communicator whose ranks are
// goroutines of this process: comms[r] is rank r, to be used by one goroutine.
// It behaves as an MPI communicator does (the sum of AllreduceSum is formed in
// rank order), so tests run multi-rank code without MPI.
func NewLocal(size int) []Comm {
	if size < 1 {
		panic("dist: NewLocal needs size >= 1")
	}
	g := &localGroup{size: size, slots: make([][]float64, size)}
	g.cond = sync.NewCond(&g.mu)
	comms := make([]Comm, size)
	for r := range comms {
		comms[r] = &local{g: g, rank: r}
	}
	return comms
}

// localGroup is the state the ranks share: one slot per rank and a reusable
// barrier (arrivals counted per generation).
type localGroup struct {
	size  int
	slots [][]float64

	mu      sync.Mutex
	cond    *sync.Cond
	arrived int
	gen     uint64
}

func (g *localGroup) barrier() {
	g.mu.Lock()
	defer g.mu.Unlock()
	gen := g.gen
	g.arrived++
	if g.arrived == g.size {
		g.arrived = 0
		g.gen++
		g.cond.Broadcast()
		return
	}
	for gen == g.gen {
		g.cond.Wait()
	}
}

type local struct {
	g    *localGroup
	rank int
}

func (c *local) Rank() int { return c.rank }
func (c *local) Size() int { return c.g.size }
func (c *local) Barrier()  { c.g.barrier() }

// Each collective: every rank posts into its slot, a barrier, every rank
// reads what it needs, a second barrier so that no slot is reused early.

func (c *local) AllreduceSum(buf []float64) {
	g := c.g
	g.slots[c.rank] = append([]float64(nil), buf...)
	g.barrier()
	for r := range g.slots {
		if len(g.slots[r]) != len(buf) {
			panic("dist: AllreduceSum buffers differ in length across ranks")
		}
	}
	for i := range buf {
		s := g.slots[0][i]
		for r := 1; r < g.size; r++ {
			s += g.slots[r][i]
		}
		buf[i] = s
	}
	g.barrier()
}

func (c *local) Bcast(buf []float64, root int) {
	g := c.g
	checkRoot(root, g.size)
	if c.rank == root {
		g.slots[root] = buf
	}
	g.barrier()
	if c.rank != root {
		if len(g.slots[root]) != len(buf) {
			panic("dist: Bcast buffers differ in length across ranks")
		}
		copy(buf, g.slots[root])
	}
	g.barrier()
}

func (c *local) Gatherv(send []float64, root int) [][]float64 {
	g := c.g
	checkRoot(root, g.size)
	g.slots[c.rank] = send
	g.barrier()
	var out [][]float64
	if c.rank == root {
		out = make([][]float64, g.size)
		for r, s := range g.slots {
			out[r] = append([]float64(nil), s...)
		}
	}
	g.barrier()
	return out
}
