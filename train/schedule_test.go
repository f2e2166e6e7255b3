package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestCosineSchedule(t *testing.T) {
	const T, m = 101, 0.1
	if f := Cosine.factor(1, T, m); f != 1 {
		t.Errorf("first epoch factor %g, want 1", f)
	}
	if f := Cosine.factor(T, T, m); !(math.Abs(f-m) <= 1e-15) {
		t.Errorf("last epoch factor %g, want %g", f, m)
	}
	if f := Cosine.factor(51, T, m); !(math.Abs(f-(m+(1-m)/2)) <= 1e-15) {
		t.Errorf("middle factor %g, want %g", f, m+(1-m)/2)
	}
	for e := 2; e <= T; e++ {
		if Cosine.factor(e, T, m) > Cosine.factor(e-1, T, m) {
			t.Fatalf("cosine factor rises at epoch %d", e)
		}
	}
	if f := Constant.factor(7, T, m); f != 1 {
		t.Errorf("constant schedule factor %g", f)
	}
}

func TestAnnealing(t *testing.T) {
	if a := annealing(1, 4); a != 0.25 {
		t.Errorf("α(1) = %g, want 0.25", a)
	}
	if a := annealing(4, 4); a != 1 {
		t.Errorf("α(4) = %g, want 1", a)
	}
	if a := annealing(3, 0); a != 1 {
		t.Errorf("no annealing: α = %g", a)
	}
}

// A parameter group with its own weight decay and learning rate gets them:
// with a zero gradient, AdamW only decays, θ ← θ(1 − f·lr·wd).
func TestParameterGroups(t *testing.T) {
	m := tinyModel(t, rand.New(rand.NewPCG(51, 52)))
	ps := m.Params.Params
	ps[0].Group = "special"
	before := make([]float64, m.Params.Size())
	m.Params.Flatten(before)
	opt := NewAdamW(m.Params, Group{LR: 0.01, WeightDecay: 0.1}, map[string]Group{"special": {LR: 0.2, WeightDecay: 0.5}})
	opt.Step(make([]float64, m.Params.Size()), 0.5)
	after := make([]float64, m.Params.Size())
	m.Params.Flatten(after)
	for i := range before {
		want := before[i] * (1 - 0.5*0.01*0.1)
		if i < ps[0].Size() {
			want = before[i] * (1 - 0.5*0.2*0.5)
		}
		if !(math.Abs(after[i]-want) <= 1e-15) {
			t.Fatalf("parameter %d: %g, want %g", i, after[i], want)
		}
	}
}

func TestFitWithScheduleAndAnnealing(t *testing.T) {
	m := tinyModel(t, rand.New(rand.NewPCG(53, 54)))
	o := DefaultOptions()
	o.Epochs, o.Batch, o.Schedule, o.AnnealEpochs = 10, 64, Cosine, 5
	tr, err := NewTrainer(m, o)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	res, _ := tr.Fit()
	h := res.History
	if h[1].Alpha != 0.2 || h[5].Alpha != 1 || h[10].Alpha != 1 || h[1].LRFactor != 1 || h[10].LRFactor != 0 {
		t.Errorf("epoch 1: α %g f %g; epoch 5: α %g; epoch 10: α %g f %g", h[1].Alpha, h[1].LRFactor, h[5].Alpha, h[10].Alpha, h[10].LRFactor)
	}
	o.LRMinFactor = 2
	if _, err := NewTrainer(m, o); err == nil {
		t.Error("lr_min_factor = 2 accepted")
	}
}
