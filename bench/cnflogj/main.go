// Command cnflogj measures how exact the density of a trained continuous-flow
// model is as a function of the number of RK4 steps it is sampled with.
//
// The CNF layer (flow.CNF, docs/conventions.md §5.19) integrates φ and
// logJ = ∫ div v dt with the same RK4 stages, so the reported logJ is that
// of the continuous flow to O(h⁴), not exactly log|det ∂φ/∂z| of the
// discrete map that produces the samples. For each configuration,
//
//	δ = logJ_reported − log|det ∂φ/∂z| = log q_true(φ) − log q_used(φ),
//
// with the determinant from model.CheckLogJ (central finite-difference
// Jacobian of the whole flow, LU). An independence-Metropolis chain built on
// log q_used samples p·e^δ instead of p: a constant δ cancels, the bias of
// ⟨O⟩ is ≈ Cov(O, δ), below the statistical error when std(δ)·√N_eff ≪ 1.
//
// Usage (from the repository root; build outside the tree):
//
//	go build -o /tmp/logj/cnflogj ./bench/cnflogj
//	GOMAXPROCS=1 /tmp/logj/cnflogj -run RUNDIR -steps 8,12,16,20,40 -n 12 -seed 1 [-h 1e-5] [-fdcheck 20]
//
// It loads the run directory (run.Load; nothing is written), draws n latent
// configurations z_i from the prior stream (seed, model.DomainPosterior, i),
// i.e. the z of `normflow sample --seed SEED`, and for each step count sets
// Steps of every CNF layer of the flow and prints one line:
//
//	steps  mean δ  std δ  max|δ|  mean logJ  seconds
//
// std δ is the sample standard deviation over the n configurations; the
// same z are used for every step count. Only the spread of δ matters for a
// chain: use std δ with the chain's N_eff. max|δ| against the FD error
// (below) says whether δ is resolved at all. The cost is 2·V flow
// evaluations per configuration and step count (V = field size), linear in
// the step count: run -n 1 first to time it.
//
// With -fdcheck S it also computes log|det| of configuration 0 at S steps
// with the finite-difference steps h and h/2 and prints both and their
// difference: the FD error of log|det| at step h (O(h²) truncation plus
// O(ε/h) rounding), to be compared with std δ.
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/normflow/normflow-go/flow"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/rng"
	"github.com/normflow/normflow-go/run"
)

func main() {
	dir := flag.String("run", "", "run directory (from `normflow train`)")
	stepsFlag := flag.String("steps", "8,12,16,20,40", "comma-separated RK4 step counts to sample with")
	n := flag.Int("n", 12, "number of configurations")
	seed := flag.Uint64("seed", 1, "seed of the latent configurations (posterior stream)")
	h := flag.Float64("h", 1e-5, "finite-difference step in the latent variables")
	fdcheck := flag.Int("fdcheck", 0, "also compare FD steps h and h/2 on configuration 0 at this step count (0: no)")
	threads := flag.Int("threads", 1, "goroutines for the finite-difference batches (0: GOMAXPROCS)")
	flag.Parse()
	if *dir == "" || *n < 1 {
		flag.Usage()
		os.Exit(2)
	}
	var steps []int
	for s := range strings.SplitSeq(*stepsFlag, ",") {
		k, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || k < 1 {
			fail(fmt.Errorf("-steps: %q is not a positive integer", s))
		}
		steps = append(steps, k)
	}
	_, m, err := run.Load(*dir)
	if err != nil {
		fail(err)
	}
	m.Threads = *threads
	cnfs := findCNF(m.Flow)
	if len(cnfs) == 0 {
		fail(fmt.Errorf("%s: the flow has no CNF layer", *dir))
	}
	size := m.Size()
	z := make([]float64, *n*size)
	for i := range *n {
		s := rng.New(*seed, model.DomainPosterior, uint64(i))
		m.Prior.Sample(&s, z[i*size:(i+1)*size])
	}
	setSteps := func(k int) {
		for _, c := range cnfs {
			c.Opts.Steps = k
		}
	}
	fmt.Printf("# %s: %d CNF layer(s), field size %d, %d configurations (seed %d), FD step h = %g\n",
		*dir, len(cnfs), size, *n, *seed, *h)
	fmt.Printf("# δ = logJ_reported − log|det ∂φ/∂z| (FD) = log q_true − log q_used\n")
	fmt.Printf("%6s %12s %12s %12s %14s %9s\n", "steps", "mean δ", "std δ", "max|δ|", "mean logJ", "seconds")
	t0, c0 := time.Now(), cpuSeconds()
	for _, k := range steps {
		setSteps(k)
		t := time.Now()
		res := m.CheckLogJ(z, *h)
		var sum, sum2, maxAbs, lj float64
		for _, r := range res {
			sum += r.Delta
			maxAbs = max(maxAbs, math.Abs(r.Delta))
			lj += r.LogJ
			if r.Sign != 1 {
				fmt.Printf("# steps %d: a Jacobian with det sign %g\n", k, r.Sign)
			}
		}
		mean := sum / float64(len(res))
		for _, r := range res {
			sum2 += (r.Delta - mean) * (r.Delta - mean)
		}
		std := math.NaN()
		if len(res) > 1 {
			std = math.Sqrt(sum2 / float64(len(res)-1))
		}
		fmt.Printf("%6d %12.4g %12.4g %12.4g %14.8g %9.1f\n", k, mean, std, maxAbs, lj/float64(len(res)), time.Since(t).Seconds())
	}
	if *fdcheck > 0 {
		setSteps(*fdcheck)
		t := time.Now()
		a := m.CheckLogJ(z[:size], *h)[0]
		b := m.CheckLogJ(z[:size], *h/2)[0]
		fmt.Printf("# FD check, configuration 0 at %d steps: log|det| %.12g (h = %g), %.12g (h = %g), difference %.3g; logJ %.12g; %.1f s\n",
			*fdcheck, a.LogDet, *h, b.LogDet, *h/2, a.LogDet-b.LogDet, a.LogJ, time.Since(t).Seconds())
	}
	fmt.Printf("# total: %.1f s wall, %.1f s CPU\n", time.Since(t0).Seconds(), cpuSeconds()-c0)
}

// findCNF returns the CNF layers of f, looking inside sequences.
func findCNF(f flow.Layer) []*flow.CNF {
	switch l := f.(type) {
	case *flow.CNF:
		return []*flow.CNF{l}
	case *flow.Sequence:
		var out []*flow.CNF
		for _, s := range l.Layers {
			out = append(out, findCNF(s)...)
		}
		return out
	}
	return nil
}

// cpuSeconds is the user + system CPU time of this process.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "cnflogj:", err)
	os.Exit(1)
}
