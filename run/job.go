package run

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/normflow/normflow-go/config"
	"github.com/normflow/normflow-go/dist"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/store"
	"github.com/normflow/normflow-go/train"
)

// Job is a training run ready to start or to continue: its run description
// validated, its model built and, when resumed, its parameters and optimiser
// restored from the checkpoint. Nothing is written before Run.
type Job struct {
	Config *config.Run
	Dir    string
	desc   string // Run as TOML, stored in every file written
	m      *model.Model
	tr     *train.Trainer
	prev   train.Result // the state resumed from (zero for a fresh run)
	o      Options
	// saved is the epoch of the newest checkpoint on disk (-1: none).
	saved int
}

// NewJob prepares a fresh run of run that will write the run directory dir.
func NewJob(run *config.Run, dir string, o Options) (*Job, error) {
	if err := run.Validate(); err != nil {
		return nil, err
	}
	m, err := run.BuildModel()
	if err != nil {
		return nil, err
	}
	if from := run.Train.InitFrom; from != "" {
		if err := InitFrom(m, from); err != nil {
			return nil, err
		}
	}
	return newJob(run, dir, m, o, train.Result{}, -1)
}

// ResumeOptions are the settings a resumed run may change: none of them
// changes the steps already taken.
type ResumeOptions struct {
	Options
	Epochs      int // a new total number of epochs (0: the run's train.epochs)
	PrintStride int // progress line every N epochs (0: the run's)
	MaxBadSteps int // (0: the run's)
}

// Resume prepares the continuation of the run in dir from its checkpoint,
// after verifying the checkpoint (checksum, run description, tensors against
// the model). Errors match ErrNoRun when the directory holds no usable
// checkpoint.
func Resume(dir string, o ResumeOptions) (*Job, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("run directory %s: %w (train one with `normflow train --out DIR`)", dir, ErrNoRun)
	}
	path := filepath.Join(dir, CheckpointFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("run directory %s has no %s (was it killed before its first checkpoint? start it again with `normflow train --out %s`): %w", dir, CheckpointFile, dir, ErrNoRun)
	}
	c, err := LoadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	run := c.Run
	st := c.State
	if o.Epochs != 0 {
		if o.Epochs < st.Epoch {
			return nil, fmt.Errorf("--epochs %d: the run in %s has already done %d epochs; give a total >= %d", o.Epochs, dir, st.Epoch, st.Epoch)
		}
		run.Train.Epochs = o.Epochs
	}
	if o.PrintStride != 0 {
		run.Train.PrintStride = o.PrintStride
	}
	if o.MaxBadSteps != 0 {
		run.Train.MaxBadSteps = o.MaxBadSteps
	}
	complete := st.Epoch >= run.Train.Epochs
	if complete {
		run.Train.Epochs = st.Epoch // a valid job, to repair the run's files
	}
	if err := run.Validate(); err != nil {
		return nil, err
	}
	m, err := run.BuildModel()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	j, err := newJob(run, dir, m, o.Options, st, st.Epoch)
	if err != nil {
		return nil, err
	}
	if err := c.Restore(m, j.tr.Opt); err != nil {
		j.Close()
		return nil, badRun{fmt.Errorf("%s: %w", path, err)}
	}
	if complete {
		err := j.repair()
		j.Close()
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("the run in %s is complete (%d of %d epochs): give --epochs N > %d to train it further", dir, st.Epoch, st.Epoch, st.Epoch)
	}
	return j, nil
}

func newJob(run *config.Run, dir string, m *model.Model, o Options, prev train.Result, saved int) (*Job, error) {
	topts, err := run.TrainOptions()
	if err != nil {
		return nil, err
	}
	desc, err := run.Encode()
	if err != nil {
		return nil, err
	}
	j := &Job{Config: run, Dir: dir, desc: desc, m: m, prev: prev, o: o, saved: saved}
	topts.Threads, topts.Progress = o.Threads, o.Progress
	topts.SaveEvery, topts.Stop, topts.StopAt = o.SaveEvery, o.Stop, o.StopAt
	topts.Checkpoint = j.save
	if topts.Comm = o.Comm; !dist.IsRoot(o.Comm) {
		topts.Progress, topts.Checkpoint = nil, nil // rank 0 prints and writes
	}
	if j.tr, err = train.NewTrainer(m, topts); err != nil {
		return nil, err
	}
	return j, nil
}

// Epoch is the last epoch done before Run (0 for a fresh run).
func (j *Job) Epoch() int { return j.prev.Epoch }

// Close releases the job's worker goroutines without running it.
func (j *Job) Close() { j.tr.Close() }

// Run trains (or continues) the run, writing the run directory every
// Options.SaveEvery epochs, at the end and when stopped early:
// model.safetensors, history.csv, summary.json and last the checkpoint, each
// atomically. After too many consecutive non-finite steps it returns an error
// wrapping train.ErrBadSteps and leaves the last checkpoint as it was.
func (j *Job) Run() (*Summary, error) {
	defer j.tr.Close()
	if dist.IsRoot(j.o.Comm) {
		if err := os.MkdirAll(j.Dir, 0o755); err != nil {
			return nil, err
		}
		store.RemoveStaleTemps(j.Dir, CheckpointFile, ModelFile, HistoryFile, SummaryFile)
		if err := j.repair(); err != nil {
			return nil, err
		}
	}
	res, err := j.tr.Continue(j.prev)
	if errors.Is(err, train.ErrBadSteps) {
		kept := "no checkpoint was written"
		if j.saved >= 0 {
			kept = fmt.Sprintf("the last checkpoint, %s after epoch %d, is kept", filepath.Join(j.Dir, CheckpointFile), j.saved)
		}
		return nil, fmt.Errorf("stopped after epoch %d: %w; %s (lower the learning rate or check the action)", res.Epoch, err, kept)
	}
	if err != nil {
		return nil, err
	}
	return j.summary(res), nil
}

// save writes the run directory for the state res (train.Options.Checkpoint).
// The checkpoint comes last: it commits the state, so a run killed between
// two of these writes resumes from the previous checkpoint and rewrites the
// other files, and a checkpoint of a finished run guarantees they are final.
func (j *Job) save(res train.Result) error {
	if err := SaveCheckpoint(filepath.Join(j.Dir, CheckpointFile), j.desc, j.Config.Seed, j.m, j.tr.Opt, res); err != nil {
		return err
	}
	j.saved = res.Epoch
	return j.saveDerived(res)
}

// repair rewrites the files derived from the checkpoint a resumed job
// starts from when a kill left them behind it: when summary.json, written
// last, does not record the checkpoint's epoch. A fresh job has nothing to
// repair.
func (j *Job) repair() error {
	if j.saved < 0 {
		return nil
	}
	var s Summary
	if data, err := os.ReadFile(filepath.Join(j.Dir, SummaryFile)); err == nil && json.Unmarshal(data, &s) == nil && s.CompletedEpochs == j.prev.Epoch {
		return nil
	}
	return j.saveDerived(j.prev)
}

// saveDerived writes the files that follow from a checkpoint: the model,
// the history and the summary. The checkpoint is written first and is the
// commit point: a job killed between the two leaves a checkpoint that is
// newer than these files, and Resume rewrites them from it (a job killed
// before its first checkpoint leaves nothing that looks like a run).
func (j *Job) saveDerived(res train.Result) error {
	if err := SaveModel(filepath.Join(j.Dir, ModelFile), j.desc, j.m); err != nil {
		return err
	}
	if err := writeHistory(filepath.Join(j.Dir, HistoryFile), res.History); err != nil {
		return err
	}
	return WriteJSON(filepath.Join(j.Dir, SummaryFile), j.summary(res))
}

func (j *Job) summary(res train.Result) *Summary {
	last := res.History[len(res.History)-1]
	threads := j.o.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	run := j.Config
	msPerEpoch := 0.0
	if res.Epoch > 0 {
		msPerEpoch = 1000 * res.TrainSeconds / float64(res.Epoch)
	}
	return &Summary{
		Epochs: run.Train.Epochs, CompletedEpochs: res.Epoch, Stopped: res.Stopped,
		Batch: run.Train.Batch, Loss: last.Loss, ESS: last.ESS,
		LogPMean: last.LogPMean, LogPStd: last.LogPStd,
		TrainSeconds: res.TrainSeconds, MsPerEpoch: msPerEpoch,
		Params: j.m.Params.Size(), SkippedSteps: res.Skipped, Gradient: run.Train.Gradient,
		Seed: run.Seed, Threads: threads, Lattice: run.Lattice.Shape,
		Ranks: distRanks(j.o.Comm), AllreduceSeconds: j.tr.CommSeconds(),
	}
}

// distRanks is the number of ranks of a multi-process run (0 for one
// process, so that summary.json leaves the field out).
func distRanks(c dist.Comm) int {
	if c == nil || c.Size() == 1 {
		return 0
	}
	return c.Size()
}

// DiffRuns lists the keys whose values differ between two run descriptions,
// as "key: a vs b" (a key missing on one side shows as <unset>), ignoring
// the keys in ignore (dotted, e.g. "train.epochs").
func DiffRuns(a, b *config.Run, ignore ...string) ([]string, error) {
	fa, err := flatRun(a)
	if err != nil {
		return nil, err
	}
	fb, err := flatRun(b)
	if err != nil {
		return nil, err
	}
	keys := slices.Sorted(maps.Keys(fa))
	for k := range fb {
		if _, ok := fa[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var diffs []string
	for _, k := range keys {
		if slices.Contains(ignore, k) {
			continue
		}
		va, oka := fa[k]
		vb, okb := fb[k]
		if !oka {
			va = "<unset>"
		}
		if !okb {
			vb = "<unset>"
		}
		if va != vb {
			diffs = append(diffs, fmt.Sprintf("%s: %s vs %s", k, va, vb))
		}
	}
	return diffs, nil
}

// flatRun maps every leaf key of a run description (dotted, arrays of tables
// indexed: flow.layers[2].kind) to its value in TOML notation.
func flatRun(r *config.Run) (map[string]string, error) {
	desc, err := r.Encode()
	if err != nil {
		return nil, err
	}
	var tree map[string]any
	if _, err := toml.Decode(desc, &tree); err != nil {
		return nil, err
	}
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				key := k
				if prefix != "" {
					key = prefix + "." + k
				}
				walk(key, x)
			}
		case []map[string]any:
			for i, x := range v {
				walk(fmt.Sprintf("%s[%d]", prefix, i), x)
			}
		default:
			switch x := v.(type) {
			case string:
				out[prefix] = fmt.Sprintf("%q", x)
			case []any:
				out[prefix] = strings.ReplaceAll(fmt.Sprint(x), " ", ", ")
			default:
				out[prefix] = fmt.Sprint(x)
			}
		}
	}
	walk("", tree)
	return out, nil
}
