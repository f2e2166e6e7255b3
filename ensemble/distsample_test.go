package ensemble

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/normflow/normflow-go/dist"
	"github.com/normflow/normflow-go/run"
)

// Sampling on 3 in-process ranks (dist.NewLocal) gives rank 0 the ensemble
// of one process bit for bit — raw flow samples, a new chain, and a saved
// chain continued over several gather rounds — and the other ranks nil.
func TestDrawDistMatchesDraw(t *testing.T) {
	dir, shape, m := trainedRun(t)
	const n, ranks = 1001, 3
	same := func(what string, got, want *Ensemble) {
		t.Helper()
		if got == nil {
			t.Fatalf("%s: rank 0 got no ensemble", what)
		}
		eq := func(a, b []float64) bool {
			return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
		}
		if !eq(got.Phi, want.Phi) || !eq(got.LogQ, want.LogQ) || !eq(got.LogP, want.LogP) ||
			!eq(got.ProposalLogW, want.ProposalLogW) || !slices.Equal(got.Accepted, want.Accepted) ||
			got.Chain != want.Chain || got.ChainSteps != want.ChainSteps || got.Kind != want.Kind {
			t.Fatalf("%s: the ensemble on %d ranks differs from one process's", what, ranks)
		}
	}
	// onRanks runs f on every rank and returns rank 0's ensemble.
	onRanks := func(f func(c dist.Comm) (*Ensemble, error)) *Ensemble {
		t.Helper()
		comms := dist.NewLocal(ranks)
		out := make([]*Ensemble, ranks)
		errs := make([]error, ranks)
		var wg sync.WaitGroup
		for r, c := range comms {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[r], errs[r] = f(c)
			}()
		}
		wg.Wait()
		for r := range ranks {
			if errs[r] != nil {
				t.Fatalf("rank %d: %v", r, errs[r])
			}
			if r > 0 && out[r] != nil {
				t.Fatalf("rank %d returned an ensemble", r)
			}
		}
		return out[0]
	}
	for _, useMCMC := range []bool{false, true} {
		want := Draw(m, shape, n, useMCMC, 5)
		got := onRanks(func(c dist.Comm) (*Ensemble, error) { return DrawDist(c, m, shape, n, useMCMC, 5), nil })
		same("Draw", got, want)
	}
	// A new chain, then continued for more than one gather round
	// (chainChunk per rank): one process in dir, 3 ranks in a copy of it.
	other := filepath.Join(t.TempDir(), "run")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{run.ModelFile, run.SummaryFile, run.HistoryFile} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(other, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, steps := range []int{n, ranks*chainChunk + 17} {
		o := ChainOptions{N: steps, Seed: 9}
		if steps != n {
			_, st, err := LoadChain(dir)
			if err != nil {
				t.Fatal(err)
			}
			o.From = &st
		}
		want, err := SampleChain(dir, m, shape, o)
		if err != nil {
			t.Fatal(err)
		}
		if o.From != nil {
			_, st, err := LoadChain(other)
			if err != nil {
				t.Fatal(err)
			}
			o.From = &st
		}
		got := onRanks(func(c dist.Comm) (*Ensemble, error) { return SampleChainDist(c, other, m, shape, o) })
		same("SampleChain", got, want)
	}
	a, err := os.ReadFile(filepath.Join(dir, ChainFile))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(other, ChainFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("the saved chain state on %d ranks differs from one process's", ranks)
	}
}
