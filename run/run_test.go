package run

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/internal/testrun"
	"github.com/normflow/normflow-go/store"
)

// Train writes the run directory; Load gives back the same model and run.
func TestTrainThenLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	sum, err := Train(testrun.ShortSeed(t), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var js map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, SummaryFile))
	if err := json.Unmarshal(b, &js); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"epochs", "batch", "loss", "ess", "train_seconds", "params"} {
		if _, ok := js[k]; !ok {
			t.Errorf("summary.json lacks %q", k)
		}
	}
	h, _ := os.ReadFile(filepath.Join(dir, HistoryFile))
	if rows := strings.Count(string(h), "\n"); rows != 32 {
		t.Errorf("history.csv has %d lines, want header + 31", rows)
	}
	run, m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if run.Train.Epochs != 30 || m.Params.Size() != sum.Params {
		t.Errorf("loaded run: epochs %d, %d parameters (summary says %d)", run.Train.Epochs, m.Params.Size(), sum.Params)
	}
	moved := false
	for _, p := range m.Params.Params {
		for _, v := range p.Value {
			if v != 0 {
				moved = true
			}
		}
	}
	if !moved {
		t.Error("loaded weights are all zero: training or loading lost them")
	}
}

func TestLoadRejectsBadDirectories(t *testing.T) {
	tmp := t.TempDir()
	if _, _, err := Load(filepath.Join(tmp, "missing")); !errors.Is(err, ErrNoRun) {
		t.Errorf("missing directory: %v", err)
	}
	if _, _, err := Load(tmp); !errors.Is(err, ErrNoRun) {
		t.Errorf("empty directory: %v", err)
	}
	dir := filepath.Join(tmp, "run")
	if _, err := Train(testrun.ShortSeed(t), dir, Options{}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, ModelFile)
	tensors, meta, err := store.ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	var ts []store.Tensor
	for name, tt := range tensors {
		if name != "flow.0.derivs" {
			ts = append(ts, tt)
		}
	}
	delete(meta, checksumKey) // a file without a checksum, as written before it was added
	if err := store.WriteSafetensors(path, ts, meta); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "flow.0.derivs") {
		t.Errorf("a missing tensor gave %v", err)
	}
	if err := os.WriteFile(path, []byte("not a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(dir); err == nil {
		t.Error("a garbage checkpoint was loaded")
	}
}

// summary.json keeps the key order of the struct, and writes a metric that
// is not finite as null (a plain json.Marshal refuses NaN).
func TestSummaryJSONNonFinite(t *testing.T) {
	s := Summary{Epochs: 3, CompletedEpochs: 3, Batch: 8, Loss: -1.5, ESS: 0.5, LogPMean: 0.25, LogPStd: 1, Lattice: []int{1}}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), `{"epochs":3,"completed_epochs":3,"stopped":false,"batch":8,"loss":-1.5,"ess":0.5,"logp_mean":0.25,"logp_std":1,`) {
		t.Errorf("finite summary: %s", b)
	}
	s.Loss, s.ESS, s.LogPStd = math.NaN(), math.NaN(), math.Inf(1)
	b, err = json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var js map[string]any
	if err := json.Unmarshal(b, &js); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"loss": nil, "ess": nil, "logp_std": nil, "logp_mean": 0.25, "epochs": 3.0, "batch": 8.0} {
		if v, ok := js[k]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v in %s", k, v, ok, want, b)
		}
	}
}
