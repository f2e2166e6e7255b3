package main

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/normflow/normflow-go/ensemble"
	"github.com/normflow/normflow-go/lattice"
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
With --ensemble FILE.npz (an .npz with an array "phi" of configurations of
shape [N, lattice…], as 'normflow sample' or 'normflow hmc' write), also
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
			var phi []float64
			var n, volume int
			if ensPath != "" {
				if !strings.HasSuffix(ensPath, ".npz") {
					return badInput("--ensemble %s: want an .npz with an array \"phi\"", ensPath)
				}
				f, err := ensemble.ReadFile(ensPath)
				if err != nil {
					return usageError{err}
				}
				var lat *lattice.Lattice
				if phi, lat, err = f.Scalar(); err != nil {
					return usageError{err}
				}
				n, volume = len(phi)/lat.Volume(), lat.Volume()
				for _, v := range phi {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						return badInput("%s: phi holds non-finite values", ensPath)
					}
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
			if err := plots.MagnetisationHistogram(phi, volume, path); err != nil {
				return err
			}
			fmt.Fprintln(out, path)
			m, err := plots.Magnetisations(phi, volume)
			if err != nil {
				return err
			}
			m2 := make([]float64, n)
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
	cmd.Flags().StringVar(&ensPath, "ensemble", "", "an .npz with \"phi\" [N, lattice…]: also draw the M histogram and ρ(t) of M²")
	return cmd
}
