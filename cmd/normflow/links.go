package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/normflow/normflow-go/ensemble"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/observable"
)

// SU(N) lattice gauge fields (field kind sun_links) on the command line:
// what hmc and measure print (docs/architecture.md §7.10, the observables
// of docs/sun.md §10.4).

// loopsUsage is the help of --loops.
const loopsUsage = "largest Wilson loop W(R,T), R,T ≤ K, measured on SU(N) links (1 … smallest extent − 1; default 2, less on a lattice too small for it)"

// linkLabel is the printed name of a link observable (observable.LinkSeries.Names).
func linkLabel(name string) string {
	if rt, ok := strings.CutPrefix(name, "W_"); ok {
		r, t, _ := strings.Cut(rt, "x")
		return "W(" + r + "," + t + ")"
	}
	switch name {
	case "plaquette":
		return sunLabels["plaquette"]
	case "absP":
		return "<|P|>"
	case "chi_P":
		return "chi_P"
	case "Q":
		return "<Q>"
	case "Q2":
		return "<Q^2>"
	case "chi_Q":
		return "chi_Q = <Q^2>/V"
	}
	return name
}

// printLinkObservables prints the observables of SU(N) links present in
// obs: the plaquette, W(R,T) by R then T, |P|, χ_P, Q, ⟨Q²⟩, χ_Q.
func printLinkObservables(w io.Writer, obs map[string]observable.Estimate) {
	var loops []string
	for name := range obs {
		if strings.HasPrefix(name, "W_") {
			loops = append(loops, name)
		}
	}
	slices.SortFunc(loops, func(a, b string) int { return cmp.Compare(loopKey(a), loopKey(b)) })
	names := append(append([]string{"plaquette"}, loops...), "absP", "chi_P", "Q", "Q2", "chi_Q")
	for _, name := range names {
		if est, ok := obs[name]; ok {
			fmt.Fprintf(w, "%-18s %s\n", linkLabel(name)+":", est)
		}
	}
}

// loopKey orders "W_RxT" by R, then T.
func loopKey(name string) int {
	var r, t int
	fmt.Sscanf(name, "W_%dx%d", &r, &t)
	return r<<16 | t
}

// printLinkReport prints the report of SU(N) links: a header, how the
// errors were computed, the observables in the order of names, and τ_int
// of the primary ones.
func printLinkReport(w io.Writer, path string, r *observable.LinkReport, names []string) {
	kind := "Markov chain (plain averages)"
	if r.Reweighted {
		kind = "raw flow samples, reweighted with w = p/q"
	}
	fmt.Fprintf(w, "%s: %d SU(%d) link configurations on %v, %s\n", path, r.N, r.ColorN, r.Shape, kind)
	printErrorAnalysis(w, r.ErrorAnalysis)
	printLinkObservables(w, r.Observables)
	if r.Dim == 4 {
		fmt.Fprintln(w, "(Q: the naive clover charge, unsmeared: not an integer on rough fields)")
	}
	for _, name := range names {
		if ti, ok := r.TauInt[name]; ok {
			fmt.Fprintf(w, "tau_int(%s): %s (window %d)\n", name, observable.Estimate{Mean: ti.Tau, Err: ti.Err}, ti.Window)
		}
	}
}

// checkLoops checks a --loops K given for the arrays a on lat: SU(N)
// links only, 1 ≤ K < the smallest extent.
func checkLoops(a ensemble.Arrays, lat *lattice.Lattice, k int) error {
	if a.Kind != ensemble.SUNLinks {
		return badInput("--loops = %d: Wilson loops are measured on SU(N) links, not on a %s field", k, a.Kind)
	}
	if allowed := observable.LoopsAllowed(lat); k < 1 || k > allowed {
		return badInput("--loops = %d: allowed 1 … %d on the lattice %v (a loop must be shorter than the smallest extent)", k, allowed, lat.Shape())
	}
	return nil
}

// measureLinks is `normflow measure` on SU(N) links, array "U" [N, d,
// lattice…, n, n], with Wilson loops up to loops (0: the default); a link
// that is not finite or not in SU(N), or a lattice or N package sungauge
// does not handle, is bad input.
func measureLinks(w io.Writer, src *ensemble.Source, logw []float64, asJSON bool, binSize, loops int) error {
	s, err := observable.NewLinkSeries(src.Lattice, src.ColorN, ensemble.Loops(src.Lattice, loops))
	if err != nil {
		return badInput("%s: %v", src.Path, err)
	}
	s.Grow(src.N)
	if err := addMatrices(src, s.Add); err != nil {
		return err
	}
	rep := s.Measure(logw, binSize)
	if asJSON {
		return json.NewEncoder(w).Encode(rep)
	}
	printLinkReport(w, src.Path, rep, s.Names())
	return nil
}
