package run

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/normflow/normflow-go/config"
	"github.com/normflow/normflow-go/dist"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/store"
	"github.com/normflow/normflow-go/train"
)

// File names inside a run directory.
const (
	SummaryFile = "summary.json"
	HistoryFile = "history.csv"
	ModelFile   = "model.safetensors"
	// runKey is the safetensors metadata key holding the run description (TOML).
	runKey = "normflow.run"
)

// Summary is summary.json.
type Summary struct {
	Epochs int `json:"epochs"`
	// CompletedEpochs is Epochs unless the run was stopped early (Stopped:
	// signal or --stop-at; continue it with `normflow train --resume DIR`).
	CompletedEpochs int     `json:"completed_epochs"`
	Stopped         bool    `json:"stopped"`
	Batch           int     `json:"batch"`
	Loss            float64 `json:"loss"`
	ESS             float64 `json:"ess"`
	LogPMean        float64 `json:"logp_mean"`
	LogPStd         float64 `json:"logp_std"`
	TrainSeconds    float64 `json:"train_seconds"`
	MsPerEpoch      float64 `json:"ms_per_epoch"`
	Params          int     `json:"params"`
	SkippedSteps    int     `json:"skipped_steps"`
	Gradient        string  `json:"gradient"`
	Seed            int64   `json:"seed"`
	Threads         int     `json:"threads"`
	Lattice         []int   `json:"lattice"`
	// Ranks is the number of processes (MPI ranks) that shared the steps and
	// AllreduceSeconds rank 0's time in their gradient allreduce (both absent
	// for one process).
	Ranks            int     `json:"ranks,omitempty"`
	AllreduceSeconds float64 `json:"allreduce_seconds,omitempty"`
}

// MarshalJSON writes the summary as its struct tags say, except that a
// metric (loss, ess, logp_mean, logp_std) that is not finite is written as
// null (then after the other keys): JSON has no NaN or ±Inf, and the last
// epoch of a run may have a NaN loss (a skipped step, docs/conventions.md
// §6.8).
func (s Summary) MarshalJSON() ([]byte, error) {
	type plain Summary // without this method
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if finite(s.Loss) && finite(s.ESS) && finite(s.LogPMean) && finite(s.LogPStd) {
		return json.Marshal(plain(s))
	}
	orNull := func(v float64) *float64 {
		if finite(v) {
			return &v
		}
		return nil
	}
	// The outer fields hide the embedded ones of the same names.
	return json.Marshal(struct {
		plain
		Loss     *float64 `json:"loss"`
		ESS      *float64 `json:"ess"`
		LogPMean *float64 `json:"logp_mean"`
		LogPStd  *float64 `json:"logp_std"`
	}{plain(s), orNull(s.Loss), orNull(s.ESS), orNull(s.LogPMean), orNull(s.LogPStd)})
}

// Options are the settings of a training run that are not part of the run
// description (they do not change the result).
type Options struct {
	Threads  int       // worker goroutines (0: all cores)
	Progress io.Writer // seed-format progress lines (nil: silent)
	// SaveEvery writes the run directory (checkpoint first) every SaveEvery
	// epochs besides at the end (0: at the end only); Stop (closed on
	// SIGINT/SIGTERM) and StopAt (an epoch) end the run early with a
	// checkpoint. See train.Options.
	SaveEvery int
	Stop      <-chan struct{}
	StopAt    int
	// Comm shares the training steps between ranks (mpirun; nil: this
	// process alone); only rank 0 prints and writes the run directory.
	Comm dist.Comm
}

// Train builds the model of run, trains it, and writes the run directory dir
// (created if needed; see Job.Run). The run is validated before anything is
// written.
func Train(run *config.Run, dir string, o Options) (*Summary, error) {
	j, err := NewJob(run, dir, o)
	if err != nil {
		return nil, err
	}
	return j.Run()
}

// SaveModel writes the flow parameters (one tensor per parameter, named as
// the parameter, F64) with the run description in the metadata, and the
// store.Checksum of both (metadata normflow.checksum).
func SaveModel(path, runTOML string, m *model.Model) error {
	ts := make([]store.Tensor, len(m.Params.Params))
	for i, p := range m.Params.Params {
		ts[i] = store.Tensor{Name: p.Name, Shape: p.Shape, Data: p.Value}
	}
	meta := map[string]string{runKey: runTOML, "format": "normflow-go/1"}
	meta[checksumKey] = store.Checksum(ts, meta)
	return store.WriteSafetensors(path, ts, meta)
}

// ErrNoRun reports a missing or incomplete run directory.
var ErrNoRun = errors.New("not a run directory")

// Load reads a run directory: its run description and the trained model.
// Every parameter of the model must be present with the right shape.
func Load(dir string) (*config.Run, *model.Model, error) {
	path := filepath.Join(dir, ModelFile)
	if _, err := os.Stat(dir); err != nil {
		return nil, nil, fmt.Errorf("run directory %s: %w (train one with `normflow train --out DIR`)", dir, ErrNoRun)
	}
	tensors, meta, err := store.ReadSafetensors(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("run directory %s has no %s: %w", dir, ModelFile, ErrNoRun)
		}
		return nil, nil, badRun{err}
	}
	if err := verifyModel(tensors, meta); err != nil { // checkpoint.go
		return nil, nil, badRun{fmt.Errorf("%s: %w", path, err)}
	}
	desc, ok := meta[runKey]
	if !ok {
		return nil, nil, badRun{fmt.Errorf("%s: no run description in the metadata (key %q)", path, runKey)}
	}
	run, err := config.Parse([]byte(desc))
	if err != nil {
		return nil, nil, badRun{fmt.Errorf("%s: stored run description: %w", path, err)}
	}
	m, err := run.BuildModel()
	if err != nil {
		return nil, nil, badRun{fmt.Errorf("%s: %w", path, err)}
	}
	for _, p := range m.Params.Params {
		t, ok := tensors[p.Name]
		if !ok {
			return nil, nil, badRun{fmt.Errorf("%s: tensor %q missing", path, p.Name)}
		}
		if len(t.Data) != p.Size() {
			return nil, nil, badRun{fmt.Errorf("%s: tensor %q has %d values, the model needs %d", path, p.Name, len(t.Data), p.Size())}
		}
		copy(p.Value, t.Data)
	}
	if len(tensors) != len(m.Params.Params) {
		return nil, nil, badRun{fmt.Errorf("%s: %d tensors, the model has %d parameters", path, len(tensors), len(m.Params.Params))}
	}
	return run, m, nil
}

// ModelDigest is the SHA-256 (hex) of the run directory's model file.
func ModelDigest(dir string) (string, error) {
	f, err := os.Open(filepath.Join(dir, ModelFile))
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// WriteJSON writes v as indented JSON, atomically.
func WriteJSON(path string, v any) error {
	return store.AtomicWriteFile(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}

func writeHistory(path string, h []train.Record) error {
	return store.AtomicWriteFile(path, func(w io.Writer) error {
		c := csv.NewWriter(w)
		c.Write([]string{"epoch", "loss", "ess", "logp_mean", "logp_std", "skipped"})
		f := func(x float64) string { return strconv.FormatFloat(x, 'g', 10, 64) }
		for _, r := range h {
			c.Write([]string{strconv.Itoa(r.Epoch), f(r.Loss), f(r.ESS), f(r.LogPMean), f(r.LogPStd), strconv.FormatBool(r.Skipped)})
		}
		c.Flush()
		return c.Error()
	})
}
