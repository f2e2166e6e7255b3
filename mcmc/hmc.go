package mcmc

import (
	"fmt"
	"math"

	"github.com/normflow/normflow-go/action"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/rng"
)

// DomainHMC keys the random numbers of HMC trajectory i:
// rng.New(seed, DomainHMC, i). It is "HMC" in ASCII, far from the model's
// domains (model.DomainTrain, DomainPosterior, DomainAccept = 1, 2, 3).
const DomainHMC uint64 = 0x484d43

// HMC is a hybrid (Hamiltonian) Monte Carlo reference sampler for any action
// (docs/conventions.md §8.4): it samples p(φ) ∝ exp(−S[φ]) exactly, using only S and
// its gradient, to validate flows and to compare with them.
//
// One trajectory draws Gaussian momenta p ~ N(0, 1) per site, integrates
// Hamilton's equations for H = ½ Σ_x p(x)² + S[φ] with Steps leapfrog steps of
// size StepSize (trajectory length Steps·StepSize) and accepts the end point
// with probability min(1, exp(−ΔH)), ΔH = H' − H; a rejection repeats the
// current configuration (a NaN ΔH is always rejected). The leapfrog integrator
// is reversible and area preserving, so the chain is exact for any step size;
// the step size only sets the acceptance rate (1 − acceptance ∝ StepSize² for
// a fixed trajectory length).
//
// Trajectory i (counting thermalisation trajectories) takes its momenta, site
// by site, and then its accept/reject uniform from the stream
// rng.New(Seed, DomainHMC, i): the chain is a pure function of the seed, the
// starting configuration and the number of trajectories run. Like Chain, an
// HMC keeps its state, so a second call to Sample continues the chain, and
// Sample(a) followed by Sample(b) equals Sample(a+b) bit for bit.
//
// The sampler works on a single configuration (a batch of 1) of V =
// Action.Lattice().Volume() sites (model.FieldSize values for actions on other
// fields, e.g. gauge links) and allocates nothing per leapfrog step or
// per trajectory. An HMC is not safe for concurrent use.
//
// Actions on a curved space implement Manifold (SU(N) links, package
// sungauge): then there are Manifold.Momenta momenta, the kicks use
// Manifold.Force, the drift is Manifold.Drift (U ← exp(iεP)U), each
// trajectory's end point is projected back onto the manifold
// (Manifold.Project, reunitarisation) before its action is evaluated, and
// the chain starts from Manifold.ColdStart. Other actions take the flat
// case, unchanged bit for bit (docs/conventions.md §8.4).
type HMC struct {
	Action action.Action
	// StepSize is the leapfrog step ε (positive, finite); Steps is the number
	// of leapfrog steps per trajectory (≥ 1). Both may be changed between
	// calls (e.g. to tune the acceptance during thermalisation).
	StepSize float64
	Steps    int
	Seed     uint64
	// Integrator is Leapfrog (the zero value) or Omelyan2MN; it may be
	// changed between calls like the step.
	Integrator Integrator

	// Trajectories is the number of trajectories run so far, thermalisation
	// included; it is the index of the next trajectory's random stream.
	Trajectories uint64
	// Sampled and Accepted count the trajectories run by Sample (not by
	// Thermalise) and how many of them were accepted.
	Sampled, Accepted uint64

	v       int      // real variables per configuration
	m       int      // momenta per configuration (v unless a Manifold says otherwise)
	man     Manifold // the action's Manifold, or flat
	started bool
	cur     []float64 // current configuration
	curS    float64   // S[cur]
	curGrad []float64 // the force F[cur] (∇S[cur] in the flat case) [m]
	phi     []float64 // proposal
	p       []float64 // momenta [m]
	grad    []float64 // F[phi] [m]
	out     []float64 // [1] scratch for Eval
}

// NewHMC returns an HMC sampler for act with leapfrog step stepSize and steps
// leapfrog steps per trajectory. The chain starts from φ = 0 unless Start is
// called first.
func NewHMC(act action.Action, stepSize float64, steps int, seed uint64) (*HMC, error) {
	if act == nil || act.Lattice() == nil {
		return nil, fmt.Errorf("mcmc: hmc: nil action")
	}
	if m, ok := act.(action.MatrixField); ok && m.LinksPerSite() == 0 {
		return nil, fmt.Errorf("mcmc: hmc: SU(%d) matrix fields are not supported: this HMC moves real variables", m.ColorN())
	}
	h := &HMC{Action: act, StepSize: stepSize, Steps: steps, Seed: seed}
	if err := h.validate(); err != nil {
		return nil, err
	}
	v := model.FieldSize(act) // the volume; d·V link angles for a U(1) gauge action
	h.v = v
	h.man = manifoldOf(act, v)
	h.m = h.man.Momenta()
	h.cur = make([]float64, v)
	h.curGrad = make([]float64, h.m)
	h.phi = make([]float64, v)
	h.p = make([]float64, h.m)
	h.grad = make([]float64, h.m)
	h.out = make([]float64, 1)
	return h, nil
}

func (h *HMC) validate() error {
	if !(h.StepSize > 0) || math.IsInf(h.StepSize, 0) {
		return fmt.Errorf("mcmc: hmc: step size = %g: must be positive and finite", h.StepSize)
	}
	if h.Steps < 1 {
		return fmt.Errorf("mcmc: hmc: steps = %d: the number of leapfrog steps per trajectory must be at least 1", h.Steps)
	}
	if h.Integrator != Leapfrog && h.Integrator != Omelyan2MN {
		return fmt.Errorf("mcmc: hmc: integrator %v: allowed: leapfrog, omelyan", h.Integrator)
	}
	return nil
}

// Size is the number of sites V of one configuration.
func (h *HMC) Size() int { return h.v }

// MomentumSize is the number of momenta per configuration: Size, or
// Manifold.Momenta for actions on a manifold.
func (h *HMC) MomentumSize() int { return h.m }

// Start sets the current configuration of the chain to a copy of phi
// (length V); nil starts from φ = 0 (a Manifold's ColdStart). It does not reset the trajectory
// counters, so a restarted chain draws fresh random numbers. Start panics if
// phi has the wrong length.
func (h *HMC) Start(phi []float64) {
	if phi != nil && len(phi) != h.v {
		panic(fmt.Sprintf("mcmc: hmc: Start with %d values, want the volume %d", len(phi), h.v))
	}
	if phi == nil {
		h.man.ColdStart(h.cur)
	} else {
		copy(h.cur, phi)
	}
	h.Action.Eval(h.cur, h.out)
	h.curS = h.out[0]
	h.man.Force(h.cur, h.curGrad)
	h.started = true
}

// Current returns a copy of the current configuration (φ = 0 before the
// first trajectory if Start was not called) and its action.
func (h *HMC) Current() (phi []float64, s float64) {
	if !h.started {
		h.Start(nil)
	}
	return append([]float64(nil), h.cur...), h.curS
}

// Thermalise runs n trajectories and discards them; they advance the chain and
// the trajectory counter but not Sampled, Accepted or AcceptanceRate.
func (h *HMC) Thermalise(n int) {
	for i := 0; i < n; i++ {
		h.trajectory()
	}
}

// Sample runs n more trajectories and returns the configuration after each
// ([n, V], row-major), whether its proposal was accepted, and the ΔH = H' − H
// of each proposal (accepted or not; ⟨exp(−ΔH)⟩ = 1 in equilibrium).
func (h *HMC) Sample(n int) (phi []float64, accepted []bool, deltaH []float64) {
	phi = make([]float64, n*h.v)
	accepted = make([]bool, n)
	deltaH = make([]float64, n)
	for i := 0; i < n; i++ {
		acc, dh := h.trajectory()
		copy(phi[i*h.v:(i+1)*h.v], h.cur)
		accepted[i], deltaH[i] = acc, dh
		h.Sampled++
		if acc {
			h.Accepted++
		}
	}
	return phi, accepted, deltaH
}

// AcceptanceRate is the fraction of the trajectories run by Sample that were
// accepted (NaN before the first).
func (h *HMC) AcceptanceRate() float64 {
	if h.Sampled == 0 {
		return math.NaN()
	}
	return float64(h.Accepted) / float64(h.Sampled)
}

// trajectory runs one HMC trajectory from the current configuration.
func (h *HMC) trajectory() (accepted bool, deltaH float64) {
	if err := h.validate(); err != nil {
		panic(err)
	}
	if !h.started {
		h.Start(nil)
	}
	s := rng.New(h.Seed, DomainHMC, h.Trajectories)
	h.Trajectories++
	var kin float64
	for x := range h.p {
		r := s.Norm()
		h.p[x] = r
		kin += r * r
	}
	h0 := 0.5*kin + h.curS
	copy(h.phi, h.cur)
	copy(h.grad, h.curGrad)
	h.leapfrog(h.phi, h.p, h.grad, h.Steps)
	if _, ok := h.man.(flat); !ok {
		h.man.Project(h.phi)
		h.man.Force(h.phi, h.grad) // of the projected end point
	}
	h.Action.Eval(h.phi, h.out)
	sNew := h.out[0]
	kin = 0
	for _, r := range h.p {
		kin += r * r
	}
	deltaH = 0.5*kin + sNew - h0
	switch {
	case math.IsNaN(deltaH):
		accepted = false
	case deltaH <= 0:
		accepted = true
	default:
		accepted = s.OpenFloat64() < math.Exp(-deltaH)
	}
	if accepted {
		h.cur, h.phi = h.phi, h.cur
		h.curGrad, h.grad = h.grad, h.curGrad
		h.curS = sNew
	}
	return accepted, deltaH
}

// leapfrog integrates n steps of size StepSize in place; grad holds the
// force F[phi] (∇S[phi] in the flat case) on entry and on exit:
//
//	p ← p − (ε/2)F(φ);  φ ← Drift(φ, p, ε);  p ← p − (ε/2)F(φ)   (n times,
//
// the adjacent half kicks merged into full ones; the flat drift is
// φ ← φ + εp). The kicks (and the flat drift) run the SIMD kernels of kick
// and drift on amd64, bit-identical to the plain loops.
func (h *HMC) leapfrog(phi, p, grad []float64, n int) {
	if h.Integrator == Omelyan2MN {
		h.omelyan(phi, p, grad, n)
		return
	}
	eps := h.StepSize
	half := 0.5 * eps
	kick(p, grad, half)
	for k := 0; k < n; k++ {
		h.man.Drift(phi, p, eps)
		h.man.Force(phi, grad)
		c := eps
		if k == n-1 {
			c = half
		}
		kick(p, grad, c)
	}
}

// Leapfrog integrates Hamilton's equations for H = ½p² + S[φ] over n ≥ 0
// steps of size StepSize of the chosen Integrator (leapfrog by default), updating phi (length V) and p (length
// MomentumSize) in place. It does not touch the chain and does not project
// onto a Manifold. Reversing p and integrating again returns to the start
// (up to rounding).
func (h *HMC) Leapfrog(phi, p []float64, n int) {
	if len(phi) != h.v || len(p) != h.m {
		panic(fmt.Sprintf("mcmc: hmc: Leapfrog with %d and %d values, want %d and %d", len(phi), len(p), h.v, h.m))
	}
	if n <= 0 {
		return
	}
	g := make([]float64, h.m)
	h.man.Force(phi, g)
	h.leapfrog(phi, p, g, n)
}

// Hamiltonian returns H = ½ Σ_x p(x)² + S[φ] for one configuration (length
// V) and its momenta (length MomentumSize).
func (h *HMC) Hamiltonian(phi, p []float64) float64 {
	if len(phi) != h.v || len(p) != h.m {
		panic(fmt.Sprintf("mcmc: hmc: Hamiltonian with %d and %d values, want %d and %d", len(phi), len(p), h.v, h.m))
	}
	out := make([]float64, 1)
	h.Action.Eval(phi, out)
	var kin float64
	for _, r := range p {
		kin += r * r
	}
	return 0.5*kin + out[0]
}
