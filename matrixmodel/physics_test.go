package matrixmodel_test

import (
	"math"
	"testing"

	"github.com/normflow/normflow-go/internal/testrun"
	"github.com/normflow/normflow-go/internal/within"
	"github.com/normflow/normflow-go/matrixmodel"
	"github.com/normflow/normflow-go/mcmc"
	"github.com/normflow/normflow-go/stats"
	"github.com/normflow/normflow-go/sun"
)

// TestFlowMCMCMatrixExamples trains each one-matrix example
// (examples/su3_matrix.toml, su3_boyda.toml, su2_matrix.toml) exactly as
// `normflow train` would, runs an independence-Metropolis chain of 32768
// steps on the trained flow, and checks against the exact values of Weyl
// quadrature (docs/sun.md §11):
//   - ⟨(1/N) Re Tr U⟩ and ⟨|Tr U|²⟩ within 4σ (Γ-method errors, so the
//     chain's autocorrelation is included);
//   - log Z of the proposals (jackknife error) within 4σ of ln Z;
//   - the proposals' ESS at least the target: 0.95 (su3_matrix, su2_matrix),
//     0.9 (the Boyda density; Boyda et al. report lower).
//
// Training takes 1–25 s per example on idle cores: skipped under -short.
func TestFlowMCMCMatrixExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the three matrix examples; run without -short")
	}
	for _, c := range []struct {
		file      string
		essTarget float64
	}{{"su3_matrix.toml", 0.95}, {"su3_boyda.toml", 0.9}, {"su2_matrix.toml", 0.95}} {
		t.Run(c.file, func(t *testing.T) {
			run, m, res := testrun.Example(t, c.file)
			if res.Skipped > 0 {
				t.Errorf("%d training steps skipped (non-finite)", res.Skipped)
			}
			a := m.Action.(*matrixmodel.Action)
			n := a.ColorN()
			const steps = 32768
			phi, _, _, acc, logw := mcmc.NewChain(m, 7).Sample(steps)
			tr := a.SeriesMeanTrace(phi)
			abs2 := make([]float64, steps)
			u := make([]complex128, n*n)
			for i := range abs2 {
				sun.FromInterleaved(u, phi[i*2*n*n:(i+1)*2*n*n])
				z := sun.Trace(u)
				abs2[i] = real(z)*real(z) + imag(z)*imag(z)
			}
			gt, ga := stats.GammaMethod(tr, 0), stats.GammaMethod(abs2, 0)
			exactT := matrixmodel.MeanTrace(n, a.Beta, a.Coeffs, 256)
			exactA := matrixmodel.Expect(n, a.Beta, a.Coeffs, 256, func(th []float64) float64 {
				var re, im float64
				for _, x := range th {
					re += math.Cos(x)
					im += math.Sin(x)
				}
				return re*re + im*im
			})
			exactLogZ := matrixmodel.LogZ(n, a.Beta, a.Coeffs, 256)
			ess := stats.ESS(logw)
			lz, lzErr := stats.LogZ(logw)
			rate, rateErr := stats.AcceptanceRate(acc)
			t.Logf("%s: trained %d steps (batch %d) in %.1f s; chain of %d: ESS %.4f, acceptance %s, log Z %s (exact %.6f)",
				c.file, run.Train.Epochs, run.Train.Batch, res.TrainSeconds, steps, ess,
				stats.FormatValueError(rate, rateErr, 2), stats.FormatValueError(lz, lzErr, 2), exactLogZ)
			t.Logf("%s: <(1/N) Re Tr U> = %s (exact %.9f, τ_int %.2f), <|Tr U|²> = %s (exact %.9f, τ_int %.2f)",
				c.file, stats.FormatValueError(gt.Mean, gt.Err, 2), exactT, gt.TauInt,
				stats.FormatValueError(ga.Mean, ga.Err, 2), exactA, ga.TauInt)
			within.Sigmas(t, "<(1/N) Re Tr U>", gt.Mean, exactT, gt.Err, 4)
			within.Sigmas(t, "<|Tr U|²>", ga.Mean, exactA, ga.Err, 4)
			within.Sigmas(t, "log Z", lz, exactLogZ, lzErr, 4)
			if !(ess >= c.essTarget) {
				t.Errorf("ESS %.4f below the target %.2f", ess, c.essTarget)
			}
		})
	}
}
