package main

// Bad inputs and damaged files for every command: a one-line error naming the
// offending flag, key, value or file and what is allowed, exit status 2, and
// nothing written.

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/normflow/normflow-go/run"
)

// copyRun copies the fixture run directory to wd/name and returns its path.
func copyRun(t *testing.T, wd, name string) string {
	t.Helper()
	dst := filepath.Join(wd, name)
	copyDir(t, fixtureRun(t), dst)
	return dst
}

// copyDir copies the files of a run directory.
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// damage rewrites file name of the run copy "r" in wd with f applied.
func damage(name string, f func([]byte) []byte) func(t *testing.T, wd string) {
	return func(t *testing.T, wd string) {
		dir := copyRun(t, wd, "r")
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, f(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func flipByte(i int) func([]byte) []byte {
	return func(b []byte) []byte {
		if i < 0 {
			i += len(b)
		}
		b[i] ^= 0x10
		return b
	}
}

func truncate(b []byte) []byte { return b[:len(b)/2] }

func writeFile(name, content string) func(t *testing.T, wd string) {
	return func(t *testing.T, wd string) {
		if err := os.WriteFile(filepath.Join(wd, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRobustness(t *testing.T) {
	cfg := func(old, new string) func(*testing.T) string {
		return func(t *testing.T) string { return writeConfig(t, seedConfig(t, old, new)) }
	}
	copyOnly := func(t *testing.T, wd string) { copyRun(t, wd, "r") }
	cases := []struct {
		name   string
		args   []string // "{cfg}": the path config returns
		config func(*testing.T) string
		setup  func(t *testing.T, wd string)
		want   []string
	}{
		// Run descriptions: wrong types, limits, new keys.
		{name: "config lr is a string", args: []string{"train", "--config", "{cfg}"},
			config: cfg("lr = 1e-3", `lr = "fast"`), want: []string{"train.lr", "float"}},
		{name: "config shape is a string", args: []string{"train", "--config", "{cfg}"},
			config: cfg("shape = [1]", `shape = "8x8"`), want: []string{"lattice.shape"}},
		{name: "config knots not an integer", args: []string{"train", "--config", "{cfg}"},
			config: cfg("knots = 10", "knots = 2.5"), want: []string{"knots"}},
		{name: "config symmetric is a string", args: []string{"train", "--config", "{cfg}"},
			config: cfg("symmetric = true", `symmetric = "yes"`), want: []string{"symmetric"}},
		{name: "config seed is a float", args: []string{"train", "--config", "{cfg}"},
			config: cfg("seed = 1", "seed = 1.5"), want: []string{"seed"}},
		{name: "config lattice too large", args: []string{"train", "--config", "{cfg}"},
			config: cfg("shape = [1]", "shape = [100000, 100000]"), want: []string{"lattice.shape = [100000 100000]", "16777216 sites"}},
		{name: "config knots too many", args: []string{"train", "--config", "{cfg}"},
			config: cfg("knots = 10", "knots = 1000000000"), want: []string{"flow.layers[0].knots = 1000000000", "at most 4096"}},
		{name: "config batch too large", args: []string{"train", "--config", "{cfg}"},
			config: cfg("batch = 1024", "batch = 1000000000"), want: []string{"train.batch = 1000000000", "MaxBatchSites"}},
		{name: "bench batch too large", args: []string{"bench", "--batch", "1000000000"},
			want: []string{"train.batch = 1000000000", "MaxBatchSites"}},
		{name: "config cnf steps 0", args: []string{"train", "--config", "{cfg}"},
			config: cfg("final_scale = false", "final_scale = false\n\n[[flow.layers]]\nkind = \"cnf\"\nsteps = 0\n"),
			want:   []string{"flow.layers[1].steps = 0", "positive"}},
		{name: "config max_bad_steps -1", args: []string{"train", "--config", "{cfg}"},
			config: cfg("print_stride = 100", "print_stride = 100\nmax_bad_steps = -1"), want: []string{"train.max_bad_steps = -1", "positive"}},
		{name: "config empty file", args: []string{"train", "--config", "{cfg}"},
			config: func(t *testing.T) string { return writeConfig(t, "") }, want: []string{"lattice.shape is missing"}},
		{name: "config binary garbage", args: []string{"train", "--config", "{cfg}"},
			config: func(t *testing.T) string { return writeConfig(t, "\x00\xff\x13NUMPY") }, want: []string{"run.toml"}},
		{name: "config is a directory", args: []string{"train", "--config", "adir"},
			setup: func(t *testing.T, wd string) { os.Mkdir(filepath.Join(wd, "adir"), 0o755) }, want: []string{"adir"}},
		// New train flags.
		{name: "save-every -1", args: []string{"train", "--save-every", "-1"}, want: []string{"--save-every = -1", ">= 0"}},
		{name: "stop-at 0", args: []string{"train", "--stop-at", "0"}, want: []string{"--stop-at = 0", "positive"}},
		{name: "stop-at past the end", args: []string{"train", "--epochs", "10", "--stop-at", "10", "--out", "o"},
			want: []string{"--stop-at = 10", "before the last epoch (10)"}},
		{name: "init-from missing run", args: []string{"train", "--init-from", "nope", "--out", "o"},
			want: []string{"init_from nope", "not a run directory"}},
		{name: "resume with init-from", args: []string{"train", "--resume", "r", "--init-from", "r"}, setup: copyOnly,
			want: []string{"--init-from with --resume"}},
		{name: "max-bad-steps 0", args: []string{"train", "--max-bad-steps", "0"}, want: []string{"--max-bad-steps = 0", "positive"}},
		{name: "out holds a checkpoint", args: []string{"train", "--out", "r"},
			setup: func(t *testing.T, wd string) {
				os.Remove(filepath.Join(copyRun(t, wd, "r"), run.ModelFile))
			}, want: []string{"--out r", "--resume r"}},
		// --resume: missing, damaged and mismatched runs, refused flags.
		{name: "resume missing dir", args: []string{"train", "--resume", "nope"}, want: []string{"--resume nope", "not a run directory"}},
		{name: "resume a file", args: []string{"train", "--resume", "afile"}, setup: writeFile("afile", "x"),
			want: []string{"--resume afile", "not a run directory"}},
		{name: "resume without checkpoint", args: []string{"train", "--resume", "r"},
			setup: func(t *testing.T, wd string) { os.Remove(filepath.Join(copyRun(t, wd, "r"), run.CheckpointFile)) },
			want:  []string{"r has no " + run.CheckpointFile, "--out r"}},
		{name: "resume truncated checkpoint", args: []string{"train", "--resume", "r", "--epochs", "30"},
			setup: damage(run.CheckpointFile, truncate), want: []string{run.CheckpointFile, "invalid safetensors"}},
		{name: "resume empty checkpoint", args: []string{"train", "--resume", "r", "--epochs", "30"},
			setup: damage(run.CheckpointFile, func([]byte) []byte { return nil }), want: []string{run.CheckpointFile, "too short"}},
		{name: "resume flipped data byte", args: []string{"train", "--resume", "r", "--epochs", "30"},
			setup: damage(run.CheckpointFile, flipByte(-20)), want: []string{run.CheckpointFile, "checksum mismatch"}},
		{name: "resume flipped header byte", args: []string{"train", "--resume", "r", "--epochs", "30"},
			setup: damage(run.CheckpointFile, flipByte(100)), want: []string{run.CheckpointFile}},
		{name: "resume flipped length byte", args: []string{"train", "--resume", "r", "--epochs", "30"},
			setup: damage(run.CheckpointFile, flipByte(5)), want: []string{run.CheckpointFile, "header length"}},
		{name: "resume model file as checkpoint", args: []string{"train", "--resume", "r", "--epochs", "30"},
			setup: func(t *testing.T, wd string) {
				dir := copyRun(t, wd, "r")
				data, _ := os.ReadFile(filepath.Join(dir, run.ModelFile))
				os.WriteFile(filepath.Join(dir, run.CheckpointFile), data, 0o644)
			}, want: []string{run.CheckpointFile, `format "normflow-go/1"`}},
		{name: "resume complete run", args: []string{"train", "--resume", "r"}, setup: copyOnly,
			want: []string{"complete (20 of 20 epochs)", "--epochs N > 20"}},
		{name: "resume epochs below done", args: []string{"train", "--resume", "r", "--epochs", "10"}, setup: copyOnly,
			want: []string{"--epochs 10", "already done 20 epochs"}},
		{name: "resume with lr", args: []string{"train", "--resume", "r", "--lr", "0.1"}, setup: copyOnly,
			want: []string{"--lr with --resume", "--epochs"}},
		{name: "resume with out", args: []string{"train", "--resume", "r", "--out", "x"}, setup: copyOnly,
			want: []string{"--out with --resume"}},
		{name: "resume config other lattice", args: []string{"train", "--resume", "r", "--epochs", "30", "--config", "{cfg}"},
			config: cfg("shape = [1]", "shape = [4]"), setup: copyOnly,
			want: []string{"describes another run", "lattice.shape: [1] vs [4]", "train.batch: 64 vs 1024"}},
		{name: "resume stop-at before done", args: []string{"train", "--resume", "r", "--epochs", "30", "--stop-at", "15"}, setup: copyOnly,
			want: []string{"--stop-at = 15", "after the epochs done (20)"}},
		// Other commands on damaged files.
		{name: "sample truncated model", args: []string{"sample", "--run", "r"}, setup: damage(run.ModelFile, truncate),
			want: []string{run.ModelFile, "invalid safetensors"}},
		{name: "sample flipped model header", args: []string{"sample", "--run", "r"}, setup: damage(run.ModelFile, flipByte(40)),
			want: []string{run.ModelFile}},
		{name: "sample flipped model weight", args: []string{"sample", "--run", "r"}, setup: damage(run.ModelFile, flipByte(-3)),
			want: []string{run.ModelFile, "checksum mismatch"}},
		{name: "sample model of another run", args: []string{"sample", "--run", "r"},
			setup: func(t *testing.T, wd string) {
				dir := copyRun(t, wd, "r")
				os.WriteFile(filepath.Join(dir, run.ModelFile), []byte("\x08\x00\x00\x00\x00\x00\x00\x00{}      "), 0o644)
			}, want: []string{run.ModelFile, "no run description"}},
		{name: "measure truncated npy", args: []string{"measure", "e.npy"}, setup: writeFile("e.npy", "\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (100, 4), }"),
			want: []string{"e.npy"}},
		{name: "measure text as npz", args: []string{"measure", "e.npz"}, setup: writeFile("e.npz", "phi = 1, 2, 3\n"),
			want: []string{"e.npz", "not a zip"}},
		{name: "measure missing file", args: []string{"measure", "none.npy"}, want: []string{"none.npy"}},
		{name: "plot truncated history", args: []string{"plot", "r"}, setup: damage(run.HistoryFile, func(b []byte) []byte { return b[:30] }),
			want: []string{run.HistoryFile}},
		{name: "hmc config wrong type", args: []string{"hmc", "--config", "{cfg}"},
			config: cfg("m_sq = -2.0", `m_sq = "minus two"`), want: []string{"action.m_sq"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wd := t.TempDir()
			if c.setup != nil {
				c.setup(t, wd)
			}
			args := make([]string, len(c.args))
			for i, a := range c.args {
				if a == "{cfg}" {
					a = c.config(t)
				}
				args[i] = a
			}
			r := checkBadInput(t, wd, args, c.want)
			t.Logf("exit %d: %s", r.code, strings.TrimSpace(r.stderr))
		})
	}
}

// Jobs started in the same second get distinct default run directories:
// each is created exclusively, even by concurrent callers.
func TestDefaultRunDirExclusive(t *testing.T) {
	t.Chdir(t.TempDir())
	now := time.Date(2026, 12, 2, 3, 4, 5, 0, time.UTC)
	const jobs = 8
	dirs := make(chan string, jobs)
	var wg sync.WaitGroup
	for range jobs {
		wg.Go(func() {
			d, err := defaultRunDir(now)
			if err != nil {
				t.Error(err)
			}
			dirs <- d
		})
	}
	wg.Wait()
	close(dirs)
	seen := map[string]bool{}
	for d := range dirs {
		if seen[d] {
			t.Errorf("two jobs got %s", d)
		}
		seen[d] = true
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			t.Errorf("%s: not created (%v)", d, err)
		}
	}
	if !seen[filepath.Join("runs", "20261202-030405")] || !seen[filepath.Join("runs", "20261202-030405-8")] {
		t.Errorf("directories %v: want runs/20261202-030405 and suffixes -2 … -8", seen)
	}
}
