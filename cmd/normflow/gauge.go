package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/normflow/normflow-go/ensemble"
	"github.com/normflow/normflow-go/observable"
)

// The gauge branches of sample, measure and hmc: ensembles of U(1) link
// angles, array "theta" [N, d, lattice…] with d = 2, 3, 4 axes (package
// gauge); the topological charge is measured in 2-d only.

// gaugeLabels are the printed names of observable.GaugeNames.
var gaugeLabels = map[string]string{"plaquette": "<cos theta_P>", "Q2": "<Q^2>", "chi_t": "chi_t = <Q^2>/V", "Q": "<Q>", "absP": "<|P|>"}

// printGaugeObservables prints the gauge observables present in obs.
func printGaugeObservables(w io.Writer, obs map[string]observable.Estimate) {
	for _, name := range observable.GaugeNames {
		if est, ok := obs[name]; ok {
			fmt.Fprintf(w, "%-16s %s\n", gaugeLabels[name]+":", est)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(obs)) { // W_RxT, d > 2
		if strings.HasPrefix(name, "W_") {
			fmt.Fprintf(w, "%-16s %s\n", name+":", obs[name])
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
	for _, k := range []string{"Q", "Q2", "plaquette", "absP"} {
		if ti, ok := r.TauInt[k]; ok {
			fmt.Fprintf(w, "tau_int(%s): %s (window %d)\n", k, observable.Estimate{Mean: ti.Tau, Err: ti.Err}, ti.Window)
		}
	}
}

// measureGauge is `normflow measure` on a link ensemble theta [N ≥ 2, d, lattice…].
func measureGauge(w io.Writer, src *ensemble.Source, logw []float64, asJSON bool, binSize int) error {
	s, err := observable.NewGaugeSeries(src.Lattice)
	if err != nil {
		return badInput("%s: %v", src.Path, err)
	}
	if err := readSource(src, s.Add); err != nil {
		return err
	}
	rep := s.Measure(logw, binSize)
	if asJSON {
		return json.NewEncoder(w).Encode(rep)
	}
	printGaugeMeasure(w, src.Path, rep)
	return nil
}
