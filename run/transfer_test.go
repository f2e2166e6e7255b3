package run

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/config"
	"github.com/normflow/normflow-go/examples"
)

// exampleRun is the run of examples/name on an L×L lattice with epochs
// epochs of batch batch (printing only the last).
func exampleRun(t *testing.T, name string, l, epochs, batch int) *config.Run {
	t.Helper()
	data, err := examples.FS.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	r, err := config.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	r.Lattice.Shape = []int{l, l}
	r.Train.Epochs, r.Train.Batch, r.Train.PrintStride = epochs, batch, epochs
	return r
}

// firstESS trains r (one epoch) into base/name, initialised from the run
// directory from ("" for a fresh start), and returns the ESS of its epoch-0
// record: the flow's quality before any step at the new size.
func firstESS(t *testing.T, r *config.Run, base, name, from string) float64 {
	t.Helper()
	r.Train.InitFrom = from
	dir := filepath.Join(base, name)
	if _, err := Train(r, dir, Options{}); err != nil {
		t.Fatal(err)
	}
	c, err := LoadCheckpoint(filepath.Join(dir, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	return c.State.History[0].ESS
}

// transferRun is the flow of examples/phi4_2d_affine.toml (convertors and
// affine couplings) on an L×L lattice, at a point in the symmetric phase
// (seed convention κ = 0.3, m² = 0.5, λ = 0.5: correlation length ≈ 1, so
// what the flow learns on 8×8 holds on 16×16), with epochs epochs of batch
// batch.
func transferRun(t *testing.T, l, epochs, batch int) *config.Run {
	t.Helper()
	r := exampleRun(t, "phi4_2d_affine.toml", l, epochs, batch)
	*r.Action.Kappa, *r.Action.MSq, *r.Action.Lambd = 0.3, 0.5, 0.5
	return r
}

// Volume transfer: a flow trained on 8×8 starts a 16×16 run at a higher ESS
// than the identity does (the epoch-0 record of each, estimated on a batch
// of 1024), and carries every parameter over unchanged.
func TestInitFromSmallerLattice(t *testing.T) {
	if testing.Short() {
		t.Skip("trains an 8×8 flow for 300 epochs")
	}
	base := t.TempDir()
	small := filepath.Join(base, "L8")
	if _, err := Train(transferRun(t, 8, 300, 64), small, Options{}); err != nil {
		t.Fatal(err)
	}
	fresh := firstESS(t, transferRun(t, 16, 1, 1024), base, "fresh", "")
	moved := firstESS(t, transferRun(t, 16, 1, 1024), base, "moved", small)
	t.Logf("16×16 at epoch 0: ESS %.4f from the identity, %.4f from the 8×8 flow (300 epochs)", fresh, moved)
	if !(moved > 2*fresh && moved > 0.05) {
		t.Errorf("ESS %.4f after volume transfer, %.4f fresh: the transfer did not help", moved, fresh)
	}
	j, err := NewJob(func() *config.Run { r := transferRun(t, 16, 1, 64); r.Train.InitFrom = small; return r }(), filepath.Join(base, "x"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	_, m8, err := Load(small)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range j.m.Params.Params {
		q := m8.Params.Params[i]
		if p.Name != q.Name || len(p.Value) != len(q.Value) {
			t.Fatalf("parameter %d: %s vs %s", i, p.Name, q.Name)
		}
		for k := range p.Value {
			if p.Value[k] != q.Value[k] {
				t.Fatalf("%s[%d] = %v, trained %v", p.Name, k, p.Value[k], q.Value[k])
			}
		}
	}
}

// A run whose layers differ, a dense conditioner (its weights depend on the
// volume) and a directory that holds no run are refused, naming what
// differs, and nothing is written.
func TestInitFromRefusesOtherFlows(t *testing.T) {
	base := t.TempDir()
	small := filepath.Join(base, "L8")
	if _, err := Train(transferRun(t, 8, 2, 16), small, Options{}); err != nil {
		t.Fatal(err)
	}
	other := transferRun(t, 16, 2, 16)
	other.Flow.Layers[1].Hidden = []int{8, 4}
	dense := transferRun(t, 4, 2, 16)
	yes := true
	dense.Flow.Layers[1].Dense = &yes
	denseSmall := filepath.Join(base, "dense4")
	if _, err := Train(dense, denseSmall, Options{}); err != nil {
		t.Fatal(err)
	}
	dense8 := transferRun(t, 8, 2, 16)
	dense8.Flow.Layers[1].Dense = &yes
	for _, c := range []struct {
		r        *config.Run
		from     string
		contains []string
	}{
		{other, small, []string{"init_from " + small, "flow.1.0, ", "flow.1.7", "flow.1.0.net.1.weight has shape [8 8 3 3] there, [4 8 3 3] here"}},
		{dense8, denseSmall, []string{"shape", "dense"}},
		{transferRun(t, 16, 2, 16), filepath.Join(base, "nope"), []string{"init_from", "nope"}},
	} {
		c.r.Train.InitFrom = c.from
		out := filepath.Join(base, "out")
		_, err := Train(c.r, out, Options{})
		if err == nil {
			t.Errorf("init_from %s: no error", c.from)
			continue
		}
		t.Log(err)
		for _, s := range c.contains {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("init_from %s: %v, want it to name %q", c.from, err, s)
			}
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("init_from %s: %s was written", c.from, out)
		}
	}
}
