package flow

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/normflow/normflow-go/lattice"
)

// TestCNFStepsTable prints the integrator's errors against the number of
// RK4 steps (the table of docs/conventions.md §5.19): the largest round-trip
// error, |logJ_forward + logJ_inverse| and |logJ − log|det J|| against the
// finite-difference Jacobian of the discrete map, for the trained layer of
// testdata and random 4×4 layers. It takes a minute: run it with
// NORMFLOW_CNF_STEPS=1.
func TestCNFStepsTable(t *testing.T) {
	if os.Getenv("NORMFLOW_CNF_STEPS") == "" {
		t.Skip("set NORMFLOW_CNF_STEPS=1 to print the table")
	}
	c, lat := trainedCNF(t)
	r := rand.New(rand.NewPCG(11, 12))
	stepsTable(t, "trained 8×8", c, randn(r, 2*lat.Volume(), 1), 2)
	lat = lattice.MustNew(4, 4)
	for _, scale := range []float64{0.25, 0.5} {
		r := rand.New(rand.NewPCG(11, 12))
		c := testCNF(t, lat, CNFOptions{Steps: 1, Freqs: 3, TimeFreqs: 2, Local: true}, cnfByFFT, r, scale)
		stepsTable(t, "random 4×4", c, randn(r, 4*lat.Volume(), 1), 4)
	}
}

func stepsTable(t *testing.T, label string, c *CNF, x []float64, batch int) {
	for _, steps := range []int{20, 50, 64, 72, 80, 90, 100, 160} {
		c.Opts.Steps = steps
		y, lf := pass(c, false, nil, x, batch)
		xr, li := pass(c, true, nil, y, batch)
		var move, rt, lc, ljd, ljm float64
		for i := range x {
			move += (y[i] - x[i]) * (y[i] - x[i])
			rt = max(rt, math.Abs(xr[i]-x[i]))
		}
		for b := range lf {
			lc = max(lc, math.Abs(lf[b]+li[b]))
			ljm += math.Abs(lf[b]) / float64(batch)
		}
		for b := range batch {
			ljd = max(ljd, math.Abs(fdLogDet(c, false, x, batch, b, 1e-5)-lf[b]))
		}
		t.Logf("%s, steps %3d: rms move %.3f, mean |logJ| %.3f; round trip %.2e, logJ fwd+inv %.2e, logJ − log|det J| %.2e",
			label, steps, math.Sqrt(move/float64(len(x))), ljm, rt, lc, ljd)
	}
}
