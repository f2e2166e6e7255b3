package run

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/normflow/normflow-go/config"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/store"
	"github.com/normflow/normflow-go/train"
)

// CheckpointFile is the checkpoint of a run directory: everything a resumed
// run needs, in safetensors (all tensors F64, C order):
//
//	param/<name>   the parameter <name> (as in model.safetensors)
//	adam/m/<name>  AdamW first moment of that parameter
//	adam/v/<name>  AdamW second moment
//	history        [epochs+1, 8]: epoch, loss, ess, logp_mean, logp_std,
//	               skipped (0/1), lr_factor, alpha of epochs 0 … epoch
//
// and in the metadata (strings): format, normflow.run (the run description,
// TOML), normflow.epoch (last epoch done), normflow.adam_step,
// normflow.skipped, normflow.bad_run (skipped steps at the end),
// normflow.seed, normflow.lr_factor and normflow.alpha (of the last epoch),
// normflow.train_seconds, normflow.stopped (true: stopped early) and
// normflow.checksum, the store.Checksum of all tensors and the other
// metadata. The random state is the seed and the epoch: step t draws its
// batch from the streams (seed, train, t, i).
const CheckpointFile = "checkpoint.safetensors"

const (
	checkpointFormat = "normflow-go/checkpoint/1"
	checksumKey      = "normflow.checksum"
	historyTensor    = "history"
	historyColumns   = 8
)

// Checkpoint is the state of a training run, as saved after an epoch.
type Checkpoint struct {
	Run      *config.Run
	RunTOML  string                  // Run as stored
	State    train.Result            // history, epoch, skipped steps, time, stopped
	AdamStep int                     // AdamW step count
	Tensors  map[string]store.Tensor // param/…, adam/m/…, adam/v/… (and history)
	Seed     int64
}

// checkpointTensors lays out the state of a run as the tensors of its
// checkpoint.
func checkpointTensors(m *model.Model, opt *train.AdamW, res train.Result) []store.Tensor {
	var ts []store.Tensor
	for _, p := range m.Params.Params {
		off := m.Params.Offset(p)
		ts = append(ts,
			store.Tensor{Name: "param/" + p.Name, Shape: p.Shape, Data: p.Value},
			store.Tensor{Name: "adam/m/" + p.Name, Shape: p.Shape, Data: opt.M[off : off+p.Size()]},
			store.Tensor{Name: "adam/v/" + p.Name, Shape: p.Shape, Data: opt.V[off : off+p.Size()]})
	}
	h := make([]float64, 0, historyColumns*len(res.History))
	for _, r := range res.History {
		skipped := 0.0
		if r.Skipped {
			skipped = 1
		}
		h = append(h, float64(r.Epoch), r.Loss, r.ESS, r.LogPMean, r.LogPStd, skipped, r.LRFactor, r.Alpha)
	}
	return append(ts, store.Tensor{Name: historyTensor, Shape: []int{len(res.History), historyColumns}, Data: h})
}

// checkpointMetadata is the metadata of a checkpoint, checksum included.
func checkpointMetadata(runTOML string, seed int64, opt *train.AdamW, res train.Result, ts []store.Tensor) map[string]string {
	last := res.History[len(res.History)-1]
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	meta := map[string]string{
		"format":                 checkpointFormat,
		runKey:                   runTOML,
		"normflow.epoch":         strconv.Itoa(res.Epoch),
		"normflow.adam_step":     strconv.Itoa(opt.T),
		"normflow.skipped":       strconv.Itoa(res.Skipped),
		"normflow.bad_run":       strconv.Itoa(res.BadRun),
		"normflow.seed":          strconv.FormatInt(seed, 10),
		"normflow.lr_factor":     g(last.LRFactor),
		"normflow.alpha":         g(last.Alpha),
		"normflow.train_seconds": g(res.TrainSeconds),
		"normflow.stopped":       strconv.FormatBool(res.Stopped),
	}
	meta[checksumKey] = store.Checksum(ts, meta)
	return meta
}

// SaveCheckpoint writes the checkpoint of a run atomically: a crash or a kill
// during the write leaves the previous checkpoint at path intact.
func SaveCheckpoint(path, runTOML string, seed int64, m *model.Model, opt *train.AdamW, res train.Result) error {
	if len(res.History) == 0 {
		return errors.New("checkpoint: empty history")
	}
	ts := checkpointTensors(m, opt, res)
	meta := checkpointMetadata(runTOML, seed, opt, res, ts)
	return store.AtomicWriteFile(path, func(w io.Writer) error {
		if pauseInCheckpointWrite() {
			return pausedWrite(w, ts, meta)
		}
		return store.EncodeSafetensors(w, ts, meta)
	})
}

// PauseEnv, when set to n in the environment, makes the n-th checkpoint
// write of the process stop half-way, with half the file in its temporary
// file on disk, print PauseMarker on stderr and wait, so that a test can kill
// the process mid-write. Tests only.
const (
	PauseEnv    = "NORMFLOW_TEST_PAUSE_IN_CHECKPOINT_WRITE"
	PauseMarker = "normflow-test: paused in checkpoint write"
)

var checkpointWrites int

func pauseInCheckpointWrite() bool {
	v := os.Getenv(PauseEnv)
	if v == "" {
		return false
	}
	checkpointWrites++
	n, err := strconv.Atoi(v)
	return err == nil && n == checkpointWrites
}

func pausedWrite(w io.Writer, ts []store.Tensor, meta map[string]string) error {
	var buf bytes.Buffer
	if err := store.EncodeSafetensors(&buf, ts, meta); err != nil {
		return err
	}
	if _, err := w.Write(buf.Bytes()[:buf.Len()/2]); err != nil {
		return err
	}
	if f, ok := w.(interface{ Flush() error }); ok {
		if err := f.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(os.Stderr, PauseMarker)
	time.Sleep(time.Hour)
	_, err := w.Write(buf.Bytes()[buf.Len()/2:])
	return err
}

// LoadCheckpoint reads and verifies a checkpoint: its format, its checksum,
// its run description and the consistency of its state. Restore then checks
// it against a model.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	tensors, meta, err := store.ReadSafetensors(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s does not exist: %w", path, ErrNoRun)
		}
		return nil, badRun{err}
	}
	c, err := parseCheckpoint(tensors, meta, true)
	if err != nil {
		return nil, badRun{fmt.Errorf("checkpoint %s: %w", path, err)}
	}
	return c, nil
}

// verifyModel checks the format and, when present (files written since it
// was introduced), the checksum of model.safetensors.
func verifyModel(tensors map[string]store.Tensor, meta map[string]string) error {
	if f, ok := meta["format"]; ok && f != "normflow-go/1" {
		return fmt.Errorf("format %q: want \"normflow-go/1\" (weights written by normflow train)", f)
	}
	sum, ok := meta[checksumKey]
	if !ok {
		return nil
	}
	if got := checksumOf(tensors, meta); got != sum {
		return store.ChecksumMismatch(sum, got)
	}
	return nil
}

// checksumOf recomputes the store.Checksum of a file's tensors and its
// metadata other than the checksum itself.
func checksumOf(tensors map[string]store.Tensor, meta map[string]string) string {
	rest := make(map[string]string, len(meta))
	for k, v := range meta {
		if k != checksumKey {
			rest[k] = v
		}
	}
	list := make([]store.Tensor, 0, len(tensors))
	for _, t := range tensors {
		list = append(list, t)
	}
	return store.Checksum(list, rest)
}

// decodeCheckpoint is LoadCheckpoint on a file image in memory.
func decodeCheckpoint(data []byte, name string, verify bool) (*Checkpoint, error) {
	tensors, meta, err := store.DecodeSafetensors(data, name)
	if err != nil {
		return nil, err
	}
	c, err := parseCheckpoint(tensors, meta, verify)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	return c, nil
}

// parseCheckpoint checks the decoded contents of a checkpoint file; verify
// checks the checksum (the fuzz test also runs without, to reach the rest).
func parseCheckpoint(tensors map[string]store.Tensor, meta map[string]string, verify bool) (*Checkpoint, error) {
	if f := meta["format"]; f != checkpointFormat {
		return nil, fmt.Errorf("format %q: want %q (a checkpoint written by normflow train)", f, checkpointFormat)
	}
	sum, ok := meta[checksumKey]
	if !ok {
		return nil, fmt.Errorf("no checksum (metadata %s)", checksumKey)
	}
	if verify {
		if got := checksumOf(tensors, meta); got != sum {
			return nil, store.ChecksumMismatch(sum, got)
		}
	}
	ints := map[string]int{}
	for _, k := range []string{"normflow.epoch", "normflow.adam_step", "normflow.skipped", "normflow.bad_run"} {
		v, err := strconv.Atoi(meta[k])
		if err != nil || v < 0 {
			return nil, fmt.Errorf("metadata %s = %q: want an integer >= 0", k, meta[k])
		}
		ints[k] = v
	}
	seed, err := strconv.ParseInt(meta["normflow.seed"], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("metadata normflow.seed = %q: want an integer", meta["normflow.seed"])
	}
	secs, err := strconv.ParseFloat(meta["normflow.train_seconds"], 64)
	if err != nil || !(secs >= 0) || math.IsInf(secs, 0) {
		return nil, fmt.Errorf("metadata normflow.train_seconds = %q: want a number >= 0", meta["normflow.train_seconds"])
	}
	stopped, err := strconv.ParseBool(meta["normflow.stopped"])
	if err != nil {
		return nil, fmt.Errorf("metadata normflow.stopped = %q: want true or false", meta["normflow.stopped"])
	}
	desc, ok := meta[runKey]
	if !ok {
		return nil, fmt.Errorf("no run description (metadata %s)", runKey)
	}
	run, err := config.Parse([]byte(desc))
	if err != nil {
		return nil, fmt.Errorf("stored run description: %w", err)
	}
	if run.Seed != seed {
		return nil, fmt.Errorf("metadata normflow.seed = %d, but the run description has seed = %d", seed, run.Seed)
	}
	epoch := ints["normflow.epoch"]
	if epoch > run.Train.Epochs {
		return nil, fmt.Errorf("metadata normflow.epoch = %d: past the run's train.epochs = %d", epoch, run.Train.Epochs)
	}
	h, ok := tensors[historyTensor]
	if !ok {
		return nil, fmt.Errorf("no tensor %q", historyTensor)
	}
	if len(h.Shape) != 2 || h.Shape[0] != epoch+1 || h.Shape[1] != historyColumns {
		return nil, fmt.Errorf("tensor %q has shape %v: want [%d, %d] (epochs 0 to %d)", historyTensor, h.Shape, epoch+1, historyColumns, epoch)
	}
	res := train.Result{Epoch: epoch, Skipped: ints["normflow.skipped"], BadRun: ints["normflow.bad_run"],
		TrainSeconds: secs, Stopped: stopped, History: make([]train.Record, epoch+1)}
	skipped, badRun := 0, 0
	for i := range res.History {
		row := h.Data[i*historyColumns : (i+1)*historyColumns]
		if row[0] != float64(i) || (row[5] != 0 && row[5] != 1) || (i == 0 && row[5] != 0) {
			return nil, fmt.Errorf("tensor %q: row %d = %v is not the record of epoch %d", historyTensor, i, row, i)
		}
		r := train.Record{Epoch: i, Loss: row[1], ESS: row[2], LogPMean: row[3], LogPStd: row[4], Skipped: row[5] == 1, LRFactor: row[6], Alpha: row[7]}
		if r.Skipped {
			skipped++
			badRun++
		} else if i > 0 {
			badRun = 0
		}
		res.History[i] = r
	}
	if skipped != res.Skipped || badRun != res.BadRun {
		return nil, fmt.Errorf("metadata normflow.skipped = %d, normflow.bad_run = %d, but the history has %d skipped steps, %d at the end",
			res.Skipped, res.BadRun, skipped, badRun)
	}
	if a := ints["normflow.adam_step"]; a != epoch-skipped {
		return nil, fmt.Errorf("metadata normflow.adam_step = %d: %d epochs with %d skipped steps make %d", a, epoch, skipped, epoch-skipped)
	}
	return &Checkpoint{Run: run, RunTOML: desc, State: res, AdamStep: ints["normflow.adam_step"], Tensors: tensors, Seed: seed}, nil
}

// Restore copies the checkpoint's parameters into m and its AdamW state into
// opt, after checking that the checkpoint holds exactly the tensors the model
// needs, with the same shapes; otherwise the error lists every difference.
func (c *Checkpoint) Restore(m *model.Model, opt *train.AdamW) error {
	var diffs []string
	want := map[string]bool{historyTensor: true}
	for _, p := range m.Params.Params {
		for _, prefix := range []string{"param/", "adam/m/", "adam/v/"} {
			name := prefix + p.Name
			want[name] = true
			t, ok := c.Tensors[name]
			switch {
			case !ok:
				diffs = append(diffs, fmt.Sprintf("tensor %s (shape %v) is missing", name, p.Shape))
			case !slices.Equal(t.Shape, p.Shape):
				diffs = append(diffs, fmt.Sprintf("tensor %s has shape %v, the model's parameter has %v", name, t.Shape, p.Shape))
			}
		}
	}
	var extra []string
	for name := range c.Tensors {
		if !want[name] {
			extra = append(extra, name)
		}
	}
	slices.Sort(extra)
	for _, name := range extra {
		diffs = append(diffs, fmt.Sprintf("tensor %s is not a parameter of the model", name))
	}
	if len(diffs) > 0 {
		const show = 6
		more := ""
		if len(diffs) > show {
			more = fmt.Sprintf("; and %d more", len(diffs)-show)
			diffs = diffs[:show]
		}
		return fmt.Errorf("the checkpoint does not match the model of its run description: %s%s", strings.Join(diffs, "; "), more)
	}
	mom := make([]float64, m.Params.Size())
	vel := make([]float64, m.Params.Size())
	for _, p := range m.Params.Params {
		off := m.Params.Offset(p)
		copy(p.Value, c.Tensors["param/"+p.Name].Data)
		copy(mom[off:], c.Tensors["adam/m/"+p.Name].Data)
		copy(vel[off:], c.Tensors["adam/v/"+p.Name].Data)
	}
	return opt.SetState(mom, vel, c.AdamStep)
}

// badRun marks an unreadable or inconsistent run directory: it matches
// ErrNoRun (bad input) without adding that text to the message.
type badRun struct{ err error }

func (e badRun) Error() string        { return e.err.Error() }
func (e badRun) Unwrap() error        { return e.err }
func (e badRun) Is(target error) bool { return target == ErrNoRun }
