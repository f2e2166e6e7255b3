package model_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/normflow/normflow-go/action"
	"github.com/normflow/normflow-go/flow"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/prior"
)

func testModel(t *testing.T, threads int) *model.Model {
	t.Helper()
	lat := lattice.MustNew(2, 2)
	act, _ := action.NewPhi4(lat, 0.3, -1, 0.4, 1)
	pr, _ := prior.NewNormal(0, 1, lat.Volume())
	dc, _ := flow.NewDistConvertor("dc", 6, true, true)
	r := rand.New(rand.NewPCG(1, 2))
	for _, p := range dc.Params() {
		for i := range p.Value {
			p.Value[i] = 0.5 * r.NormFloat64()
		}
	}
	m, err := model.New(pr, flow.NewSequence(dc), act)
	if err != nil {
		t.Fatal(err)
	}
	m.Threads = threads
	return m
}

// log q from the forward pass equals LogProb through the inverse, log p = −S,
// and the samples do not depend on the number of threads.
func TestPosteriorConsistent(t *testing.T) {
	const n = 1500 // spans several chunks
	var first []float64
	for _, threads := range []int{1, 2} {
		m := testModel(t, threads)
		phi := make([]float64, n*4)
		logq, logp := make([]float64, n), make([]float64, n)
		m.Posterior(3, 10, phi, logq, logp)
		lq := make([]float64, n)
		m.LogProb(phi, lq)
		s := make([]float64, n)
		m.Action.Eval(phi, s)
		for i := range lq {
			if !(math.Abs(lq[i]-logq[i]) <= 1e-9*(1+math.Abs(logq[i]))) {
				t.Fatalf("sample %d: log q forward %.12g, through the inverse %.12g", i, logq[i], lq[i])
			}
			if logp[i] != -s[i] {
				t.Fatalf("sample %d: log p %g, −S %g", i, logp[i], -s[i])
			}
		}
		if first == nil {
			first = phi
		} else {
			for i := range phi {
				if phi[i] != first[i] {
					t.Fatalf("threads=%d: sample value %d differs", threads, i)
				}
			}
		}
	}
}

func TestModelRejectsMismatchedPrior(t *testing.T) {
	lat := lattice.MustNew(4)
	act, _ := action.NewPhi4(lat, 0.3, -1, 0.4, 1)
	pr, _ := prior.NewNormal(0, 1, 3)
	dc, _ := flow.NewDistConvertor("dc", 6, true, false)
	if _, err := model.New(pr, dc, act); err == nil {
		t.Error("a prior of 3 variables was accepted for a lattice of 4 sites")
	}
}
