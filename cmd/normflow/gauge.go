package main

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/normflow/normflow-go/gauge"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/observable"
	"github.com/normflow/normflow-go/stats"
	"github.com/normflow/normflow-go/store"
)

// The gauge branches of sample, measure and hmc: ensembles of 2-d U(1) link
// angles, array "theta" [N, 2, Lx, Ly] (package gauge).

// gaugeLabels are the printed names of observable.GaugeNames.
var gaugeLabels = map[string]string{"plaquette": "<cos theta_P>", "Q2": "<Q^2>", "chi_t": "chi_t = <Q^2>/V", "Q": "<Q>"}

// printGaugeObservables prints the gauge observables present in obs.
func printGaugeObservables(w io.Writer, obs map[string]observable.Estimate) {
	for _, name := range observable.GaugeNames {
		if est, ok := obs[name]; ok {
			fmt.Fprintf(w, "%-16s %s\n", gaugeLabels[name]+":", est)
		}
	}
}

// printGaugeMeasure prints a gauge report: observables and τ_int.
func printGaugeMeasure(w io.Writer, path string, r *observable.GaugeReport) {
	kind := "Markov chain (plain averages)"
	if r.Reweighted {
		kind = "raw flow samples, reweighted with w = p/q"
	}
	fmt.Fprintf(w, "%s: %d U(1) link configurations on %v, %s\n", path, r.N, r.Shape, kind)
	printErrorAnalysis(w, r.ErrorAnalysis)
	printGaugeObservables(w, r.Observables)
	for _, k := range []string{"Q", "Q2", "plaquette"} {
		if ti, ok := r.TauInt[k]; ok {
			fmt.Fprintf(w, "tau_int(%s): %s (window %d)\n", k, observable.Estimate{Mean: ti.Tau, Err: ti.Err}, ti.Window)
		}
	}
}

// isGaugeEnsemble reports whether path is an .npz holding an array "theta"
// (read from the zip directory only).
func isGaugeEnsemble(path string) bool {
	if !strings.HasSuffix(path, ".npz") {
		return false
	}
	z, err := zip.OpenReader(path)
	if err != nil {
		return false
	}
	defer z.Close()
	for _, f := range z.File {
		if f.Name == "theta.npy" {
			return true
		}
	}
	return false
}

// measureGauge is `normflow measure` on a link ensemble theta [N ≥ 2, 2, Lx, Ly].
func measureGauge(w io.Writer, path string, asJSON, noReweight bool, binSize int) error {
	arrays, err := readEnsemble(path)
	if err != nil {
		return usageError{err}
	}
	a := arrays["theta"]
	if len(a.Shape) != 4 || a.Shape[0] < 2 || a.Shape[1] != 2 {
		return badInput("%s: theta has shape %v: want [N ≥ 2, 2, Lx, Ly] (2-d U(1) link angles)", path, a.Shape)
	}
	lat, err := lattice.New(a.Shape[2:]...)
	if err != nil {
		return badInput("%s: theta has shape %v: %v", path, a.Shape, err)
	}
	theta, err := a.Float64s()
	if err != nil {
		return badInput("%s: theta: %v", path, err)
	}
	logw, err := ensembleLogW(path, arrays, a.Shape[0], noReweight)
	if err != nil {
		return err
	}
	rep, err := observable.Gauge(theta, lat, logw, binSize)
	if err != nil {
		return badInput("%s: %v", path, err)
	}
	if asJSON {
		return json.NewEncoder(w).Encode(rep)
	}
	printGaugeMeasure(w, path, rep)
	return nil
}

// ensembleLogW returns log w = log p − log q for raw flow samples (logq and
// logp but no "accepted"), nil for a chain or with noReweight.
func ensembleLogW(path string, arrays map[string]store.Array, n int, noReweight bool) ([]float64, error) {
	_, chain := arrays["accepted"]
	lq, hasQ := arrays["logq"]
	lp, hasP := arrays["logp"]
	if !hasQ || !hasP || chain || noReweight {
		return nil, nil
	}
	q, err1 := lq.Float64s()
	p, err2 := lp.Float64s()
	if err1 != nil || err2 != nil || len(q) != n || len(p) != n {
		return nil, badInput("%s: logq/logp must be float arrays of length N = %d", path, n)
	}
	logw := make([]float64, n)
	for i := range q {
		logw[i] = p[i] - q[i]
	}
	return logw, nil
}

// hmcGauge finishes `normflow hmc` for the Wilson action: angles wrapped
// into (−π, π], the ensemble written as theta [N, 2, Lx, Ly], accepted,
// deltaH, and the gauge observables printed.
func hmcGauge(w io.Writer, act *gauge.Wilson, theta []float64, acc []bool, dH []float64, therm, steps int, step float64, out string) error {
	n := len(acc)
	gauge.WrapAll(theta)
	lat := act.Lattice()
	rep, err := observable.Gauge(theta, lat, nil, 0)
	if err != nil {
		return usageError{err}
	}
	rate, rateErr := stats.AcceptanceRate(acc)
	fmt.Fprintf(w, "hmc: %d trajectories (%d thermalisation) of %d × %g, acceptance %s\n",
		n, therm, steps, step, stats.FormatValueError(rate, rateErr, 2))
	if out != "" {
		arrays := []store.Array{
			{Name: "theta", Shape: append([]int{n, 2}, lat.Shape()...), Data: theta},
			{Name: "accepted", Shape: []int{n}, Data: acc},
			{Name: "deltaH", Shape: []int{n}, Data: dH},
		}
		if err := store.WriteNPZ(out, arrays); err != nil {
			return err
		}
	}
	printGaugeMeasure(w, "hmc", rep)
	if out != "" {
		fmt.Fprintf(w, "ensemble written to %s\n", out)
	}
	return nil
}
