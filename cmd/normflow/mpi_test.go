//go:build mpi

package main

// Multi-process runs under mpirun (build tag mpi; .ci/run): the normflow
// binary built with -tags mpi, run on 2 ranks, against the same binary run
// as one process.

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/run"
)

// mpiBinary builds normflow with -tags mpi into dir.
func mpiBinary(t *testing.T, dir string) string {
	t.Helper()
	if os.Getenv("OMPI_COMM_WORLD_SIZE") != "" {
		t.Skip("this test starts mpirun itself; run it without mpirun")
	}
	if _, err := exec.LookPath("mpirun"); err != nil {
		t.Fatalf("mpirun not found (Debian: apt-get install openmpi-bin libopenmpi-dev): %v", err)
	}
	exe := filepath.Join(dir, "normflow-mpi")
	if out, err := exec.Command("go", "build", "-tags", "mpi", "-o", exe, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build -tags mpi: %v\n%s", err, out)
	}
	return exe
}

// runMPI runs the binary on np ranks (np = 0: without mpirun) in dir and
// returns its stdout; it fails the test on a non-zero exit.
func runMPI(t *testing.T, dir, exe string, np int, args ...string) string {
	t.Helper()
	var cmd *exec.Cmd
	if np == 0 {
		cmd = exec.Command(exe, args...)
	} else {
		mpi := []string{"--allow-run-as-root", "--oversubscribe", "-np", string(rune('0' + np)), exe}
		cmd = exec.Command("mpirun", append(mpi, args...)...)
	}
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(cmd.Args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// Training on 2 ranks (each one goroutine) for 40 steps of batch 64 gives the
// weights of the same run on one process within 1e-12 relative, weight by
// weight; rank 0 alone prints. Sampling on 2 ranks writes the ensemble of one
// process, byte for byte: raw flow samples, a new independence-Metropolis
// chain, and that chain continued (--continue), as .npz files and as an
// ensemble directory. The same for φ⁴ (real fields "phi") and for a lattice
// of SU(3) matrices and SU(2) links of 2-d gauge theory (complex128 "U").
func TestMPIMatchesSingleProcess(t *testing.T) {
	for _, example := range []string{"phi4_2d_affine.toml", "su3_matrix.toml", "su2_2d.toml"} {
		t.Run(example, func(t *testing.T) { mpiMatchesSingleProcess(t, example) })
	}
}

func mpiMatchesSingleProcess(t *testing.T, example string) {
	dir := t.TempDir()
	exe := mpiBinary(t, dir)
	cfg, err := filepath.Abs(filepath.Join("../../examples", example))
	if err != nil {
		t.Fatal(err)
	}
	train := []string{"train", "--config", cfg, "--epochs", "40", "--batch", "64", "--threads", "1", "--print-stride", "10"}
	one := runMPI(t, dir, exe, 0, append(train, "--out", "one")...)
	two := runMPI(t, dir, exe, 2, append(train, "--out", "two")...)
	if n1, n2 := strings.Count(one, "Epoch:"), strings.Count(two, "Epoch:"); n1 != 5 || n2 != n1 {
		t.Errorf("progress lines: %d on one process, %d on 2 ranks (want 5: rank 0 alone prints)\n%s", n1, n2, two)
	}
	_, m1, err := run.Load(filepath.Join(dir, "one"))
	if err != nil {
		t.Fatal(err)
	}
	_, m2, err := run.Load(filepath.Join(dir, "two"))
	if err != nil {
		t.Fatal(err)
	}
	w1, w2 := make([]float64, m1.Params.Size()), make([]float64, m2.Params.Size())
	m1.Params.Flatten(w1)
	m2.Params.Flatten(w2)
	worst := 0.0
	for i, a := range w1 {
		d := 0.0
		if w2[i] != a {
			d = math.Abs(w2[i]-a) / max(math.Abs(a), math.Abs(w2[i]))
		}
		if !(d <= 1e-12) {
			t.Fatalf("weight %d: %v on 2 ranks, %v on one process (relative difference %.2g > 1e-12)", i, w2[i], a, d)
		}
		worst = max(worst, d)
	}
	t.Logf("2 ranks vs one process, %d weights after 40 steps: largest relative difference %.2g", len(w1), worst)

	// Sampling: the same model in two run directories, one sampled by one
	// process, the other by 2 ranks (each saves its chain).
	copyDir(t, filepath.Join(dir, "one"), filepath.Join(dir, "one-mpi"))
	for _, c := range []struct {
		name string
		args []string
	}{
		{"raw", []string{"--n", "3001", "--seed", "7"}},
		{"chain", []string{"--n", "3001", "--seed", "7", "--mcmc"}},
		{"continued", []string{"--n", "2000", "--continue"}},
	} {
		a := runMPI(t, dir, exe, 0, append([]string{"sample", "--run", "one", "--json", "--out", c.name + "-1.npz"}, c.args...)...)
		b := runMPI(t, dir, exe, 2, append([]string{"sample", "--run", "one-mpi", "--json", "--out", c.name + "-2.npz"}, c.args...)...)
		if a != b {
			t.Errorf("%s: report on 2 ranks %s, on one process %s", c.name, b, a)
		}
		f1, err := os.ReadFile(filepath.Join(dir, c.name+"-1.npz"))
		if err != nil {
			t.Fatal(err)
		}
		f2, err := os.ReadFile(filepath.Join(dir, c.name+"-2.npz"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(f1, f2) {
			t.Errorf("%s: the ensemble written on 2 ranks differs from one process's", c.name)
		}
	}
	// An ensemble directory, written chunk by chunk and continued: rank 0
	// writes the shards and the manifest of one process, byte for byte.
	for _, args := range [][]string{{"--mcmc", "--n", "3001", "--seed", "7", "--chunk", "700"}, {"--continue", "--n", "5000"}} {
		runMPI(t, dir, exe, 0, append([]string{"sample", "--run", "one", "--quiet", "--out", "shards-1"}, args...)...)
		runMPI(t, dir, exe, 2, append([]string{"sample", "--run", "one-mpi", "--quiet", "--out", "shards-2"}, args...)...)
		a, _ := os.ReadDir(filepath.Join(dir, "shards-1"))
		b, _ := os.ReadDir(filepath.Join(dir, "shards-2"))
		if len(a) != len(b) || len(a) < 2 {
			t.Fatalf("%v: %d files in the directory of one process, %d on 2 ranks", args, len(a), len(b))
		}
		for _, e := range a {
			f1, _ := os.ReadFile(filepath.Join(dir, "shards-1", e.Name()))
			f2, err := os.ReadFile(filepath.Join(dir, "shards-2", e.Name()))
			if err != nil || !bytes.Equal(f1, f2) {
				t.Errorf("%v: %s written on 2 ranks differs from one process's (%v)", args, e.Name(), err)
			}
		}
	}
}
