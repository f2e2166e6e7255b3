package run

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/config"
	"github.com/normflow/normflow-go/internal/testrun"
	"github.com/normflow/normflow-go/store"
	"github.com/normflow/normflow-go/train"
)

// The checkpoint of a finished run holds its state; Resume restores it into
// a fresh model and optimiser.
func TestCheckpointRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	run := testrun.ShortSeed(t)
	run.Train.LRSchedule, run.Train.AnnealEpochs = "cosine", 10
	if _, err := Train(run, dir, Options{SaveEvery: 7}); err != nil {
		t.Fatal(err)
	}
	c, err := LoadCheckpoint(filepath.Join(dir, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	st := c.State
	if st.Epoch != 30 || len(st.History) != 31 || st.Stopped || c.AdamStep != 30 || c.Seed != run.Seed {
		t.Fatalf("checkpoint: epoch %d, %d records, stopped %v, adam step %d, seed %d", st.Epoch, len(st.History), st.Stopped, c.AdamStep, c.Seed)
	}
	if h := st.History; h[1].Alpha != 0.1 || h[30].LRFactor != 0 || h[30].Epoch != 30 {
		t.Errorf("history: α(1) = %v, f(30) = %v", h[1].Alpha, h[30].LRFactor)
	}
	_, m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Params.Params {
		ck := c.Tensors["param/"+p.Name]
		if !reflect.DeepEqual(ck.Shape, p.Shape) || !reflect.DeepEqual(ck.Data, p.Value) {
			t.Errorf("param/%s differs from model.safetensors", p.Name)
		}
		if v := c.Tensors["adam/v/"+p.Name].Data; len(v) != p.Size() || v[0] <= 0 {
			t.Errorf("adam/v/%s = %v: want positive second moments", p.Name, v)
		}
	}
	// A complete run cannot be resumed without more epochs.
	if _, err := Resume(dir, ResumeOptions{}); err == nil || !strings.Contains(err.Error(), "complete (30 of 30 epochs)") {
		t.Errorf("resume of a complete run: %v", err)
	}
	j, err := Resume(dir, ResumeOptions{Epochs: 31})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if j.Epoch() != 30 || j.tr.Opt.T != 30 {
		t.Errorf("resumed at epoch %d with adam step %d", j.Epoch(), j.tr.Opt.T)
	}
	for i, p := range j.m.Params.Params {
		if !reflect.DeepEqual(p.Value, m.Params.Params[i].Value) {
			t.Errorf("resumed %s differs", p.Name)
		}
	}
}

// Stopped after 15 of 30 epochs and resumed: the run directory equals that
// of a run done in one go, byte for byte (checkpoint: all but the time).
func TestResumeIsBitIdentical(t *testing.T) {
	base := t.TempDir()
	straight, split := filepath.Join(base, "straight"), filepath.Join(base, "split")
	if _, err := Train(shortRun2(t), straight, Options{}); err != nil {
		t.Fatal(err)
	}
	sum, err := Train(shortRun2(t), split, Options{StopAt: 15, SaveEvery: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Stopped || sum.CompletedEpochs != 15 {
		t.Fatalf("StopAt 15: summary stopped %v after %d epochs", sum.Stopped, sum.CompletedEpochs)
	}
	j, err := Resume(split, ResumeOptions{Options: Options{Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if sum, err = j.Run(); err != nil || sum.Stopped || sum.CompletedEpochs != 30 {
		t.Fatalf("resumed run: %+v, %v", sum, err)
	}
	for _, f := range []string{ModelFile, HistoryFile} {
		a, _ := os.ReadFile(filepath.Join(straight, f))
		b, _ := os.ReadFile(filepath.Join(split, f))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs between the straight and the resumed run", f)
		}
	}
	ta, ma, err := store.ReadSafetensors(filepath.Join(straight, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	tb, mb, err := store.ReadSafetensors(filepath.Join(split, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ta, tb) {
		t.Errorf("checkpoint tensors differ")
	}
	for _, k := range []string{"normflow.train_seconds", checksumKey} {
		delete(ma, k)
		delete(mb, k)
	}
	if !reflect.DeepEqual(ma, mb) {
		t.Errorf("checkpoint metadata differs:\n%v\n%v", ma, mb)
	}
}

// shortRun2 is testrun.ShortSeed with the schedule of TestResumeIsBitIdentical.
func shortRun2(t *testing.T) *config.Run {
	r := testrun.ShortSeed(t)
	r.Train.LRSchedule, r.Train.AnnealEpochs = "cosine", 10
	return r
}

// smallCheckpoint returns the bytes of the checkpoint of a 3-epoch run.
func smallCheckpoint(t testing.TB) []byte {
	dir := filepath.Join(t.TempDir(), "run")
	run := testrun.ShortSeed(t)
	run.Train.Epochs, run.Train.Batch = 3, 16
	if _, err := Train(run, dir, Options{}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Every flipped bit (three masks at every byte) and every truncation of a
// checkpoint is rejected: by the safetensors reader or by the checksum.
func TestCorruptedCheckpointRejected(t *testing.T) {
	data := smallCheckpoint(t)
	if _, err := decodeCheckpoint(data, "ck", true); err != nil {
		t.Fatal(err)
	}
	bad := 0
	for i := range data {
		for _, mask := range []byte{0x01, 0x20, 0x80} {
			b := bytes.Clone(data)
			b[i] ^= mask
			if _, err := decodeCheckpoint(b, "ck", true); err == nil {
				t.Errorf("byte %d ^ %#x (%q -> %q) accepted", i, mask, data[i], b[i])
				if bad++; bad > 10 {
					t.FailNow()
				}
			}
		}
	}
	for n := 0; n < len(data); n += 1 + n/50 {
		if _, err := decodeCheckpoint(data[:n], "ck", true); err == nil {
			t.Errorf("truncated to %d of %d bytes: accepted", n, len(data))
		}
	}
	// On disk: the error names the file and the defect.
	dir := t.TempDir()
	path := filepath.Join(dir, CheckpointFile)
	b := bytes.Clone(data)
	b[len(b)-3] ^= 0x10 // a history value
	os.WriteFile(path, b, 0o644)
	_, err := LoadCheckpoint(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "checksum mismatch") || !errors.Is(err, ErrNoRun) {
		t.Errorf("flipped data byte: %v", err)
	}
	os.WriteFile(path, data[:len(data)/2], 0o644)
	if _, err = LoadCheckpoint(path); err == nil || !strings.Contains(err.Error(), path) || !errors.Is(err, ErrNoRun) {
		t.Errorf("truncated file: %v", err)
	}
}

// A checkpoint whose tensors do not fit the model of its own run description
// (checksum intact) is refused, with every difference named.
func TestRestoreNamesTheDifferences(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	small := testrun.ShortSeed(t)
	knots := 6
	small.Flow.Layers[0].Knots = &knots
	m, err := small.BuildModel()
	if err != nil {
		t.Fatal(err)
	}
	o := train.DefaultOptions()
	o.Epochs, o.Batch = 2, 8
	tr, err := train.NewTrainer(m, o)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	res, err := tr.Fit()
	if err != nil {
		t.Fatal(err)
	}
	desc, _ := testrun.ShortSeed(t).Encode() // 10 knots
	os.MkdirAll(dir, 0o755)
	if err := SaveCheckpoint(filepath.Join(dir, CheckpointFile), desc, 1, m, tr.Opt, res); err != nil {
		t.Fatal(err)
	}
	_, err = Resume(dir, ResumeOptions{})
	if err == nil {
		t.Fatal("mismatched checkpoint accepted")
	}
	for _, w := range []string{"does not match the model", "tensor param/flow.0.widths has shape [5], the model's parameter has [9]"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
}

// DiffRuns names each differing key with both values.
func TestDiffRuns(t *testing.T) {
	a, b := testrun.ShortSeed(t), testrun.ShortSeed(t)
	b.Lattice.Shape = []int{4, 4}
	b.Train.Epochs = 99
	b.Train.LR = 0.5
	diffs, err := DiffRuns(a, b, "train.epochs")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"lattice.shape: [1] vs [4, 4]", "train.lr: 0.001 vs 0.5"}
	if !reflect.DeepEqual(diffs, want) {
		t.Errorf("diffs %q, want %q", diffs, want)
	}
	if d, _ := DiffRuns(a, testrun.ShortSeed(t)); len(d) != 0 {
		t.Errorf("equal runs differ: %q", d)
	}
}

// A kill between a checkpoint and the files derived from it (model, history,
// summary) leaves them one save behind; Resume repairs them from the
// checkpoint: before continuing a run, and for a complete run too.
func TestResumeRepairsDerivedFiles(t *testing.T) {
	base := t.TempDir()
	straight, split := filepath.Join(base, "straight"), filepath.Join(base, "split")
	if _, err := Train(shortRun2(t), straight, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Train(shortRun2(t), split, Options{StopAt: 15, SaveEvery: 4}); err != nil {
		t.Fatal(err)
	}
	// The state of a kill right after the epoch-15 checkpoint: derived
	// files missing (a first save) — here all three.
	for _, f := range []string{ModelFile, HistoryFile, SummaryFile} {
		if err := os.Remove(filepath.Join(split, f)); err != nil {
			t.Fatal(err)
		}
	}
	j, err := Resume(split, ResumeOptions{Options: Options{StopAt: 20}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Run(); err != nil {
		t.Fatal(err)
	}
	// Now the final checkpoint written but the derived files of epoch 20 left.
	j, err = Resume(split, ResumeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := Train(shortRun2(t), filepath.Join(base, "stale"), Options{StopAt: 20}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{ModelFile, HistoryFile, SummaryFile} {
		data, err := os.ReadFile(filepath.Join(base, "stale", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(split, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Resume(split, ResumeOptions{}); err == nil || !strings.Contains(err.Error(), "complete (30 of 30 epochs)") {
		t.Fatalf("resume of the complete run: %v", err)
	}
	for _, f := range []string{ModelFile, HistoryFile} {
		a, _ := os.ReadFile(filepath.Join(straight, f))
		b, _ := os.ReadFile(filepath.Join(split, f))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s: not repaired to the straight run's", f)
		}
	}
	var s Summary
	if data, err := os.ReadFile(filepath.Join(split, SummaryFile)); err != nil || json.Unmarshal(data, &s) != nil || s.CompletedEpochs != 30 {
		t.Errorf("summary.json after repair: %+v (%v)", s, err)
	}
}
