// Package train fits a flow to its target by self-training on the reverse
// Kullback–Leibler divergence (docs/conventions.md §1, §6).
//
// Start from DefaultOptions (the seed library's settings: 1000 epochs of
// batch 1024, AdamW with lr 1e-3 and weight decay 0.01, the path gradient),
// change what differs and train a model (package model) with Fit, or make a
// Trainer with NewTrainer and call its Fit; Trainer.Continue carries on a
// run that was stopped, bit for bit. Every option means what it says, zero
// included (WeightDecay 0 is no weight decay). The result does not depend
// on the number of threads; with Options.Comm (package dist) the steps are
// shared by MPI ranks. Package model's example trains the seed example this
// way; package config makes the Options of a TOML run description
// (Run.TrainOptions).
package train

import (
	"fmt"

	"github.com/normflow/normflow-go/flow"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/nn"
	"github.com/normflow/normflow-go/rng"
)

// Gradient selects the gradient estimator of the reverse-KL loss.
type Gradient int

const (
	// Path is the path (score-free) gradient of Vaitl et al. arXiv:2207.08219:
	// the explicit θ-dependence of log q_θ, zero in expectation, is dropped.
	Path Gradient = iota
	// Plain is the reparameterised gradient of mean[log q(f(z)) + S(f(z))].
	Plain
)

func (g Gradient) String() string {
	switch g {
	case Path:
		return "path"
	case Plain:
		return "plain"
	}
	return fmt.Sprintf("Gradient(%d)", int(g))
}

// ParseGradient maps "path" or "plain" to a Gradient.
func ParseGradient(s string) (Gradient, error) {
	switch s {
	case "path":
		return Path, nil
	case "plain":
		return Plain, nil
	}
	return 0, fmt.Errorf("gradient %q: must be \"path\" or \"plain\"", s)
}

// Worker holds one goroutine's tapes and scratch buffers, reused from step to
// step so that a warm training step allocates almost nothing.
type Worker struct {
	fwd, inv *flow.Tape
	// stream is the random stream of the sample being drawn (kept here so that
	// passing it to the prior's interface method does not allocate).
	stream rng.Stream
}

// NewWorker returns a worker with empty tapes.
func NewWorker() *Worker {
	return &Worker{fwd: flow.NewTape(nil), inv: flow.NewTape(nil)}
}

// BatchGradient evaluates a micro-batch with a fresh worker; see
// Worker.BatchGradient.
func BatchGradient(m *model.Model, method Gradient, alpha float64, z, logq, logp []float64, norm float64, grads *nn.Grads) {
	NewWorker().BatchGradient(m, method, alpha, z, logq, logp, norm, grads)
}

// BatchGradient evaluates a micro-batch of prior samples z [k, size]:
// it writes log q and log p = −S of each sample and ADDS into grads the
// gradient of (1/norm) Σ_i [log q(φ_i) + α S(φ_i)] with respect to the flow
// parameters, with φ_i = f(z_i). α < 1 anneals the target (docs/conventions.md §6.7);
// α = 1 is the reverse KL divergence. norm is the size of the full batch, so that the
// gradients of all micro-batches sum to the gradient of the batch mean.
//
// Plain: tape the forward pass; cotangents dφ = α∇S(φ)/norm, dlogJ = −1/norm.
// Path (docs/conventions.md §6.3): (1) tape z → φ; (2) run the inverse on φ with
// a tape that keeps no parameter gradients and backpropagate ∇_z log r with
// dlogJ = 1, giving ∇_φ log q(φ) at fixed θ; (3) add α∇S(φ); (4) backpropagate
// the forward tape with dφ = that/norm and dlogJ = 0.
func (w *Worker) BatchGradient(m *model.Model, method Gradient, alpha float64, z, logq, logp []float64, norm float64, grads *nn.Grads) {
	k := len(logq)
	n := len(z)
	fwd, inv := w.fwd, w.inv
	fwd.Reset()
	inv.Reset()
	fwd.Grads = grads
	phi := fwd.Floats(n)
	logJ := fwd.Floats(k)
	m.Forward(fwd, z, phi, logq, logp, logJ)
	dphi := fwd.Floats(n)
	dlogJ := fwd.Floats(k)
	gradS := fwd.Floats(n)
	m.Action.Grad(phi, gradS)
	if alpha != 1 {
		for i := range gradS {
			gradS[i] *= alpha
		}
	}
	switch method {
	case Plain:
		for i := range dphi {
			dphi[i] = gradS[i] / norm
		}
		for i := range dlogJ {
			dlogJ[i] = -1 / norm
		}
	case Path:
		zz := inv.Floats(n)
		logJi := inv.Floats(k)
		m.Flow.Inverse(inv, phi, zz, logJi)
		gz := inv.Floats(n)
		m.Prior.GradLogProb(zz, gz)
		ones := inv.Floats(k)
		for i := range ones {
			ones[i] = 1
		}
		inv.Backward(gz, ones, dphi) // dphi = ∇_φ log q(φ) at fixed θ
		for i := range dphi {
			dphi[i] = (dphi[i] + gradS[i]) / norm
		}
	default:
		panic("train: unknown gradient method")
	}
	dz := fwd.Floats(n)
	fwd.Backward(dphi, dlogJ, dz)
}
