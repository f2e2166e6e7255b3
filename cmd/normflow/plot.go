package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/normflow/normflow-go/ensemble"
	"github.com/normflow/normflow-go/plots"
	"github.com/normflow/normflow-go/run"
	"github.com/spf13/cobra"
)

func plotCmd() *cobra.Command {
	var ensPath string
	cmd := &cobra.Command{
		Use:   "plot DIR",
		Short: "Draw the training history (and an ensemble's M histogram and ρ(t), or SU(N) eigen-angles) as PNGs",
		Long: `Draw figures of a run directory written by 'normflow train':
DIR/history.png, the loss and the effective sample size ESS/N against the
epoch, from DIR/history.csv.
With --ensemble FILE.npz|ENSEMBLE_DIR (an .npz with an array "phi" of
configurations of shape [N, lattice…], or an ensemble directory, as
'normflow sample' or 'normflow hmc' write them; read a piece at a time), also
DIR/magnetisation.png, the histogram of M = Σₓ φ(x)/V, and DIR/autocorr_M2.png,
the autocorrelation function ρ(t) of M² (Γ-method, with the automatic window
W and τ_int). For an ensemble of SU(N) matrices (a complex128 array "U"
[N, lattice…, n, n], n = 2 or 3) instead DIR/eigen_angles.png: the histogram
of the eigen-angles of every matrix against their exact density, the Haar
(Weyl) density times the Boltzmann weight of DIR's action when the ensemble
records that it was sampled from DIR's model (and that action is a class
function of each matrix), else the Haar density, as its legend says
(docs/architecture.md §7.5). Prints the paths written. All input is checked
before anything is written; each figure is written atomically.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if st, err := os.Stat(dir); err != nil {
				return badInput("run directory %s: %v", dir, err)
			} else if !st.IsDir() {
				return badInput("%s is not a directory", dir)
			}
			hist, err := plots.ReadHistory(filepath.Join(dir, run.HistoryFile))
			if errors.Is(err, fs.ErrNotExist) {
				return badInput("run directory %s has no %s (train one with `normflow train --out DIR`)", dir, run.HistoryFile)
			}
			if err != nil {
				return badInput("%v", err)
			}
			var m []float64 // the magnetisation of each configuration
			var eig *eigenFigure
			if ensPath != "" {
				src, err := openPlotEnsemble(ensPath)
				if err != nil {
					return err
				}
				if src.Kind == ensemble.SUNMatrices {
					eig, err = plotEigenAngles(dir, src)
				} else {
					m, err = plotMagnetisations(src)
				}
				if err != nil {
					return err
				}
			}

			out := cmd.OutOrStdout()
			path := filepath.Join(dir, "history.png")
			if err := plots.WriteHistory(hist, path); err != nil {
				return err
			}
			fmt.Fprintln(out, path)
			if ensPath == "" {
				return nil
			}
			if eig != nil {
				path = filepath.Join(dir, "eigen_angles.png")
				if err := plots.EigenAngleHistogram(eig.angles, eig.n, eig.rho, eig.label, path); err != nil {
					return err
				}
				fmt.Fprintln(out, path)
				return nil
			}
			path = filepath.Join(dir, "magnetisation.png")
			if err := plots.MagnetisationHistogramOf(m, path); err != nil {
				return err
			}
			fmt.Fprintln(out, path)
			m2 := make([]float64, len(m))
			for i, v := range m {
				m2[i] = v * v
			}
			path = filepath.Join(dir, "autocorr_M2.png")
			if err := plots.Autocorrelation(m2, "M²", path); err != nil {
				return err
			}
			fmt.Fprintln(out, path)
			return nil
		},
	}
	cmd.Flags().StringVar(&ensPath, "ensemble", "", "an .npz with \"phi\" [N, lattice…] or \"U\" [N, lattice…, n, n], or an ensemble directory: also draw the M histogram and ρ(t) of M², or the eigen-angle histogram")
	return cmd
}

// openPlotEnsemble opens the ensemble at path (an .npz or an ensemble
// directory) of a kind plot draws: a scalar field or SU(N) matrices.
func openPlotEnsemble(path string) (*ensemble.Source, error) {
	if !ensemble.IsNPZ(path) {
		if st, err := os.Stat(path); err != nil || !st.IsDir() {
			return nil, badInput("--ensemble %s: want an .npz with an array \"phi\" or \"U\", or an ensemble directory", path)
		}
	}
	src, err := ensemble.Open(path)
	if err != nil {
		return nil, usageError{err}
	}
	if src.Kind != ensemble.Scalar && src.Kind != ensemble.SUNMatrices {
		return nil, badInput("--ensemble %s holds %s: the figures are of a scalar field's magnetisation or of the eigen-angles of SU(N) matrices (sun_matrices)", path, src.Kind)
	}
	return src, nil
}

// plotMagnetisations reads the scalar ensemble src a piece at a time and
// returns the magnetisation of each configuration.
func plotMagnetisations(src *ensemble.Source) ([]float64, error) {
	path := src.Path
	var m []float64
	var bad bool
	if err := readSource(src, func(x []float64) {
		mx, err := plots.Magnetisations(x, src.Lattice.Volume())
		bad = bad || err != nil
		m = append(m, mx...)
	}); err != nil {
		return nil, err
	}
	if bad {
		return nil, badInput("%s: phi holds non-finite values", path)
	}
	return m, nil
}

// eigenFigure is what the eigen-angle figure of SU(N) matrices shows.
type eigenFigure struct {
	angles []float64 // every eigen-angle of every matrix, in (−π, π]
	n      int
	rho    func(float64) float64 // the exact density of one angle
	label  string                // its legend entry
}

// plotEigenAngles reads the SU(N) matrices src a piece at a time into
// their eigen-angles, and chooses the exact density: Haar × exp(−S) with
// the action of the run directory dir when src records that it was
// sampled from dir's model and that action is a class function of each
// matrix, else the Haar density, the legend saying why.
func plotEigenAngles(dir string, src *ensemble.Source) (*eigenFigure, error) {
	n := src.ColorN
	if n != 2 && n != 3 {
		return nil, badInput("--ensemble %s holds SU(%d) matrices: eigen-angles are drawn for N = 2 and 3", src.Path, n)
	}
	f := &eigenFigure{n: n}
	piece := max(1, readPieceBytes/(8*src.Values()))
	err := src.Configurations(piece, func(x []float64) error {
		var err error
		if f.angles, err = plots.EigenAngles(f.angles, x, n); err != nil {
			return fmt.Errorf("%s: U: %v", src.Path, err)
		}
		return nil
	})
	if err != nil {
		return nil, usageError{err}
	}
	logWeight, why := runLogWeight(dir, src.Path)
	f.label = "exact: Haar (Weyl) × exp(−S), S of " + dir
	if logWeight == nil {
		f.label = "Haar (Weyl) density: " + why
	}
	if f.rho, err = plots.EigenAngleDensity(n, 64, logWeight); err != nil {
		return nil, badInput("%s: %v", src.Path, err)
	}
	return f, nil
}

// runLogWeight is the log Boltzmann weight of one matrix of the action of
// the run directory dir, when the ensemble at path records that it was
// sampled from dir's model; else nil and why not.
func runLogWeight(dir, path string) (func([]float64) float64, string) {
	recorded, err := ensemble.RecordedModel(path)
	switch {
	case err != nil:
		return nil, "its action is unknown (" + err.Error() + ")"
	case recorded == "":
		return nil, "the file does not say its action"
	}
	if digest, err := run.ModelDigest(dir); err != nil || digest != recorded {
		return nil, "the file is not from " + dir + "'s model"
	}
	_, m, err := run.Load(dir)
	if err != nil {
		return nil, "the action of " + dir + " could not be built"
	}
	lw, err := plots.MatrixLogWeight(m.Action)
	if err != nil {
		return nil, err.Error()
	}
	return lw, ""
}
