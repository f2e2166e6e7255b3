package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/normflow/normflow-go/ensemble"
	"github.com/normflow/normflow-go/gauge"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/observable"
	"github.com/normflow/normflow-go/stats"
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

// measureGauge is `normflow measure` on a link ensemble theta [N ≥ 2, 2, Lx, Ly].
func measureGauge(w io.Writer, f *ensemble.File, asJSON, noReweight bool, binSize int) error {
	theta, lat, err := f.Links()
	if err != nil {
		return usageError{err}
	}
	logw, err := measureLogW(f, len(theta)/(2*lat.Volume()), noReweight)
	if err != nil {
		return err
	}
	rep, err := observable.Gauge(theta, lat, logw, binSize)
	if err != nil {
		return badInput("%s: %v", f.Path, err)
	}
	if asJSON {
		return json.NewEncoder(w).Encode(rep)
	}
	printGaugeMeasure(w, f.Path, rep)
	return nil
}

// hmcGauge finishes `normflow hmc` for the Wilson action on the lattice
// lat: angles wrapped into (−π, π], the ensemble e written as theta
// [N, 2, Lx, Ly], accepted, deltaH, and the gauge observables printed.
func hmcGauge(w io.Writer, e *ensemble.Ensemble, lat *lattice.Lattice, therm, steps int, step float64, out string) error {
	n := len(e.Accepted)
	gauge.WrapAll(e.Phi)
	rep, err := observable.Gauge(e.Phi, lat, nil, 0)
	if err != nil {
		return usageError{err}
	}
	rate, rateErr := stats.AcceptanceRate(e.Accepted)
	fmt.Fprintf(w, "hmc: %d trajectories (%d thermalisation) of %d × %g, acceptance %s\n",
		n, therm, steps, step, stats.FormatValueError(rate, rateErr, 2))
	if out != "" {
		if err := e.WriteNPZ(out); err != nil {
			return err
		}
	}
	printGaugeMeasure(w, "hmc", rep)
	if out != "" {
		fmt.Fprintf(w, "ensemble written to %s\n", out)
	}
	return nil
}
