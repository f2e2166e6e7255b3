package run

import (
	"testing"

	"github.com/normflow/normflow-go/train"
)

// fuzzSmall reports whether a run's model is cheap enough to build in a
// fuzz iteration.
func fuzzSmall(c *Checkpoint) bool {
	sites := 1
	for _, l := range c.Run.Lattice.Shape {
		sites *= l
	}
	if sites > 256 || len(c.Run.Flow.Layers) > 4 {
		return false
	}
	for _, l := range c.Run.Flow.Layers {
		for _, p := range []*int{l.Knots, l.IPSDKnots, l.Repeat, l.Kernel} {
			if p != nil && *p > 16 {
				return false
			}
		}
		for _, h := range l.Hidden {
			if h > 16 {
				return false
			}
		}
	}
	return true
}

// FuzzLoadCheckpoint: no file makes the checkpoint loader panic. Inputs are
// decoded with the checksum verified (what LoadCheckpoint does) and, to reach
// the checks behind it, without; whatever is accepted is restored into the
// model of its run description.
func FuzzLoadCheckpoint(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = decodeCheckpoint(data, "fuzz", true) // an error for almost every input
		c, err := decodeCheckpoint(data, "fuzz", false)
		if err != nil || !fuzzSmall(c) {
			return
		}
		if len(c.State.History) != c.State.Epoch+1 {
			t.Fatalf("accepted a history of %d records for epoch %d", len(c.State.History), c.State.Epoch)
		}
		m, err := c.Run.BuildModel()
		if err != nil {
			return
		}
		opt := train.NewAdamW(m.Params, train.Group{LR: 1e-3}, nil)
		if err := c.Restore(m, opt); err == nil && opt.T != c.AdamStep {
			t.Fatalf("restored adam step %d, checkpoint says %d", opt.T, c.AdamStep)
		}
	})
}
