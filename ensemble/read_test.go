package ensemble

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/store"
)

// writeArrays writes arrays as dir/name (.npz or .npy) and returns the path.
func writeArrays(t *testing.T, name string, arrays ...store.Array) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	var err error
	if strings.HasSuffix(name, ".npy") {
		err = store.WriteNPY(path, arrays[0])
	} else {
		err = store.WriteNPZ(path, arrays)
	}
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// ReadFile classifies files by their arrays and returns the checked
// configurations and the log-weights of raw flow samples.
func TestReadFile(t *testing.T) {
	phi := store.Array{Name: "phi", Shape: []int{3, 2, 2}, Data: make([]float64, 12)}
	theta := store.Array{Name: "theta", Shape: []int{3, 2, 2, 2}, Data: make([]float64, 24)}
	logq := store.Array{Name: "logq", Shape: []int{3}, Data: []float64{-1, -2, -3}}
	logp := store.Array{Name: "logp", Shape: []int{3}, Data: []float64{-1, -1, -1}}
	acc := store.Array{Name: "accepted", Shape: []int{3}, Data: []bool{true, false, true}}

	f, err := ReadFile(writeArrays(t, "raw.npz", phi, logq, logp))
	if err != nil {
		t.Fatal(err)
	}
	if f.Kind != Scalar {
		t.Errorf("phi file: kind %v", f.Kind)
	}
	x, lat, err := f.Scalar()
	if err != nil || len(x) != 12 || !slices.Equal(lat.Shape(), []int{2, 2}) {
		t.Errorf("Scalar: %d values, lattice %v, %v", len(x), lat, err)
	}
	if w, err := f.LogW(3); err != nil || !slices.Equal(w, []float64{0, 1, 2}) {
		t.Errorf("LogW of raw samples: %v, %v", w, err)
	}
	if _, err := f.LogW(4); err == nil || !strings.Contains(err.Error(), "length N = 4") {
		t.Errorf("LogW with the wrong N: %v", err)
	}
	if _, _, err := f.Links(); err == nil || !strings.Contains(err.Error(), `no array "theta"`) {
		t.Errorf("Links of a scalar file: %v", err)
	}

	f, err = ReadFile(writeArrays(t, "chain.npz", theta, logq, logp, acc))
	if err != nil {
		t.Fatal(err)
	}
	if f.Kind != U1Links {
		t.Errorf("theta file: kind %v", f.Kind)
	}
	if x, lat, err := f.Links(); err != nil || len(x) != 24 || lat.Volume() != 4 {
		t.Errorf("Links: %d values, lattice %v, %v", len(x), lat, err)
	}
	if w, err := f.LogW(3); w != nil || err != nil {
		t.Errorf("LogW of a chain: %v, %v", w, err)
	}

	f, err = ReadFile(writeArrays(t, "e.npy", phi))
	if err != nil || f.Kind != Scalar {
		t.Fatalf(".npy: %v, %v", f, err)
	}
	if _, _, err := f.Scalar(); err != nil {
		t.Error(err)
	}
	if w, err := f.LogW(3); w != nil || err != nil {
		t.Errorf("LogW without logq and logp: %v, %v", w, err)
	}

	bad := store.Array{Name: "theta", Shape: []int{3, 3, 2, 2}, Data: make([]float64, 36)}
	f, err = ReadFile(writeArrays(t, "bad.npz", bad))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.Links(); err == nil || !strings.Contains(err.Error(), "theta has shape [3 3 2 2]") {
		t.Errorf("theta of the wrong shape: %v", err)
	}
	if _, err := ReadFile("e.txt"); err == nil || !strings.Contains(err.Error(), "want a NumPy .npz or .npy file") {
		t.Errorf("a .txt file: %v", err)
	}
}
