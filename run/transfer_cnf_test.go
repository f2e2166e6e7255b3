package run

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/config"
)

// cnfTransferRun is the CNF of examples/phi4_cnf_L32.toml (PSD block and CNF, 12 RK4 steps) on
// an L×L lattice at Albergo et al.'s tutorial point (albergo2019, m² = −4,
// λ = 8: short correlations, so what the flow learns on 8×8 holds on 16×16),
// with epochs epochs of batch batch.
func cnfTransferRun(t *testing.T, l, epochs, batch int) *config.Run {
	t.Helper()
	r := exampleRun(t, "phi4_cnf_L32.toml", l, epochs, batch)
	steps := 12
	*r.Action.Lambd = 8
	r.Flow.Layers[1].Steps = &steps
	return r
}

// Volume transfer of a CNF: the kernel learned on 8×8, carried by orbit to
// 16×16 (docs/conventions.md §6.10), starts the 16×16 run at a higher ESS
// than the identity (the epoch-0 record of each, on a batch of 512).
func TestInitFromSmallerLatticeCNF(t *testing.T) {
	if testing.Short() {
		t.Skip("trains an 8×8 CNF for 300 epochs")
	}
	base := t.TempDir()
	small := filepath.Join(base, "L8")
	res, err := Train(cnfTransferRun(t, 8, 300, 64), small, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fresh := firstESS(t, cnfTransferRun(t, 16, 1, 512), base, "fresh", "")
	moved := firstESS(t, cnfTransferRun(t, 16, 1, 512), base, "moved", small)
	t.Logf("8×8 after %d epochs (%.0f s): ESS %.3f; 16×16 at epoch 0: ESS %.4f from the identity, %.4f from the 8×8 flow", res.Epochs, res.TrainSeconds, res.ESS, fresh, moved)
	if !(moved > 2*fresh && moved > 0.01) {
		t.Errorf("ESS %.4f after volume transfer, %.4f fresh: the transfer did not help", moved, fresh)
	}
}

// A CNF is not carried to a smaller lattice, nor from one with other
// features: a one-line error naming the layer, nothing written.
func TestInitFromRefusesOtherCNF(t *testing.T) {
	base := t.TempDir()
	big := filepath.Join(base, "L8")
	if _, err := Train(cnfTransferRun(t, 8, 1, 4), big, Options{}); err != nil {
		t.Fatal(err)
	}
	more := cnfTransferRun(t, 8, 1, 4)
	three := 3
	more.Flow.Layers[1].TimeFreqs = &three
	for _, c := range []struct {
		r    *config.Run
		want string
	}{
		{cnfTransferRun(t, 4, 1, 4), "flow.1.weights has shape [5 4 15] there, [5 4 6] here: cnf: lattice [8 8] there, [4 4] here"},
		{more, "flow.1.weights has shape [5 4 15] there, [7 4 15] here"},
	} {
		c.r.Train.InitFrom = big
		out := filepath.Join(base, "out")
		_, err := Train(c.r, out, Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "layer flow.1 ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("error %v, want one line naming layer flow.1 and %q", err, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s was written", out)
		}
	}
}
