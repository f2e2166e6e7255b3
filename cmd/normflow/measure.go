package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/normflow/normflow-go/ensemble"
	"github.com/normflow/normflow-go/observable"
	"github.com/spf13/cobra"
)

func measureCmd() *cobra.Command {
	var (
		asJSON, noReweight bool
		binSize, loops     int
	)
	cmd := &cobra.Command{
		Use:   "measure FILE.npz|FILE.npy|DIR",
		Short: "Measure observables with errors and τ_int on an ensemble",
		Long: `Measure an ensemble written by 'normflow sample' or 'normflow hmc' (an .npz,
or an ensemble directory of shards with its manifest ensemble.json), or any
NumPy file holding configurations of shape [N, lattice…] (a .npy array, or
an .npz with an array "phi"). The configurations are read a piece at a time
(a directory shard by shard, the shards its manifest counts); only the
per-configuration series are kept. Prints ⟨φ²⟩, ⟨φ⁴⟩, ⟨|M|⟩, χ₂ = V⟨M²⟩,
χ = V(⟨M²⟩ − ⟨|M|⟩²) and the Binder cumulant with errors, the integrated
autocorrelation times of φ², φ⁴, |M| and M² (Γ-method, automatic window),
and G(t), m_eff(t) along the first axis.
Errors of a Markov chain: the Γ-method for the primary observables (φ², φ⁴,
|M|, χ₂) and the binned jackknife for the derived ones (χ, Binder, G, m_eff)
with bins of at least 20 τ_int (the largest of the four); a warning when the
chain is too short for 20 such bins. --bin B uses the binned jackknife with
bins of B everywhere. The line "errors:" says which was used.
SU(N) ensembles (a complex128 array "U" [N, lattice…, n, n] of independent
matrices, or [N, d, lattice…, n, n] of links, docs/architecture.md §7.5):
⟨(1/n) Re Tr U⟩, ⟨(1/n) Re Tr U²⟩ and ⟨|Tr U|²⟩ averaged over the matrices,
with errors and τ_int; every matrix must be finite and in SU(n) to 1e-6.
SU(N) links (field kind sun_links, n = 2, 3 on 2 to 4 axes, docs/sun.md
§10.4): the plaquette ⟨(1/n) Re Tr U_μν⟩, the rectangular Wilson loops
W(R,T) for R ≤ T ≤ K (--loops K, default 2, at most the smallest extent
− 1; averaged over both orientations, so W(T,R) = W(R,T); W(1,1) is the
plaquette), ⟨|P|⟩ of the Polyakov loop along the last axis and
χ_P = V_s(⟨|P|²⟩ − ⟨|P|⟩²) (V_s the sites of a time slice; for a chain the
Γ-method of the derived quantity), and in 4-d the naive clover topological
charge ⟨Q⟩, ⟨Q²⟩ and χ_Q = ⟨Q²⟩/V (unsmeared: not an integer on rough
fields), with errors and τ_int of every primary series.
An .npz with logq and logp but no "accepted" array holds raw flow samples:
they are reweighted with w = p/q (unless --no-reweight) and their errors come
from the reweighted jackknife (independent samples: bins of N/100).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			if binSize < 0 {
				return badInput("--bin = %d: must be >= 0 (0: automatic)", binSize)
			}
			src, err := ensemble.Open(path)
			if err != nil {
				return usageError{err}
			}
			var logw []float64
			if !noReweight {
				if logw, err = src.LogW(); err != nil {
					return usageError{err}
				}
			}
			if src.Kind == ensemble.U1Links { // array "theta" (gauge.go)
				return measureGauge(cmd.OutOrStdout(), src, logw, asJSON, binSize)
			}
			if cmd.Flags().Changed("loops") {
				if err := checkLoops(ensemble.Arrays{Kind: src.Kind}, src.Lattice, loops); err != nil {
					return err
				}
			}
			if src.Kind == ensemble.SUNLinks { // complex array "U" of links (links.go)
				return measureLinks(cmd.OutOrStdout(), src, logw, asJSON, binSize, loops)
			}
			if src.Kind.IsSUN() { // complex array "U"
				return measureSUN(cmd.OutOrStdout(), src, logw, asJSON, binSize)
			}
			s := observable.NewScalarSeries(src.Lattice, true)
			if err := readSource(src, s.Add); err != nil {
				return err
			}
			rep := s.Measure(logw, binSize)
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(rep)
			}
			printMeasure(cmd.OutOrStdout(), path, rep)
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print one JSON object instead of text")
	f.BoolVar(&noReweight, "no-reweight", false, "average raw flow samples plainly, without w = p/q")
	f.IntVar(&binSize, "bin", 0, "jackknife bin size for every observable (0: automatic, see above)")
	f.IntVar(&loops, "loops", 0, loopsUsage)
	return cmd
}

// readPieceBytes is the size of the pieces of configurations measure and
// plot read at a time.
const readPieceBytes = 16 << 20

// readSource passes the configurations of src to add, a piece at a time;
// a defect of the file is bad input.
func readSource(src *ensemble.Source, add func(x []float64)) error {
	piece := max(1, readPieceBytes/(8*src.Values()))
	err := src.Configurations(piece, func(x []float64) error { add(x); return nil })
	if err != nil {
		return usageError{err}
	}
	return nil
}

func printMeasure(w io.Writer, path string, r *observable.Report) {
	kind := "Markov chain (plain averages)"
	if r.Reweighted {
		kind = "raw flow samples, reweighted with w = p/q"
	}
	fmt.Fprintf(w, "%s: %d configurations on %v, %s\n", path, r.N, r.Shape, kind)
	printErrorAnalysis(w, r.ErrorAnalysis)
	names := make([]string, 0, len(r.Observables))
	for k := range r.Observables {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(w, "%-8s %s\n", k+":", r.Observables[k])
	}
	for _, k := range []string{"phi2", "phi4", "absM", "M2"} {
		if ti, ok := r.TauInt[k]; ok {
			fmt.Fprintf(w, "tau_int(%s): %s (window %d)\n", k, observable.Estimate{Mean: ti.Tau, Err: ti.Err}, ti.Window)
		}
	}
	for t := range r.G {
		fmt.Fprintf(w, "t=%-3d G %-16s m_eff %s\n", t, r.G[t], r.MEff[t])
	}
}

// printErrorAnalysis says how a report's errors were computed, and warns
// when they are not reliable.
func printErrorAnalysis(w io.Writer, e observable.ErrorAnalysis) {
	fmt.Fprintf(w, "errors: %s\n", e.Errors)
	if e.Warning != "" {
		fmt.Fprintf(w, "warning: %s\n", e.Warning)
	}
}

// sunLabels are the printed names of observable.MatrixNames and LinkNames.
var sunLabels = map[string]string{
	"trU": "<Re tr U>/N", "trU2": "<Re tr U^2>/N", "absTrU2": "<|tr U|^2>", "plaquette": "<Re tr U_P>/N",
}

// printSUNObservables prints the SU(N) observables present in obs.
func printSUNObservables(w io.Writer, obs map[string]observable.Estimate) {
	for _, names := range [][]string{observable.MatrixNames, observable.LinkNames} {
		for _, name := range names {
			if est, ok := obs[name]; ok {
				fmt.Fprintf(w, "%-16s %s\n", sunLabels[name]+":", est)
			}
		}
	}
}

// addMatrices feeds the configurations of an SU(N) ensemble to add, a
// piece of about readPieceBytes at a time; a configuration add refuses (not
// finite, not in SU(N)) is bad input naming the file.
func addMatrices(src *ensemble.Source, add func(x []float64) error) error {
	piece := max(1, readPieceBytes/(8*src.Values()))
	if err := src.Configurations(piece, func(x []float64) error {
		if err := add(x); err != nil {
			return fmt.Errorf("%s: U: %v", src.Path, err)
		}
		return nil
	}); err != nil {
		return usageError{err}
	}
	return nil
}

// measureSUN is `normflow measure` on SU(N) matrices or links, array "U";
// a matrix that is not finite or not in SU(N) is bad input.
func measureSUN(w io.Writer, src *ensemble.Source, logw []float64, asJSON bool, binSize int) error {
	s, err := observable.NewSUNSeries(src.Lattice, src.ColorN, src.Kind == ensemble.SUNLinks)
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
	what := "matrix"
	names := observable.MatrixNames
	if rep.Links {
		what, names = "link", observable.LinkNames
	}
	kind := "Markov chain (plain averages)"
	if rep.Reweighted {
		kind = "raw flow samples, reweighted with w = p/q"
	}
	fmt.Fprintf(w, "%s: %d SU(%d) %s configurations on %v, %s\n", src.Path, rep.N, rep.ColorN, what, rep.Shape, kind)
	printErrorAnalysis(w, rep.ErrorAnalysis)
	printSUNObservables(w, rep.Observables)
	for _, name := range names {
		if ti, ok := rep.TauInt[name]; ok {
			fmt.Fprintf(w, "tau_int(%s): %s (window %d)\n", name, observable.Estimate{Mean: ti.Tau, Err: ti.Err}, ti.Window)
		}
	}
	return nil
}
