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
		o := DefaultOptions()
		o.Epochs, o.Batch, o.MicroBatch, o.Threads, o.Seed, o.LR = 15, 300, 64, threads, 5, 0.01
		tr, err := NewTrainer(m, o)
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

// The one-call Fit trains as a Trainer does, and reports bad options.
func TestFitFunction(t *testing.T) {
	o := DefaultOptions()
	o.Epochs, o.Batch = 5, 32
	m1 := tinyModel(t, rand.New(rand.NewPCG(31, 32)))
	r1, err := Fit(m1, o)
	if err != nil {
		t.Fatal(err)
	}
	m2 := tinyModel(t, rand.New(rand.NewPCG(31, 32)))
	tr, err := NewTrainer(m2, o)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	r2, err := tr.Fit()
	if err != nil {
		t.Fatal(err)
	}
	if len(r1.History) != 6 || r1.History[5].Loss != r2.History[5].Loss {
		t.Errorf("Fit: %d records, last loss %v; Trainer.Fit: %v", len(r1.History), r1.History[len(r1.History)-1].Loss, r2.History[5].Loss)
	}
	a, b := make([]float64, m1.Params.Size()), make([]float64, m2.Params.Size())
	m1.Params.Flatten(a)
	m2.Params.Flatten(b)
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			t.Fatalf("parameter %d: %v, Trainer.Fit gives %v", i, a[i], b[i])
		}
	}
	o.LR = 0
	if _, err := Fit(m1, o); err == nil {
		t.Error("lr = 0 accepted")
	}
}

// Progress lines follow the seed library's format.
func TestProgressFormat(t *testing.T) {
	m := tinyModel(t, rand.New(rand.NewPCG(33, 34)))
	var out bytes.Buffer
	o := DefaultOptions()
	o.Epochs, o.Batch, o.PrintStride, o.Progress = 20, 64, 10, &out
	tr, _ := NewTrainer(m, o)
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
	o := DefaultOptions()
	o.Epochs, o.Batch = 3, 16
	tr, _ := NewTrainer(m, o)
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
	for _, bad := range []func(*Options){
		func(o *Options) { o.Epochs = -1 },
		func(o *Options) { o.Batch = -2 },
		func(o *Options) { o.Batch = 0 },
		func(o *Options) { o.LR = -1 },
		func(o *Options) { o.LR = 0 },
		func(o *Options) { o.LR = math.NaN() },
		func(o *Options) { o.WeightDecay = -0.1 },
		func(o *Options) { o.PrintStride = -1 },
		func(o *Options) { o.MaxBadSteps = -1 },
	} {
		o := DefaultOptions()
		bad(&o)
		if _, err := NewTrainer(m, o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
	if _, err := NewTrainer(m, Options{Epochs: 10}); err == nil || !strings.Contains(err.Error(), "DefaultOptions") {
		t.Errorf("zero batch: error %v, want one pointing to DefaultOptions", err)
	}
}

// The zero value of an option means what it says: no weight decay, no epochs,
// no progress lines but the last, no limit on skipped steps.
func TestOptionsZeroMeansZero(t *testing.T) {
	m := tinyModel(t, rand.New(rand.NewPCG(39, 40)))
	o := Options{Batch: 16, LR: 1e-3}
	tr, err := NewTrainer(m, o)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if got := tr.Options(); got.WeightDecay != 0 || got.Epochs != 0 || got.PrintStride != 0 || got.MaxBadSteps != 0 || got.Device != "cpu" || got.MicroBatch != 2 {
		t.Errorf("resolved options %+v", got)
	}
	if tr.Opt.wd[0] != 0 {
		t.Errorf("weight decay %g, want 0", tr.Opt.wd[0])
	}
	res, err := tr.Fit()
	if err != nil || res.Epoch != 0 || len(res.History) != 1 || tr.Opt.T != 0 {
		t.Errorf("0 epochs: %v, at epoch %d with %d records, %d steps", err, res.Epoch, len(res.History), tr.Opt.T)
	}
	d := DefaultOptions()
	if d.Epochs != 1000 || d.Batch != 1024 || d.LR != 1e-3 || d.WeightDecay != 0.01 || d.Gradient != Path || d.PrintStride != 100 || d.MaxBadSteps != DefaultMaxBadSteps {
		t.Errorf("DefaultOptions() = %+v, want the seed's settings", d)
	}

	m.Params.Params[0].Value[0] = math.NaN() // every step is skipped
	var out bytes.Buffer
	o.Epochs, o.PrintStride, o.Progress = 150, 0, &out
	tr2, err := NewTrainer(m, o)
	if err != nil {
		t.Fatal(err)
	}
	defer tr2.Close()
	if res, err := tr2.Fit(); err != nil || res.Skipped != 150 {
		t.Errorf("MaxBadSteps 0: %v after %d skipped steps, want no error after 150", err, res.Skipped)
	}
	if n := strings.Count(out.String(), "Epoch: "); n != 2 {
		t.Errorf("PrintStride 0: %d epoch lines, want 2 (epochs 0 and 150):\n%s", n, out.String())
	}
}
