package main

// Ensembles written and read a chunk at a time: ensemble directories
// (shards and a manifest) against single .npz files, numpy reading the
// shards, refusals made before any work (no room, paths, continuations
// that do not fit), memory that does not grow with N, chains killed at
// random and continued, and a disk that fills up while sampling or
// training.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/normflow/normflow-go/ensemble"
	"github.com/normflow/normflow-go/internal/fulldisk"
	"github.com/normflow/normflow-go/internal/numpytest"
	"github.com/normflow/normflow-go/run"
	"github.com/normflow/normflow-go/store"
)

// tiny is lattice4x4 on a 2×2 lattice: cheap configurations for long
// chains.
var tiny = strings.Replace(lattice4x4, "shape = [4, 4]", "shape = [2, 2]", 1)

// theory8 is an 8×8 φ⁴ theory for hmc.
const theory8 = `[lattice]
shape = [8, 8]
[action]
convention = "albergo2019"
m_sq = -4.0
lambd = 8.0
`

// ensembleArrays reads every array of an ensemble, a .npz or the shards
// its manifest counts (concatenated), as float64s.
func ensembleArrays(t *testing.T, path string) map[string][]float64 {
	t.Helper()
	f, err := ensemble.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.Float64s()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sameEnsemble fails unless two ensembles hold the same arrays bit for bit.
func sameEnsemble(t *testing.T, what string, a, b map[string][]float64) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: arrays %v and %v", what, keys(a), keys(b))
	}
	for name, x := range a {
		y := b[name]
		if !slices.EqualFunc(x, y, func(p, q float64) bool { return math.Float64bits(p) == math.Float64bits(q) }) {
			t.Fatalf("%s: array %s differs (%d and %d values)", what, name, len(x), len(y))
		}
	}
}

// An ensemble directory holds the ensemble of one .npz: a chain, raw flow
// samples (continued from the directory), HMC; measure reports the same
// JSON on both, bit for bit (the same per-configuration series, summed in
// the same order); plot reads a directory; numpy reads the shards.
func TestEnsembleDirectory(t *testing.T) {
	wd := t.TempDir()
	cfg := writeConfig(t, lattice4x4)
	mustRun(t, wd, "train", "--config", cfg, "--out", "r")
	copyDir(t, filepath.Join(wd, "r"), filepath.Join(wd, "r2")) // each chain saves its own state
	measure := func(path string, extra ...string) string {
		return mustRun(t, wd, append([]string{"measure", path, "--json"}, extra...)...).stdout
	}
	for _, c := range []struct {
		name string
		args []string // sample flags besides --run and --out
	}{
		{"chain", []string{"--mcmc", "--n", "3000", "--seed", "4"}},
		{"raw", []string{"--n", "2000", "--seed", "3"}},
	} {
		a := mustRun(t, wd, append([]string{"sample", "--run", "r", "--json", "--chunk", "700", "--out", c.name}, c.args...)...)
		b := mustRun(t, wd, append([]string{"sample", "--run", "r2", "--json", "--out", c.name + ".npz"}, c.args...)...)
		if a.stdout != b.stdout {
			t.Errorf("%s: sample reports differ:\n%s%s", c.name, a.stdout, b.stdout)
		}
		sameEnsemble(t, c.name, ensembleArrays(t, filepath.Join(wd, c.name)), ensembleArrays(t, filepath.Join(wd, c.name+".npz")))
		if x, y := measure(c.name), measure(c.name+".npz"); x != y {
			t.Errorf("%s: measure of the directory\n%s of the .npz\n%s", c.name, x, y)
		}
	}
	if x, y := measure("raw", "--no-reweight"), measure("raw.npz", "--no-reweight"); x != y || !strings.Contains(measure("raw"), `"reweighted":true`) {
		t.Errorf("raw flow samples: --no-reweight reports differ, or not reweighted")
	}
	// Raw flow samples continued from their directory: the samples drawn
	// in one go.
	mustRun(t, wd, "sample", "--run", "r", "--n", "1000", "--seed", "9", "--chunk", "300", "--out", "raw2")
	r := mustRun(t, wd, "sample", "--run", "r", "--continue", "--n", "3000", "--out", "raw2")
	if !strings.Contains(r.stdout, "2000 configurations (raw flow samples") || !strings.Contains(r.stdout, "raw2: 3000 configurations in 11 shards") {
		t.Errorf("continued raw samples:\n%s", r.stdout)
	}
	mustRun(t, wd, "sample", "--run", "r", "--n", "3000", "--seed", "9", "--out", "raw9.npz")
	sameEnsemble(t, "continued raw samples", ensembleArrays(t, filepath.Join(wd, "raw2")), ensembleArrays(t, filepath.Join(wd, "raw9.npz")))

	os.WriteFile(filepath.Join(wd, "t8.toml"), []byte(theory8), 0o644)
	mustRun(t, wd, "hmc", "--config", "t8.toml", "--n", "1000", "--therm", "50", "--chunk", "300", "--out", "hd", "--quiet")
	mustRun(t, wd, "hmc", "--config", "t8.toml", "--n", "1000", "--therm", "50", "--out", "h.npz", "--quiet")
	sameEnsemble(t, "hmc", ensembleArrays(t, filepath.Join(wd, "hd")), ensembleArrays(t, filepath.Join(wd, "h.npz")))
	if x, y := measure("hd"), measure("h.npz"); x != y {
		t.Errorf("hmc: measure of the directory\n%s of the .npz\n%s", x, y)
	}
	if out := mustRun(t, wd, "plot", "r", "--ensemble", "chain").stdout; !strings.Contains(out, "autocorr_M2.png") {
		t.Errorf("plot --ensemble DIR:\n%s", out)
	}

	// numpy: the documented snippets, the glob over a complete directory
	// and the manifest's count, give the ensemble.
	python := numpytest.Python(t)
	script := `
import glob, json, sys
import numpy as np
d, ref = sys.argv[1], np.load(sys.argv[2])
phi = np.concatenate([np.load(f)["phi"] for f in sorted(glob.glob(d + "/part-*.npz"))])
m = json.load(open(d + "/ensemble.json"))
parts = [np.load(f"{d}/part-{i:06d}.npz") for i in range(m["shards"])]
assert phi.shape == ref["phi"].shape == (m["n"], *m["lattice"]), (phi.shape, m)
assert np.array_equal(phi, ref["phi"])
for name in m["arrays"]:
    assert np.array_equal(np.concatenate([p[name] for p in parts]), ref[name]), name
print("numpy reads", m["shards"], "shards of", d, "with", m["arrays"])
`
	p := filepath.Join(t.TempDir(), "check.py")
	os.WriteFile(p, []byte(script), 0o644)
	for _, name := range []string{"chain", "raw"} {
		out, err := exec.Command(python, p, filepath.Join(wd, name), filepath.Join(wd, name+".npz")).CombinedOutput()
		if err != nil {
			t.Fatalf("numpy on %s: %v\n%s", name, err, out)
		}
		t.Log(strings.TrimSpace(string(out)))
	}
}

// Refused before any work, exit 2, one line, nothing written: an ensemble
// larger than the free space (or, without --out, than the memory), paths
// of the wrong kind, and continuations of a directory that do not fit it.
func TestEnsembleDirectoryRefusals(t *testing.T) {
	wd := t.TempDir()
	mustRun(t, wd, "train", "--config", writeConfig(t, lattice4x4), "--out", "r")
	os.WriteFile(filepath.Join(wd, "t8.toml"), []byte(theory8), 0o644)
	mustRun(t, wd, "sample", "--run", "r", "--mcmc", "--n", "1000", "--chunk", "300", "--seed", "4", "--out", "chain")
	mustRun(t, wd, "sample", "--run", "r", "--n", "500", "--seed", "3", "--out", "raw")
	mustRun(t, wd, "hmc", "--config", "t8.toml", "--n", "100", "--therm", "10", "--out", "hd")
	os.Mkdir(filepath.Join(wd, "notes"), 0o755)
	os.WriteFile(filepath.Join(wd, "notes", "a.txt"), []byte("x"), 0o644)
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"sample 10^12 into a directory", []string{"sample", "--run", "r", "--n", "1000000000000", "--out", "big"},
			[]string{"1000000000000 configurations", "bytes) in " + wd, "free there"}},
		{"sample 10^12 into a file", []string{"sample", "--run", "r", "--n", "1000000000000", "--out", "big.npz"},
			[]string{"bytes) in " + wd, "free there"}},
		{"hmc 10^12 at L = 8", []string{"hmc", "--config", "t8.toml", "--n", "1000000000000", "--out", "big"},
			[]string{"1000000000000 configurations", "bytes) in " + wd, "free there"}},
		{"out with a suffix", []string{"sample", "--run", "r", "--out", "e.h5"}, []string{"--out e.h5", ".npz", "without a suffix"}},
		{"chunk negative", []string{"sample", "--run", "r", "--chunk", "-1"}, []string{"--chunk = -1"}},
		{"chunk too small", []string{"sample", "--run", "r", "--n", "20001", "--chunk", "2", "--out", "many"}, []string{"--out many", "10001 shards of 2", "more than 10000", "larger --chunk"}},
		{"hmc chunk negative", []string{"hmc", "--config", "t8.toml", "--chunk", "-1"}, []string{"--chunk = -1"}},
		{"out not empty", []string{"sample", "--run", "r", "--out", "notes"}, []string{"--out notes", "not empty (a.txt)"}},
		{"out parent missing", []string{"sample", "--run", "r", "--out", "none/e"}, []string{"--out none/e", "does not exist"}},
		{"out holds an ensemble", []string{"sample", "--run", "r", "--mcmc", "--out", "chain"},
			[]string{"--out chain holds 1000 configurations (steps 1–1000 of the independence chain of seed 4)", "--continue extends it"}},
		{"hmc out holds an ensemble", []string{"hmc", "--config", "t8.toml", "--out", "hd"}, []string{"--out hd holds 100 configurations", "hmc does not continue"}},
		{"continue to fewer", []string{"sample", "--run", "r", "--continue", "--n", "800", "--out", "chain"},
			[]string{"--n 800 with --continue", "holds 1000 configurations", "give --n > 1000"}},
		{"continue complete", []string{"sample", "--run", "r", "--continue", "--out", "chain"}, []string{"--n 1000 with --continue"}},
		{"continue hmc", []string{"sample", "--run", "r", "--continue", "--out", "hd"}, []string{"--out hd", "HMC trajectories"}},
		{"continue raw with mcmc", []string{"sample", "--run", "r", "--continue", "--mcmc", "--n", "900", "--out", "raw"}, []string{"raw flow samples", "without --mcmc"}},
		{"continue raw other seed", []string{"sample", "--run", "r", "--continue", "--seed", "5", "--n", "900", "--out", "raw"},
			[]string{"--seed 5 with --continue", "raw flow samples 1–500 of seed 3"}},
	}
	if _, err := os.Stat("/proc/meminfo"); err == nil {
		cases = append(cases, struct {
			name string
			args []string
			want []string
		}{"sample 10^12 without output", []string{"sample", "--run", "r", "--n", "1000000000000"}, []string{"1000000000000 configurations", "memory", "available"}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { t.Log(strings.TrimSpace(checkBadInput(t, wd, c.args, c.want).stderr)) })
	}

	// The chain state replaced by another chain, or moved on without the
	// directory: the directory cannot be continued.
	mustRun(t, wd, "sample", "--run", "r", "--mcmc", "--n", "100", "--seed", "5")
	checkBadInput(t, wd, []string{"sample", "--run", "r", "--continue", "--n", "2000", "--out", "chain"}, []string{"--out chain holds", "not of seed 5"})
	mustRun(t, wd, "sample", "--run", "r", "--mcmc", "--n", "1000", "--chunk", "300", "--seed", "4", "--out", "chain2")
	mustRun(t, wd, "sample", "--run", "r", "--continue", "--n", "500")
	r := checkBadInput(t, wd, []string{"sample", "--run", "r", "--continue", "--n", "2000", "--out", "chain2"},
		[]string{"--out chain2 holds 1000", "at step 1500", "the 500 steps between are not in a complete shard", "new --out"})
	t.Log(strings.TrimSpace(r.stderr))
}

// rssEnv, in the environment of the test binary, makes it run the command
// it holds (JSON: the directory, the executable and its arguments) as a
// child, print the child's max RSS in bytes and exit. Linux keeps a
// process's max RSS across execve, so a child started by the test process
// itself would report at least the test's own RSS; started from this small
// process, it reports its own (and at most this process's few MiB).
const rssEnv = "NORMFLOW_TEST_MAXRSS_OF"

func init() {
	spec := os.Getenv(rssEnv)
	if spec == "" {
		return
	}
	var argv []string
	if err := json.Unmarshal([]byte(spec), &argv); err != nil || len(argv) < 2 {
		fmt.Fprintln(os.Stderr, rssEnv, spec, err)
		os.Exit(1)
	}
	cmd := exec.Command(argv[1], argv[2:]...)
	cmd.Dir = argv[0]
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n%s", strings.Join(argv[1:], " "), err, out)
		os.Exit(1)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		os.Exit(3)
	}
	fmt.Println(ru.Maxrss << 10) // kilobytes on Linux
	os.Exit(0)
}

// maxRSS runs the binary in dir and returns its peak resident memory in
// bytes (rssEnv).
func maxRSS(t *testing.T, dir string, args ...string) int64 {
	t.Helper()
	spec, _ := json.Marshal(append([]string{dir, bin}, args...))
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), rssEnv+"="+string(spec))
	out, err := cmd.Output()
	var rss int64
	if _, serr := fmt.Sscan(string(out), &rss); err != nil || serr != nil {
		t.Fatalf("normflow %s: %v %v\n%s", strings.Join(args, " "), err, serr, out)
	}
	return rss
}

// dirBytes is the size of the files in dir.
func dirBytes(t *testing.T, dir string) int64 {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		n += fi.Size()
	}
	return n
}

// sample and hmc into an ensemble directory hold one chunk of
// configurations at a time: on a 32×32 lattice (8 KiB a configuration)
// 25 000 configurations make 196 MiB, fifty times a chunk of 500, and the
// peak memory of the process (its max RSS) stays a fraction of that.
func TestMemoryDoesNotGrowWithN(t *testing.T) {
	if testing.Short() {
		t.Skip("writes two ensembles of 196 MiB (about 20 s); run without -short")
	}
	if runtime.GOOS != "linux" {
		t.Skip("max RSS in kilobytes is Linux's")
	}
	wd := t.TempDir()
	cfg := `seed = 1
[lattice]
shape = [32, 32]
[action]
convention = "albergo2019"
m_sq = -4.0
lambd = 8.0
[[flow.layers]]
kind = "pade"
[train]
epochs = 2
batch = 16
`
	os.WriteFile(filepath.Join(wd, "c.toml"), []byte(cfg), 0o644)
	mustRun(t, wd, "train", "--config", "c.toml", "--out", "r")
	const n, chunk = 25000, 500
	for _, c := range []struct {
		name string
		args []string
	}{
		{"sample --mcmc", []string{"sample", "--run", "r", "--mcmc", "--seed", "1", "--out", "chain"}},
		{"hmc", []string{"hmc", "--config", "c.toml", "--therm", "10", "--out", "hmc"}},
	} {
		args := append(c.args, "--n", fmt.Sprint(n), "--chunk", fmt.Sprint(chunk), "--quiet")
		rss := maxRSS(t, wd, args...)
		size := dirBytes(t, filepath.Join(wd, c.args[len(c.args)-1]))
		t.Logf("%s --n %d --chunk %d on 32×32: ensemble %.1f MiB, one chunk %.1f MiB, max RSS %.1f MiB",
			c.name, n, chunk, float64(size)/(1<<20), float64(chunk*8*1024)/(1<<20), float64(rss)/(1<<20))
		if size < 10*chunk*8*1024 || !(rss < size/3) {
			t.Errorf("%s: max RSS %d bytes for an ensemble of %d bytes: want less than a third", c.name, rss, size)
		}
	}
}

// checkShards checks what a stopped run left in an ensemble directory: the
// manifest counts complete shards only (each reads, with the lengths it
// records), and at most the one shard after them is not counted. It
// returns the number of configurations counted (-1: no manifest) and
// whether an uncounted shard is there.
func checkShards(t *testing.T, dir string) (int, bool) {
	t.Helper()
	m, err := ensemble.ReadManifest(dir)
	if errors.Is(err, os.ErrNotExist) {
		return -1, false
	}
	if err != nil {
		t.Fatalf("manifest after a kill: %v", err)
	}
	for i, n := range m.Counts {
		arrays, err := store.ReadNPZ(filepath.Join(dir, ensemble.ShardName(i)))
		if err != nil {
			t.Fatalf("shard %d counted by the manifest: %v", i, err)
		}
		for _, name := range m.Arrays {
			if a := arrays[name]; len(a.Shape) == 0 || a.Shape[0] != n {
				t.Fatalf("shard %d: %s has shape %v, the manifest counts %d", i, name, a.Shape, n)
			}
		}
	}
	extra := false
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		name := e.Name()
		if name == ensemble.ManifestFile || strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-") {
			continue
		}
		var i int
		if _, err := fmt.Sscanf(name, "part-%06d.npz", &i); err != nil || i > m.Shards {
			t.Fatalf("after a kill %s holds %s (manifest: %d shards)", dir, name, m.Shards)
		}
		extra = extra || i == m.Shards
	}
	return m.N, extra
}

// A long chain into an ensemble directory, killed with SIGKILL at random
// moments and continued with --continue until done, is the chain run
// without interruption: phi, logq, logp and accepted bit for bit, and the
// saved chain state byte for byte; after every kill the manifest counts
// only complete shards.
func TestKilledChainContinues(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a long chain 24 times (about 15 s); run without -short")
	}
	wd := t.TempDir()
	mustRun(t, wd, "train", "--config", writeConfig(t, tiny), "--out", "r")
	copyDir(t, filepath.Join(wd, "r"), filepath.Join(wd, "r2"))
	const n, chunk = "800000", "5000"
	mustRun(t, wd, "sample", "--run", "r2", "--mcmc", "--n", n, "--chunk", chunk, "--seed", "4", "--out", "whole", "--quiet")

	rng := rand.New(rand.NewPCG(13, 14))
	kills, finished, starts, uncounted, lagging := 0, false, 0, 0, 0
	var counted []int
	for !finished {
		args := []string{"sample", "--run", "r", "--continue", "--n", n, "--out", "killed", "--quiet"}
		switch held, _ := checkShards(t, filepath.Join(wd, "killed")); {
		case held < 0: // nothing to continue yet
			args = []string{"sample", "--run", "r", "--mcmc", "--n", n, "--chunk", chunk, "--seed", "4", "--out", "killed", "--quiet"}
		case fmt.Sprint(held) == n: // killed after its last shard
			finished = true
			continue
		}
		cmd := exec.Command(bin, args...)
		cmd.Dir = wd
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		starts++
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		if kills < 24 {
			select {
			case err = <-done:
			case <-time.After(time.Duration(rng.IntN(300)) * time.Millisecond):
				cmd.Process.Signal(syscall.SIGKILL)
				err = <-done
			}
		} else {
			err = <-done
		}
		var exit *exec.ExitError
		switch {
		case err == nil:
			finished = true
		case errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL:
			kills++
		default:
			t.Fatalf("normflow %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		held, extra := checkShards(t, filepath.Join(wd, "killed"))
		counted = append(counted, held)
		if extra {
			uncounted++
		}
		if _, st, err := ensemble.LoadChain(filepath.Join(wd, "r")); err == nil && held >= 0 && st.Steps != uint64(held) {
			lagging++ // killed between the chain state and the manifest
		}
	}
	t.Logf("%d starts, %d killed with SIGKILL; configurations counted after each stop: %v", starts, kills, counted)
	t.Logf("stops with a shard not yet counted: %d; with the manifest one shard behind the chain state: %d", uncounted, lagging)
	if kills < 20 {
		t.Errorf("only %d kills", kills)
	}
	sameEnsemble(t, "killed and continued", ensembleArrays(t, filepath.Join(wd, "killed")), ensembleArrays(t, filepath.Join(wd, "whole")))
	a, _ := os.ReadFile(filepath.Join(wd, "r", ensemble.ChainFile))
	b, _ := os.ReadFile(filepath.Join(wd, "r2", ensemble.ChainFile))
	if !bytes.Equal(a, b) {
		t.Errorf("the chain state after the killed runs differs from the uninterrupted run's")
	}
	if x, y := mustRun(t, wd, "measure", "killed", "--json").stdout, mustRun(t, wd, "measure", "whole", "--json").stdout; x != y {
		t.Errorf("measure: killed and continued\n%s uninterrupted\n%s", x, y)
	}
}

// oneLineENOSPC checks a failed run's stderr: one line naming a file in
// dir and the kernel's "no space left on device".
func oneLineENOSPC(t *testing.T, r result, dir string) {
	t.Helper()
	line := strings.TrimSpace(r.stderr)
	if r.code != 1 || strings.Count(line, "\n") != 0 || !strings.Contains(line, "no space left on device") || !strings.Contains(line, dir+"/") {
		t.Fatalf("exit %d, stderr %q: want status 1 and one line naming a file in %s and \"no space left on device\"", r.code, r.stderr, dir)
	}
	t.Log(line)
}

// The disk fills up (a small tmpfs, filled by another process) while a
// chain writes its ensemble directory, or before a training job's next
// checkpoint: the write fails with one line naming the file and "no space
// left on device", the shards counted so far and the previous checkpoint
// stay loadable, nothing temporary is left, and with room again the runs
// continue.
func TestDiskFull(t *testing.T) {
	tmpfs := fulldisk.Dir(t, 4<<20)
	wd := t.TempDir()
	mustRun(t, wd, "train", "--config", writeConfig(t, tiny), "--out", "r")
	ens := filepath.Join(tmpfs, "ens")
	// A blocked chain (one configuration per flow evaluation) is slow
	// enough to fill the disk behind it.
	cmd := exec.Command(bin, "sample", "--run", "r", "--block", "1", "--n", "60000", "--chunk", "1000", "--seed", "2", "--out", ens, "--quiet")
	cmd.Dir = wd
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(ens, ensemble.ShardName(1))); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no second shard after 20 s: %s", stderr.String())
		}
	}
	fulldisk.Fill(t, tmpfs, 0)
	err := cmd.Wait()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	}
	oneLineENOSPC(t, result{stderr: stderr.String(), code: code}, ens)
	held, _ := checkShards(t, ens)
	if held < 1000 {
		t.Fatalf("the manifest counts %d configurations", held)
	}
	if m := mustRun(t, wd, "measure", ens, "--json").stdout; !strings.Contains(m, fmt.Sprintf(`"n":%d`, held)) {
		t.Errorf("measure after the failure:\n%s", m)
	}
	for _, e := range must(os.ReadDir(ens)) {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left", e.Name())
		}
	}
	os.Remove(filepath.Join(tmpfs, "filler"))
	mustRun(t, wd, "sample", "--run", "r", "--continue", "--out", ens, "--quiet")
	copyDir(t, filepath.Join(wd, "r"), filepath.Join(wd, "r2"))
	mustRun(t, wd, "sample", "--run", "r2", "--block", "1", "--n", "60000", "--seed", "2", "--out", "whole.npz", "--quiet")
	sameEnsemble(t, "after the disk was full", ensembleArrays(t, ens), ensembleArrays(t, filepath.Join(wd, "whole.npz")))
	t.Logf("the chain stopped at %d of 60000 configurations on the full disk, and was continued", held)

	// Training: the next checkpoint does not fit.
	os.RemoveAll(ens)
	rd := filepath.Join(tmpfs, "run")
	mustRun(t, wd, "train", "--epochs", "200", "--batch", "64", "--save-every", "100", "--out", rd)
	before, err := run.LoadCheckpoint(filepath.Join(rd, run.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	fulldisk.Fill(t, tmpfs, 4<<10)
	r := normflow(t, wd, "train", "--resume", rd, "--epochs", "400")
	oneLineENOSPC(t, r, rd)
	after, err := run.LoadCheckpoint(filepath.Join(rd, run.CheckpointFile))
	if err != nil {
		t.Fatalf("the previous checkpoint no longer loads: %v", err)
	}
	if after.State.Epoch != before.State.Epoch || after.State.Epoch != 200 {
		t.Errorf("checkpoint of epoch %d, want the previous one (200)", after.State.Epoch)
	}
	for _, e := range must(os.ReadDir(rd)) {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left", e.Name())
		}
	}
	os.Remove(filepath.Join(tmpfs, "filler"))
	mustRun(t, wd, "train", "--resume", rd, "--epochs", "400")
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
