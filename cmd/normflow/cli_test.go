package main

// End-to-end tests of the normflow command as a user runs it: the binary is
// built once in TestMain and run in fresh working directories.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/normflow/normflow-go/examples"
	"github.com/normflow/normflow-go/run"
	"github.com/normflow/normflow-go/store"
	"github.com/spf13/cobra"
)

// quick are the training flags of every training run in these tests.
var quick = []string{"--epochs", "20", "--batch", "64"}

var (
	binDir string // holds the binary and the shared fixture run
	bin    string // the normflow binary
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	var err error
	binDir, err = os.MkdirTemp("", "normflow-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "TestMain:", err)
		return 1
	}
	defer os.RemoveAll(binDir)
	bin = filepath.Join(binDir, "normflow")
	goTool, err := exec.LookPath("go")
	if err != nil {
		fmt.Fprintln(os.Stderr, "TestMain: no go on PATH:", err)
		return 1
	}
	build := exec.Command(goTool, "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "TestMain: go build: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// result is what one run of the binary produced.
type result struct {
	stdout, stderr string
	code           int
}

// normflow runs the binary with args in the working directory dir.
func normflow(t *testing.T, dir string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		r.code = exit.ExitCode()
	default:
		t.Fatalf("normflow %s: %v (stderr %q)", strings.Join(args, " "), err, r.stderr)
	}
	return r
}

// mustRun runs the binary and fails the test unless it exits 0 with an
// empty stderr.
func mustRun(t *testing.T, dir string, args ...string) result {
	t.Helper()
	r := normflow(t, dir, args...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("normflow %s: exit %d, stderr %q", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

// checkBadInput runs the binary with args in wd and checks the bad-input
// contract: exit status 2, nothing on stdout, one line "normflow: …" on
// stderr that names every string of want, and the working directory
// unchanged (nothing written). It returns what the run printed.
func checkBadInput(t *testing.T, wd string, args, want []string) result {
	t.Helper()
	before := snapshot(t, wd)
	r := normflow(t, wd, args...)
	if r.code != 2 {
		t.Errorf("exit status %d, want 2 (stderr %q)", r.code, r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout %q, want nothing", r.stdout)
	}
	if !strings.HasSuffix(r.stderr, "\n") || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "normflow: ") {
		t.Errorf("stderr %q, want one line \"normflow: …\"", r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr %q does not name %q", r.stderr, w)
		}
	}
	if after := snapshot(t, wd); !reflect.DeepEqual(after, before) {
		t.Errorf("the working directory changed: before %v, after %v", before, after)
	}
	return r
}

// snapshot maps every path under root (relative, slash-separated) to a hash of
// its contents, or "dir" for a directory.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	snap := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			snap[rel] = "dir"
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		snap[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatalf("snapshot %s: %v", root, err)
	}
	return snap
}

var fixture struct {
	once sync.Once
	dir  string
	err  error
}

// fixtureRun returns a run directory trained once for all tests (outside any
// test's working directory). Tests must not change it.
func fixtureRun(t *testing.T) string {
	t.Helper()
	fixture.once.Do(func() {
		dir := filepath.Join(binDir, "fixture")
		cmd := exec.Command(bin, append([]string{"train", "--out", dir}, quick...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			fixture.err = fmt.Errorf("training the fixture run: %v\n%s", err, out)
			return
		}
		fixture.dir = dir
	})
	if fixture.err != nil {
		t.Fatal(fixture.err)
	}
	return fixture.dir
}

// seedConfig returns the embedded seed example with old replaced by new.
func seedConfig(t *testing.T, old, new string) string {
	t.Helper()
	data, err := examples.FS.ReadFile(examples.Default)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	if strings.Count(s, old) != 1 {
		t.Fatalf("the seed example %s has %d copies of %q, want 1", examples.Default, strings.Count(s, old), old)
	}
	return strings.Replace(s, old, new, 1)
}

// writeConfig writes a run description outside the working directory and
// returns its path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run.toml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBadInput(t *testing.T) {
	cfg := func(old, new string) func(*testing.T) string {
		return func(t *testing.T) string { return writeConfig(t, seedConfig(t, old, new)) }
	}
	const sentinel = "not a real model, must survive"
	cases := []struct {
		name string
		// args are the command line; "{cfg}" is replaced by the path config
		// returns and "{run}" by the fixture run directory.
		args   []string
		config func(*testing.T) string
		setup  func(t *testing.T, wd string)
		want   []string // substrings of the error line
	}{
		{name: "config misspelled key", args: []string{"train", "--config", "{cfg}"},
			config: cfg("lambd = 0.2", "lamda = 0.2"), want: []string{"unknown key", "lamda"}},
		{name: "config epochs 0", args: []string{"train", "--config", "{cfg}"},
			config: cfg("epochs = 1000", "epochs = 0"), want: []string{"train.epochs = 0", "positive"}},
		{name: "config batch -3", args: []string{"train", "--config", "{cfg}"},
			config: cfg("batch = 1024", "batch = -3"), want: []string{"train.batch = -3", "positive"}},
		{name: "config shape [4, 0]", args: []string{"train", "--config", "{cfg}"},
			config: cfg("shape = [1]", "shape = [4, 0]"), want: []string{"lattice.shape[1] = 0", "positive"}},
		{name: "config knots 1", args: []string{"train", "--config", "{cfg}"},
			config: cfg("knots = 10", "knots = 1"), want: []string{"knots = 1", ">= 2"}},
		{name: "config unknown layer kind", args: []string{"train", "--config", "{cfg}"},
			config: cfg(`kind = "dist_convertor"`, `kind = "real_nvp"`), want: []string{"real_nvp", "dist_convertor"}},
		{name: "config type mismatch", args: []string{"train", "--config", "{cfg}"},
			config: cfg("epochs = 1000", `epochs = "ten"`), want: []string{"train.epochs"}},
		{name: "config syntax error", args: []string{"train", "--config", "{cfg}"},
			config: cfg("epochs = 1000", "epochs = = 3"), want: []string{"line "}},
		{name: "config gradient", args: []string{"train", "--config", "{cfg}"},
			config: cfg(`gradient = "path"`, `gradient = "pth"`), want: []string{`train.gradient = "pth"`, "path, plain"}},
		{name: "missing config file", args: []string{"train", "--config", "nope.toml"},
			want: []string{"nope.toml"}},
		{name: "epochs 0", args: []string{"train", "--epochs", "0"}, want: []string{"--epochs = 0", "positive"}},
		{name: "batch -1", args: []string{"train", "--batch", "-1"}, want: []string{"--batch = -1", "positive"}},
		{name: "print-stride 0", args: []string{"train", "--print-stride", "0"}, want: []string{"--print-stride = 0", "positive"}},
		{name: "threads -1", args: []string{"train", "--threads", "-1"}, want: []string{"--threads = -1", ">= 0"}},
		{name: "lr 0", args: []string{"train", "--lr", "0"}, want: []string{"--lr = 0", "positive"}},
		{name: "lr inf", args: []string{"train", "--lr", "inf"}, want: []string{"--lr = +Inf", "finite"}},
		{name: "gradient", args: []string{"train", "--gradient", "bogus"}, want: []string{`--gradient = "bogus"`, "path, plain"}},
		{name: "epochs not a number", args: []string{"train", "--epochs", "abc"}, want: []string{`"abc"`, "--epochs"}},
		{name: "negative seed", args: []string{"train", "--seed", "-5"}, want: []string{"-5", "--seed"}},
		{name: "unknown flag", args: []string{"train", "--epoch", "5"}, want: []string{"unknown flag", "--epoch"}},
		{name: "unknown root flag", args: []string{"--bogus"}, want: []string{"unknown flag", "--bogus"}},
		{name: "unknown command", args: []string{"trian"}, want: []string{"unknown command", "trian", "did you mean train?"}},
		{name: "train positional argument", args: []string{"train", "extra"}, want: []string{"extra"}},
		{name: "train out is a file", args: []string{"train", "--out", "afile"},
			setup: func(t *testing.T, wd string) {
				if err := os.WriteFile(filepath.Join(wd, "afile"), []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"--out afile"}},
		{name: "train out holds a model", args: append([]string{"train", "--out", "done"}, quick...),
			setup: func(t *testing.T, wd string) {
				if err := os.Mkdir(filepath.Join(wd, "done"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(wd, "done", run.ModelFile), []byte(sentinel), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"--out done", "already holds"}},
		{name: "sample missing run", args: []string{"sample", "--run", "does-not-exist"},
			want: []string{"does-not-exist", "not a run directory"}},
		{name: "sample empty run dir", args: []string{"sample", "--run", "empty"},
			setup: func(t *testing.T, wd string) {
				if err := os.Mkdir(filepath.Join(wd, "empty"), 0o755); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"empty", run.ModelFile}},
		{name: "sample run is a file", args: []string{"sample", "--run", "afile"},
			setup: func(t *testing.T, wd string) {
				if err := os.WriteFile(filepath.Join(wd, "afile"), []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"--run afile"}},
		{name: "sample no run", args: []string{"sample"}, want: []string{"--run"}},
		{name: "sample n 1", args: []string{"sample", "--run", "{run}", "--n", "1"}, want: []string{"--n = 1", ">= 2"}},
		{name: "sample out not npz", args: []string{"sample", "--run", "{run}", "--out", "x.txt"}, want: []string{"x.txt", ".npz"}},
		{name: "sample out dir missing", args: []string{"sample", "--run", "{run}", "--out", "missingdir/x.npz"},
			want: []string{"missingdir/x.npz", "does not exist"}},
		{name: "sample out dir is a file", args: []string{"sample", "--run", "{run}", "--out", "afile/x.npz"},
			setup: func(t *testing.T, wd string) {
				if err := os.WriteFile(filepath.Join(wd, "afile"), []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"afile/x.npz", "not a directory"}},
		{name: "sample unknown flag", args: []string{"sample", "--run", "{run}", "--mcm"}, want: []string{"unknown flag", "--mcm"}},
		{name: "sample positional argument", args: []string{"sample", "{run}"}, want: []string{"unknown command"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wd := t.TempDir()
			if c.setup != nil {
				c.setup(t, wd)
			}
			args := make([]string, len(c.args))
			var fixtureDir string
			var fixtureBefore map[string]string
			for i, a := range c.args {
				switch a {
				case "{cfg}":
					a = c.config(t)
				case "{run}":
					fixtureDir = fixtureRun(t)
					fixtureBefore = snapshot(t, fixtureDir)
					a = fixtureDir
				}
				args[i] = a
			}
			checkBadInput(t, wd, args, c.want)
			if fixtureDir != "" {
				if after := snapshot(t, fixtureDir); !reflect.DeepEqual(after, fixtureBefore) {
					t.Errorf("the run directory changed: before %v, after %v", fixtureBefore, after)
				}
			}
		})
	}
}

var (
	epochLine    = regexp.MustCompile(`^Epoch: (\d+) \| loss: -?\d+\.\d{4} \| ess: \d\.\d{4} \| log\(p\): \S+$`)
	finishedLine = regexp.MustCompile(`^>>> Training finished \(cpu\); TIME = \d+\.\d{2} sec <<<$`)
)

// checkProgress checks the seed-format progress lines of a training run.
func checkProgress(t *testing.T, stdout string, epochs int) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) < 4 || lines[0] != ">>> Checking the current status of the model <<<" {
		t.Fatalf("training output does not start with the seed's status line:\n%s", stdout)
	}
	if m := epochLine.FindStringSubmatch(lines[1]); m == nil || m[1] != "0" {
		t.Errorf("line 2 %q, want \"Epoch: 0 | loss: … | ess: … | log(p): …\"", lines[1])
	}
	last := fmt.Sprint(epochs)
	var sawLast, sawFinished bool
	for _, l := range lines[2:] {
		if m := epochLine.FindStringSubmatch(l); m != nil && m[1] == last {
			sawLast = true
		}
		if finishedLine.MatchString(l) {
			sawFinished = true
		}
	}
	if !sawLast {
		t.Errorf("no progress line for the last epoch %s:\n%s", last, stdout)
	}
	if !sawFinished {
		t.Errorf("no \">>> Training finished (cpu); TIME = … sec <<<\" line:\n%s", stdout)
	}
}

// checkRunDir checks the three files of a run directory and returns its summary.
func checkRunDir(t *testing.T, dir string, epochs, batch int) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, run.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	var sum map[string]any
	if err := json.Unmarshal(data, &sum); err != nil {
		t.Fatalf("summary.json: %v", err)
	}
	for _, k := range []string{"epochs", "batch", "loss", "ess", "train_seconds", "params"} {
		v, ok := sum[k].(float64)
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("summary.json: %s = %v, want a finite number", k, sum[k])
		}
	}
	if sum["epochs"] != float64(epochs) || sum["batch"] != float64(batch) {
		t.Errorf("summary.json: epochs %v, batch %v, want %d, %d", sum["epochs"], sum["batch"], epochs, batch)
	}
	if ess, _ := sum["ess"].(float64); !(ess > 0 && ess <= 1) {
		t.Errorf("summary.json: ess %v, want in (0, 1]", sum["ess"])
	}
	if p, _ := sum["params"].(float64); !(p > 0) {
		t.Errorf("summary.json: params %v, want > 0", sum["params"])
	}
	if s, _ := sum["train_seconds"].(float64); s < 0 {
		t.Errorf("summary.json: train_seconds %v, want >= 0", s)
	}

	f, err := os.Open(filepath.Join(dir, run.HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("history.csv: %v", err)
	}
	want := []string{"epoch", "loss", "ess", "logp_mean", "logp_std"}
	if len(rows) == 0 || len(rows[0]) < len(want) || !reflect.DeepEqual(rows[0][:len(want)], want) {
		t.Fatalf("history.csv header %v, want it to start with %v", rows[0], want)
	}
	if len(rows)-1 != epochs+1 {
		t.Errorf("history.csv has %d data rows, want %d (epochs 0..%d)", len(rows)-1, epochs+1, epochs)
	}
	for i, row := range rows[1:] {
		if row[0] != fmt.Sprint(i) {
			t.Errorf("history.csv row %d: epoch %q, want %d", i+1, row[0], i)
			break
		}
	}

	tensors, meta, err := store.ReadSafetensors(filepath.Join(dir, run.ModelFile))
	if err != nil {
		t.Fatalf("model.safetensors: %v", err)
	}
	n := 0
	for _, ts := range tensors {
		n += len(ts.Data)
	}
	if p, _ := sum["params"].(float64); n != int(p) {
		t.Errorf("model.safetensors holds %d values, summary.json says params %v", n, sum["params"])
	}
	if meta["normflow.run"] == "" {
		t.Errorf("model.safetensors has no run description in its metadata")
	}
	return sum
}

// report is the JSON object of `normflow sample --json`.
type report struct {
	N           *int                `json:"n"`
	ESS         *float64            `json:"ess"`
	AcceptRate  *float64            `json:"accept_rate"`
	Observables map[string]estimate `json:"observables"`
}

type estimate struct {
	Mean *float64 `json:"mean"`
	Err  *float64 `json:"err"`
}

// decodeReport checks that stdout is exactly one JSON object and decodes it.
func decodeReport(t *testing.T, stdout string, n int) (report, map[string]json.RawMessage) {
	t.Helper()
	if strings.Count(stdout, "\n") != 1 || !strings.HasSuffix(stdout, "\n") {
		t.Fatalf("stdout %q, want one line of JSON", stdout)
	}
	var rep report
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("stdout is not a JSON report: %v\n%s", err, stdout)
	}
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		t.Fatal(err)
	}
	if rep.N == nil || *rep.N != n {
		t.Errorf("n = %v, want %d", rep.N, n)
	}
	if rep.ESS == nil || !(*rep.ESS > 0 && *rep.ESS <= 1) {
		t.Errorf("ess = %v, want in (0, 1]", rep.ESS)
	}
	for _, name := range []string{"phi2", "phi4", "absM", "chi2"} {
		e, ok := rep.Observables[name]
		if !ok || e.Mean == nil || e.Err == nil {
			t.Errorf("observables.%s = %+v, want {mean, err}", name, e)
			continue
		}
		if m, s := *e.Mean, *e.Err; math.IsNaN(m) || math.IsInf(m, 0) || !(s >= 0) || math.IsInf(s, 0) {
			t.Errorf("observables.%s = {mean %g, err %g}, want finite values, err >= 0", name, m, s)
		}
	}
	// On one site M = φ, so χ₂ = V⟨M²⟩ = ⟨φ²⟩, and |M| ≥ 0.
	if p2, c2 := rep.Observables["phi2"].Mean, rep.Observables["chi2"].Mean; p2 != nil && c2 != nil && !(math.Abs(*p2-*c2) <= 1e-12*math.Abs(*p2)) {
		t.Errorf("one site: chi2 %g != phi2 %g", *c2, *p2)
	}
	if m := rep.Observables["absM"].Mean; m != nil && !(*m > 0) {
		t.Errorf("<|M|> = %g, want > 0", *m)
	}
	return rep, raw
}

func TestTrainAndSample(t *testing.T) {
	wd := t.TempDir()
	r := mustRun(t, wd, append([]string{"train", "--out", "r"}, quick...)...)
	checkProgress(t, r.stdout, 20)
	checkRunDir(t, filepath.Join(wd, "r"), 20, 64)

	// An exact (MCMC) ensemble, written as .npz.
	r = mustRun(t, wd, "sample", "--run", "r", "--n", "2000", "--mcmc", "--json", "--out", "e.npz")
	rep, _ := decodeReport(t, r.stdout, 2000)
	if rep.AcceptRate == nil || !(*rep.AcceptRate > 0 && *rep.AcceptRate <= 1) {
		t.Errorf("--mcmc: accept_rate = %v, want in (0, 1]", rep.AcceptRate)
	}
	arrays, err := store.ReadNPZ(filepath.Join(wd, "e.npz"))
	if err != nil {
		t.Fatalf("e.npz: %v", err)
	}
	wantShapes := map[string][]int{"phi": {2000, 1}, "logq": {2000}, "logp": {2000}, "accepted": {2000}}
	for name, shape := range wantShapes {
		a, ok := arrays[name]
		if !ok {
			t.Errorf("e.npz has no array %q (has %v)", name, keys(arrays))
			continue
		}
		if !reflect.DeepEqual(a.Shape, shape) || a.Len() != 2000 {
			t.Errorf("e.npz: %s has shape %v and %d elements, want %v", name, a.Shape, a.Len(), shape)
		}
	}
	if acc, ok := arrays["accepted"].Data.([]bool); ok && rep.AcceptRate != nil {
		k := 0
		for _, a := range acc {
			if a {
				k++
			}
		}
		if rate := float64(k) / float64(len(acc)); !(math.Abs(rate-*rep.AcceptRate) <= 1.0/2000) {
			t.Errorf("e.npz: %d of %d accepted, but accept_rate %g", k, len(acc), *rep.AcceptRate)
		}
	}
	if len(arrays) != len(wantShapes) {
		t.Errorf("e.npz has arrays %v, want %v", keys(arrays), keys(wantShapes))
	}

	// Raw flow samples: no acceptance rate, nothing written without --out.
	before := snapshot(t, wd)
	r = mustRun(t, wd, "sample", "--run", "r", "--n", "2000", "--json", "--seed", "3")
	_, raw := decodeReport(t, r.stdout, 2000)
	if v, ok := raw["accept_rate"]; !ok || string(v) != "null" {
		t.Errorf("without --mcmc: accept_rate = %s, want null", v)
	}
	if after := snapshot(t, wd); !reflect.DeepEqual(after, before) {
		t.Errorf("sample without --out changed the working directory: %v -> %v", before, after)
	}
	// The same seed draws the same samples.
	if again := mustRun(t, wd, "sample", "--run", "r", "--n", "2000", "--json", "--seed", "3"); again.stdout != r.stdout {
		t.Errorf("sample --seed 3 twice differs:\n%s%s", r.stdout, again.stdout)
	}

	// The text report.
	r = mustRun(t, wd, "sample", "--run", "r", "--n", "500", "--mcmc")
	for _, w := range []string{"500 configurations", "ess:", "accept rate:", "<phi^2>:", "<phi^4>:", "<|M|>:", "chi2 = V<M^2>:"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("text report lacks %q:\n%s", w, r.stdout)
		}
	}
}

func keys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func TestDefaultTrain(t *testing.T) {
	wd := t.TempDir()
	stamp := regexp.MustCompile(`^\d{8}-\d{6}(-\d+)?$`)
	// Twice in a row: runs within the same second get distinct directories.
	for i := 1; i <= 2; i++ {
		r := mustRun(t, wd, "train", "--epochs", "5")
		checkProgress(t, r.stdout, 5)
		entries, err := os.ReadDir(filepath.Join(wd, "runs"))
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != i {
			t.Fatalf("after %d default runs, runs/ holds %d entries", i, len(entries))
		}
		if top, _ := os.ReadDir(wd); len(top) != 1 {
			t.Errorf("the working directory holds %d entries, want only runs/", len(top))
		}
		for _, e := range entries {
			if !e.IsDir() || !stamp.MatchString(e.Name()) {
				t.Errorf("runs/%s: want a directory named by a timestamp", e.Name())
			}
		}
		dir := filepath.Join("runs", entries[i-1].Name())
		if !strings.Contains(r.stdout, "run directory: "+dir) {
			t.Errorf("output does not name the run directory %s:\n%s", dir, r.stdout)
		}
		sum := checkRunDir(t, filepath.Join(wd, dir), 5, 1024)
		if sum["params"] != float64(28) {
			t.Errorf("seed example: params %v, want 28", sum["params"])
		}
	}
}

func TestThreadsDoNotChangeTheModel(t *testing.T) {
	wd := t.TempDir()
	train := func(out, seed, threads string) []byte {
		mustRun(t, wd, "train", "--epochs", "20", "--batch", "512", "--seed", seed, "--threads", threads, "--out", out)
		data, err := os.ReadFile(filepath.Join(wd, out, run.ModelFile))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	a := train("a", "7", "1")
	b := train("b", "7", "2")
	if !bytes.Equal(a, b) {
		t.Errorf("--seed 7: model.safetensors differs between --threads 1 and --threads 2")
	}
	ha, _ := os.ReadFile(filepath.Join(wd, "a", run.HistoryFile))
	hb, _ := os.ReadFile(filepath.Join(wd, "b", run.HistoryFile))
	if !bytes.Equal(ha, hb) {
		t.Errorf("--seed 7: history.csv differs between --threads 1 and --threads 2")
	}
	if c := train("c", "8", "2"); bytes.Equal(a, c) {
		t.Errorf("--seed 7 and --seed 8 give the same model: the seed is ignored")
	}
}

func TestHelp(t *testing.T) {
	wd := t.TempDir()
	// flagsOf lists the flags a command defines (from its own usage text, so
	// that go.mod need not name pflag directly).
	flagRE := regexp.MustCompile(`(?m)^\s+(?:-\w, )?(--[\w-]+)`)
	flagsOf := func(c *cobra.Command) []string {
		var names []string
		for _, m := range flagRE.FindAllStringSubmatch(c.Flags().FlagUsages(), -1) {
			names = append(names, m[1])
		}
		return names
	}
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, []string{"train", "sample", "--help"}},
		{[]string{"train", "--help"}, append(flagsOf(trainCmd()), "--help")},
		{[]string{"sample", "--help"}, append(flagsOf(sampleCmd()), "--help")},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			r := mustRun(t, wd, c.args...)
			for _, w := range c.want {
				if !regexp.MustCompile(regexp.QuoteMeta(w) + `\b`).MatchString(r.stdout) {
					t.Errorf("help does not list %s:\n%s", w, r.stdout)
				}
			}
		})
	}
	if len(flagsOf(trainCmd())) < 9 || len(flagsOf(sampleCmd())) < 6 {
		t.Errorf("train has %v, sample %v: flags went missing", flagsOf(trainCmd()), flagsOf(sampleCmd()))
	}
	if entries, _ := os.ReadDir(wd); len(entries) != 0 {
		t.Errorf("help wrote %d entries to the working directory", len(entries))
	}
}
