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
		Short: "Draw the training history (and an ensemble's M histogram and ρ(t)) as PNGs",
		Long: `Draw figures of a run directory written by 'normflow train':
DIR/history.png, the loss and the effective sample size ESS/N against the
epoch, from DIR/history.csv.
With --ensemble FILE.npz|ENSEMBLE_DIR (an .npz with an array "phi" of
configurations of shape [N, lattice…], or an ensemble directory, as
'normflow sample' or 'normflow hmc' write them; read a piece at a time), also
DIR/magnetisation.png, the histogram of M = Σₓ φ(x)/V, and DIR/autocorr_M2.png,
the autocorrelation function ρ(t) of M² (Γ-method, with the automatic window
W and τ_int). Prints the paths written. All input is checked before anything
is written; each figure is written atomically.`,
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
			if ensPath != "" {
				if m, err = plotMagnetisations(ensPath); err != nil {
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
	cmd.Flags().StringVar(&ensPath, "ensemble", "", "an .npz with \"phi\" [N, lattice…], or an ensemble directory: also draw the M histogram and ρ(t) of M²")
	return cmd
}

// plotMagnetisations reads the scalar ensemble at path (an .npz or an
// ensemble directory) a piece at a time and returns the magnetisation of
// each configuration.
func plotMagnetisations(path string) ([]float64, error) {
	if !ensemble.IsNPZ(path) {
		if st, err := os.Stat(path); err != nil || !st.IsDir() {
			return nil, badInput("--ensemble %s: want an .npz with an array \"phi\", or an ensemble directory", path)
		}
	}
	src, err := ensemble.Open(path)
	if err != nil {
		return nil, usageError{err}
	}
	if src.Kind != ensemble.Scalar {
		return nil, badInput("--ensemble %s holds %s: the figures are of a scalar field's magnetisation", path, src.Kind)
	}
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
