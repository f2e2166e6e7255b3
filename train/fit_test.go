package train

import (
	"bytes"
	"math"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// Bit-identical parameters and optimiser moments for 1 and 2 threads.
func TestFitIndependentOfThreads(t *testing.T) {
	var results [][]float64
	for _, threads := range []int{1, 2, 3} {
		m := tinyModel(t, rand.New(rand.NewPCG(31, 32)))
		tr, err := NewTrainer(m, Options{Epochs: 15, Batch: 300, MicroBatch: 64, Threads: threads, Seed: 5, LR: 0.01})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Fit(); err != nil {
			t.Fatal(err)
		}
		theta := make([]float64, m.Params.Size())
		m.Params.Flatten(theta)
		results = append(results, append(theta, tr.Opt.V...))
	}
	for k := 1; k < len(results); k++ {
		for i := range results[0] {
			if math.Float64bits(results[0][i]) != math.Float64bits(results[k][i]) {
				t.Fatalf("threads run %d: value %d = %v, 1 thread gives %v", k, i, results[k][i], results[0][i])
			}
		}
	}
}

// Progress lines follow the seed library's format.
func TestProgressFormat(t *testing.T) {
	m := tinyModel(t, rand.New(rand.NewPCG(33, 34)))
	var out bytes.Buffer
	tr, _ := NewTrainer(m, Options{Epochs: 20, Batch: 64, PrintStride: 10, Progress: &out})
	res, err := tr.Fit()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{
		`^>>> Checking the current status of the model <<<$`,
		`^Epoch: 0 \| loss: -?\d+\.\d{4} \| ess: \d\.\d{4} \| log\(p\): -?[\d.]+\(\d+\)$`,
		`^>>> Training started for 20 epochs <<<$`,
		`^Epoch: 10 \| loss: -?\d+\.\d{4} \| ess: \d\.\d{4} \| log\(p\): -?[\d.]+\(\d+\)$`,
		`^Epoch: 20 \| `,
		`^>>> Training finished \(cpu\); TIME = \d+\.\d\d sec <<<$`,
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	for i, re := range want {
		if !regexp.MustCompile(re).MatchString(lines[i]) {
			t.Errorf("line %d %q does not match %s", i, lines[i], re)
		}
	}
	if len(res.History) != 21 || res.Skipped != 0 {
		t.Errorf("history %d records, %d skipped", len(res.History), res.Skipped)
	}
}

// A step with a non-finite loss is skipped, counted and never applied.
func TestNonFiniteStepSkipped(t *testing.T) {
	m := tinyModel(t, rand.New(rand.NewPCG(35, 36)))
	m.Params.Params[0].Value[0] = math.NaN()
	tr, _ := NewTrainer(m, Options{Epochs: 3, Batch: 16})
	res, err := tr.Fit()
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped != 3 || tr.Opt.T != 0 {
		t.Errorf("skipped %d steps, optimiser took %d; want 3 and 0", res.Skipped, tr.Opt.T)
	}
	for _, p := range m.Params.Params[1:] {
		for _, v := range p.Value {
			if math.IsNaN(v) {
				t.Fatal("NaN spread into the parameters")
			}
		}
	}
}

func TestOptionsRejectBadValues(t *testing.T) {
	m := tinyModel(t, rand.New(rand.NewPCG(37, 38)))
	for _, o := range []Options{{Epochs: -1}, {Batch: -2}, {LR: -1}, {LR: math.NaN()}, {PrintStride: -1}} {
		if _, err := NewTrainer(m, o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
}
