package ensemble

import (
	"path/filepath"
	"testing"

	"github.com/normflow/normflow-go/internal/testrun"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/run"
	"github.com/normflow/normflow-go/store"
)

// trainedRun trains the short seed run into a run directory and loads it:
// the directory, the lattice shape and the trained model.
func trainedRun(t *testing.T) (dir string, shape []int, m *model.Model) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "run")
	if _, err := run.Train(testrun.ShortSeed(t), dir, run.Options{}); err != nil {
		t.Fatal(err)
	}
	cfg, m, err := run.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, cfg.Lattice.Shape, m
}

// The same seed and draws give the same ensemble.
func TestDrawRepeats(t *testing.T) {
	_, shape, m := trainedRun(t)
	a := Draw(m, shape, 500, true, 3).Analyse()
	b := Draw(m, shape, 500, true, 3).Analyse()
	if a.Observables["phi2"] != b.Observables["phi2"] || *a.AcceptRate != *b.AcceptRate {
		t.Error("two draws with one seed differ")
	}
}

func TestNPZHasTheDocumentedArrays(t *testing.T) {
	_, shape, m := trainedRun(t)
	e := Draw(m, shape, 100, true, 1)
	path := filepath.Join(t.TempDir(), "e.npz")
	if err := e.WriteNPZ(path); err != nil {
		t.Fatal(err)
	}
	arrays, err := store.ReadNPZ(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]int{"phi": {100, 1}, "logq": {100}, "logp": {100}, "accepted": {100}}
	for name, shape := range want {
		a, ok := arrays[name]
		if !ok || len(a.Shape) != len(shape) || a.Shape[0] != shape[0] {
			t.Errorf("array %s: %+v", name, a.Shape)
		}
	}
}
