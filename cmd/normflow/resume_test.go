package main

// Checkpoints, resume, signals and kills, end to end.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/normflow/normflow-go/run"
	"github.com/normflow/normflow-go/store"
)

// scheduledConfig is the seed example with a cosine schedule and annealing,
// so that a resumed run must also get the schedule and α right.
func scheduledConfig(t *testing.T) string {
	return writeConfig(t, seedConfig(t, "print_stride = 100", "print_stride = 100\nlr_schedule = \"cosine\"\nlr_min_factor = 0.1\nanneal_epochs = 50"))
}

// sameRun fails unless two run directories hold the same model, history and
// checkpoint (all but its time and checksum).
func sameRun(t *testing.T, a, b string) {
	t.Helper()
	for _, f := range []string{run.ModelFile, run.HistoryFile} {
		da, err := os.ReadFile(filepath.Join(a, f))
		if err != nil {
			t.Fatal(err)
		}
		db, err := os.ReadFile(filepath.Join(b, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(da, db) {
			t.Errorf("%s differs between %s and %s", f, a, b)
		}
	}
	ta, ma, err := store.ReadSafetensors(filepath.Join(a, run.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	tb, mb, err := store.ReadSafetensors(filepath.Join(b, run.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ta, tb) {
		t.Errorf("checkpoint tensors (weights, AdamW moments, history) differ between %s and %s", a, b)
	}
	for _, k := range []string{"normflow.train_seconds", "normflow.checksum"} {
		delete(ma, k)
		delete(mb, k)
	}
	if !reflect.DeepEqual(ma, mb) {
		t.Errorf("checkpoint metadata differs:\n%v\n%v", ma, mb)
	}
}

func readSummary(t *testing.T, dir string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, run.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	var sum map[string]any
	if err := json.Unmarshal(data, &sum); err != nil {
		t.Fatal(err)
	}
	return sum
}

// 200 epochs straight = 100 epochs, stop, --resume for 100 more: bit-identical
// weights, optimiser state and history.
func TestResumeBitIdentical(t *testing.T) {
	wd := t.TempDir()
	cfg := scheduledConfig(t)
	mustRun(t, wd, "train", "--config", cfg, "--epochs", "200", "--batch", "256", "--out", "straight")
	r := mustRun(t, wd, "train", "--config", cfg, "--epochs", "200", "--batch", "256", "--out", "split", "--stop-at", "100", "--save-every", "30")
	if !strings.Contains(r.stdout, "stopped after epoch 100 of 200") || !strings.Contains(r.stdout, "--resume split") {
		t.Errorf("--stop-at 100 output:\n%s", r.stdout)
	}
	if sum := readSummary(t, filepath.Join(wd, "split")); sum["stopped"] != true || sum["completed_epochs"] != 100.0 {
		t.Errorf("summary after --stop-at: stopped %v, completed_epochs %v", sum["stopped"], sum["completed_epochs"])
	}
	r = mustRun(t, wd, "train", "--resume", "split", "--threads", "1")
	lines := strings.Split(r.stdout, "\n")
	if lines[0] != ">>> Training resumed after epoch 100 for 100 more epochs (200 in all) <<<" || !strings.HasPrefix(lines[1], "Epoch: 200 | ") {
		t.Errorf("resumed progress:\n%s", r.stdout)
	}
	sameRun(t, filepath.Join(wd, "straight"), filepath.Join(wd, "split"))
	checkRunDir(t, filepath.Join(wd, "split"), 200, 256)
}

// started is a training process whose stdout and stderr lines are read as
// they come.
type started struct {
	cmd    *exec.Cmd
	lines  chan string // stdout and stderr lines
	stderr *bytes.Buffer
	done   chan struct{}
}

func start(t *testing.T, wd string, env []string, args ...string) *started {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = wd
	cmd.Env = append(os.Environ(), env...)
	pr, pw := io.Pipe()
	s := &started{cmd: cmd, lines: make(chan string, 1<<16), stderr: &bytes.Buffer{}, done: make(chan struct{})}
	cmd.Stdout = pw
	cmd.Stderr = io.MultiWriter(pw, s.stderr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			select {
			case s.lines <- sc.Text():
			default:
			}
		}
		close(s.done)
	}()
	go func() {
		cmd.Wait()
		pw.Close()
	}()
	t.Cleanup(func() { cmd.Process.Kill(); <-s.done })
	return s
}

// waitFor reads lines until one contains want.
func (s *started) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case l := <-s.lines:
			if strings.Contains(l, want) {
				return
			}
		case <-s.done:
			t.Fatalf("process ended before printing %q (stderr %q)", want, s.stderr)
		case <-deadline:
			t.Fatalf("no line %q after 60 s", want)
		}
	}
}

// exitCode waits for the process and returns its exit status (-1: killed).
func (s *started) exitCode(t *testing.T) int {
	t.Helper()
	<-s.done
	for s.cmd.ProcessState == nil {
		time.Sleep(time.Millisecond)
	}
	return s.cmd.ProcessState.ExitCode()
}

// SIGINT or SIGTERM during training: the step in progress finishes, the run
// directory and checkpoint are written (summary "stopped"), the exit status
// is 128 + the signal, and --resume completes the run exactly.
func TestSignalWritesCheckpoint(t *testing.T) {
	for _, c := range []struct {
		sig  syscall.Signal
		name string
		code int
	}{{syscall.SIGINT, "SIGINT", 130}, {syscall.SIGTERM, "SIGTERM", 143}} {
		t.Run(c.name, func(t *testing.T) {
			wd := t.TempDir()
			args := []string{"train", "--epochs", "20000", "--batch", "64", "--print-stride", "1", "--save-every", "0"}
			p := start(t, wd, nil, append(args, "--out", "run")...)
			p.waitFor(t, "Epoch: 50 |")
			p.cmd.Process.Signal(c.sig)
			if code := p.exitCode(t); code != c.code {
				t.Fatalf("exit status %d, want %d (stderr %q)", code, c.code, p.stderr)
			}
			msg := p.stderr.String()
			if strings.Count(msg, "\n") != 1 || !strings.Contains(msg, c.name+" after epoch") || !strings.Contains(msg, "--resume run") {
				t.Errorf("stderr %q: want one line naming the signal and how to resume", msg)
			}
			ck, err := run.LoadCheckpoint(filepath.Join(wd, "run", run.CheckpointFile))
			if err != nil {
				t.Fatal(err)
			}
			sum := readSummary(t, filepath.Join(wd, "run"))
			if !ck.State.Stopped || sum["stopped"] != true || sum["completed_epochs"] != float64(ck.State.Epoch) || ck.State.Epoch < 50 || ck.State.Epoch >= 20000 {
				t.Fatalf("after %s: checkpoint at epoch %d (stopped %v), summary %v", c.name, ck.State.Epoch, ck.State.Stopped, sum)
			}
			// Resume to a shorter total (a constant schedule: the same steps as a
			// straight run of that many epochs) and compare.
			total := fmt.Sprint(ck.State.Epoch + 40)
			mustRun(t, wd, "train", "--resume", "run", "--epochs", total)
			mustRun(t, wd, append(args, "--epochs", total, "--out", "straight")...)
			sameRun(t, filepath.Join(wd, "straight"), filepath.Join(wd, "run"))
		})
	}
}

// A process killed (SIGKILL) half-way through writing a checkpoint leaves the
// previous checkpoint loadable, and --resume finishes the run exactly.
func TestKillDuringCheckpointWrite(t *testing.T) {
	wd := t.TempDir()
	args := []string{"train", "--config", scheduledConfig(t), "--epochs", "300", "--batch", "128", "--save-every", "100"}
	// The second checkpoint write (epoch 200) stops half-way.
	p := start(t, wd, []string{run.PauseEnv + "=2"}, append(args, "--out", "run")...)
	p.waitFor(t, run.PauseMarker)
	p.cmd.Process.Kill()
	p.exitCode(t)
	runDir := filepath.Join(wd, "run")
	temps, _ := filepath.Glob(filepath.Join(runDir, ".checkpoint.safetensors.tmp-*"))
	if len(temps) != 1 {
		t.Fatalf("want the half-written temporary checkpoint in %s, found %v", runDir, temps)
	}
	if st, err := os.Stat(temps[0]); err != nil || st.Size() == 0 {
		t.Fatalf("temporary checkpoint %v: %v", st, err)
	}
	ck, err := run.LoadCheckpoint(filepath.Join(runDir, run.CheckpointFile))
	if err != nil {
		t.Fatalf("the previous checkpoint does not load: %v", err)
	}
	if ck.State.Epoch != 100 {
		t.Errorf("checkpoint at epoch %d, want the previous one, 100", ck.State.Epoch)
	}
	r := mustRun(t, wd, "train", "--resume", "run")
	if !strings.Contains(r.stdout, "resumed after epoch 100") {
		t.Errorf("resume output:\n%s", r.stdout)
	}
	if temps, _ := filepath.Glob(filepath.Join(runDir, ".*.tmp-*")); len(temps) != 0 {
		t.Errorf("stale temporary files left: %v", temps)
	}
	mustRun(t, wd, append(args, "--out", "straight")...)
	sameRun(t, filepath.Join(wd, "straight"), runDir)
}

// Killed (SIGKILL) at random times, at least 100 times: every checkpoint
// left behind loads, a run killed before its first checkpoint starts again
// with the same --out, and resuming until done gives the run of one go.
func TestRandomKills(t *testing.T) {
	if testing.Short() {
		t.Skip("kills training runs at random times for several seconds")
	}
	wd := t.TempDir()
	args := []string{"train", "--config", scheduledConfig(t), "--epochs", "5000", "--batch", "64", "--save-every", "7"}
	mustRun(t, wd, append(args, "--out", "straight")...)
	rng := rand.New(rand.NewPCG(6, 66))
	const wantKills = 100
	kills, midWrite, runs := 0, 0, 0
	// A run that finishes before the kills are done (a fast machine) is
	// checked, and the next run directory takes the remaining kills.
	for runs = 0; kills < wantKills; runs++ {
		name := fmt.Sprintf("run%d", runs)
		runDir := filepath.Join(wd, name)
		ckpt := filepath.Join(runDir, run.CheckpointFile)
		for finished := false; !finished && kills < wantKills; {
			cmdArgs := append(args, "--out", name)
			if _, err := os.Stat(ckpt); err == nil {
				cmdArgs = []string{"train", "--resume", name}
			}
			p := start(t, wd, nil, cmdArgs...)
			select {
			case <-p.done:
			case <-time.After(time.Duration(5+rng.IntN(80)) * time.Millisecond):
				p.cmd.Process.Kill()
				kills++
			}
			code := p.exitCode(t)
			if code != 0 && code != -1 {
				t.Fatalf("%s after %d kills: exit status %d (stderr %q)", name, kills, code, p.stderr)
			}
			if temps, _ := filepath.Glob(filepath.Join(runDir, ".*.tmp-*")); len(temps) > 0 {
				midWrite++
			}
			if _, err := os.Stat(ckpt); err == nil {
				ck, err := run.LoadCheckpoint(ckpt)
				if err != nil {
					t.Fatalf("after kill %d: %v", kills, err)
				}
				finished = ck.State.Epoch == 5000
			}
			if finished {
				break
			}
		}
		if _, err := os.Stat(ckpt); errors.Is(err, fs.ErrNotExist) { // the last kill came before the first checkpoint
			mustRun(t, wd, append(args, "--out", name)...)
		}
		switch ck, err := run.LoadCheckpoint(ckpt); {
		case err != nil:
			t.Fatal(err)
		case ck.State.Epoch != 5000:
			mustRun(t, wd, "train", "--resume", name)
		}
		sameRun(t, filepath.Join(wd, "straight"), runDir)
	}
	t.Logf("%d kills over %d interrupted runs, %d of them during a write (temporary file left)", kills, runs, midWrite)
}

// Non-finite steps are skipped and counted in summary.json; too many in a row
// stop the run (status 1) and keep the last good checkpoint.
func TestBadStepsKeepLastCheckpoint(t *testing.T) {
	wd := t.TempDir()
	// lr = 10 blows the seed example up after 3 steps: the spline of its
	// convertor degenerates (bins of zero height), and every later loss is
	// NaN. (Before the convertor was evaluated in log space, rounding took
	// the run elsewhere: 5 steps, then finite losses with non-finite
	// gradients.)
	args := []string{"train", "--epochs", "60", "--batch", "64", "--lr", "10", "--save-every", "2"}
	mustRun(t, wd, append(args, "--out", "counted", "--max-bad-steps", "1000")...)
	sum := readSummary(t, filepath.Join(wd, "counted"))
	if sum["skipped_steps"] != 57.0 {
		t.Errorf("summary.json skipped_steps = %v, want 57 (epochs 4 to 60)", sum["skipped_steps"])
	}
	// The last epoch's metrics are NaN: null in JSON.
	if v, ok := sum["loss"]; !ok || v != nil {
		t.Errorf("summary.json loss = %v (present %v), want null", v, ok)
	}
	r := normflow(t, wd, append(args, "--out", "stopped", "--max-bad-steps", "20")...)
	if r.code != 1 || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("exit status %d, stderr %q: want 1 and one line", r.code, r.stderr)
	}
	for _, w := range []string{"the 20 steps of epochs 4 to 23", "max_bad_steps = 20", "checkpoint.safetensors after epoch 2, is kept"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr %q does not say %q", r.stderr, w)
		}
	}
	ck, err := run.LoadCheckpoint(filepath.Join(wd, "stopped", run.CheckpointFile))
	if err != nil || ck.State.Epoch != 2 || ck.State.Skipped != 0 {
		t.Fatalf("kept checkpoint: %v, %v", ck, err)
	}
}
