package sungauge_test

import (
	"github.com/normflow/normflow-go/sungauge"
	"testing"
)

// Benchmarks on SU(3) 4⁴ (1024 links). Run:
//
//	go test -run '^$' -bench . -benchtime 20x -count 3 ./sungauge
//
// and with GOMAXPROCS=1 for the scaling over cores.

func benchWilson(b testing.TB, batch int) (*sungauge.Wilson, []float64) {
	w := sungauge.MustWilson(b, []int{4, 4, 4, 4}, 3, 1)
	return w, sungauge.HaarConfigs(w.Geometry, batch, 1)
}

// BenchmarkTrajectorySU3 is one HMC trajectory (10 leapfrog steps, the
// reunitarisation, the action and Metropolis) on one configuration.
func BenchmarkTrajectorySU3(b *testing.B) {
	w, f := benchWilson(b, 1)
	h := newHMC(b, w, 0.05, 10, 1)
	h.Start(f)
	b.ResetTimer()
	for b.Loop() {
		h.Sample(1)
	}
}

// BenchmarkForceSU3 is the force on every link of one configuration.
func BenchmarkForceSU3(b *testing.B) {
	w, f := benchWilson(b, 1)
	force := make([]float64, w.Momenta())
	for b.Loop() {
		w.Force(f, force)
	}
}

// BenchmarkForceSU3Batch64 is the force on a batch of 64 configurations
// (per batch; divide by 64 for one).
func BenchmarkForceSU3Batch64(b *testing.B) {
	w, f := benchWilson(b, 64)
	force := make([]float64, 64*w.Momenta())
	for b.Loop() {
		w.Force(f, force)
	}
}

// BenchmarkActionSU3 is S of one configuration (all 1536 plaquettes).
func BenchmarkActionSU3(b *testing.B) {
	w, f := benchWilson(b, 1)
	out := make([]float64, 1)
	for b.Loop() {
		w.Eval(f, out)
	}
}

// BenchmarkActionSU3Batch64 is S of 64 configurations.
func BenchmarkActionSU3Batch64(b *testing.B) {
	w, f := benchWilson(b, 64)
	out := make([]float64, 64)
	for b.Loop() {
		w.Eval(f, out)
	}
}

// BenchmarkMeanPlaquetteSU3 is the plaquette observable of one
// configuration (serial).
func BenchmarkMeanPlaquetteSU3(b *testing.B) {
	w, f := benchWilson(b, 1)
	for b.Loop() {
		w.MeanPlaquette(f)
	}
}
