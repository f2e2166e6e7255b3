package model

import "gonum.org/v1/gonum/mat"

// LogJCheck compares, for one configuration, the log-Jacobian the flow
// reports with the log-determinant of the map it actually computes.
type LogJCheck struct {
	// LogJ is the log-Jacobian the flow reports for z → φ = f(z), the one
	// that enters log q = log r(z) − LogJ (Model.Forward, Posterior).
	LogJ float64
	// LogDet is log|det ∂φ/∂z| of the computed map, from a central
	// finite-difference Jacobian and its LU factorisation.
	LogDet float64
	// Sign is the sign of det ∂φ/∂z (+1 for an orientation-preserving flow).
	Sign float64
	// Delta is LogJ − LogDet = log q_true(φ) − log q_used(φ).
	Delta float64
}

// CheckLogJ measures how exact the model density q(φ) used by flow-MCMC is.
// For each latent configuration z_i (z is [n, Size], e.g. prior draws) it
// returns the reported log-Jacobian of φ = f(z) and log|det ∂φ/∂z| of the
// whole flow map, obtained from the central finite-difference Jacobian
//
//	J_kj = [f_k(z + h e_j) − f_k(z − h e_j)] / 2h,   log|det J| from an LU factorisation,
//
// with the 2·Size perturbed inputs of one configuration pushed through the
// flow's untaped batched Forward (on up to Threads goroutines, in batches of
// fdColumns columns). The step h is absolute, in the units of z (O(1) for a
// normal prior); h ≤ 0 means 1e-5. The finite-difference error of LogDet is
// O(h²) truncation plus O(ε/h) rounding: compare h with h/2 to measure it
// (on the trained L = 32 CNF model of docs/conventions.md §5.19, "Exactness
// of the sampled density", V = 1024 at 20 RK4 steps, h = 1e-5 and 5e-6 give
// log|det| values 5.8e-9 apart).
//
// Why it matters. A layer whose logJ is exact (couplings, Fourier/PSD
// blocks, splines) gives δ = 0 up to the finite-difference error. The
// continuous flow (flow.CNF, docs/conventions.md §5.19) integrates φ and
// logJ = ∫ div v dt with the same RK4 stages; that logJ is the continuous
// flow's to O(h⁴), not exactly log|det| of the discrete RK4 map that
// produces the samples. With δ(φ) = Delta = log q_true − log q_used the
// independence-Metropolis chain built on log q_used is stationary for
// p(φ)·exp(δ(φ)) instead of p(φ). A constant δ cancels; the bias of an
// expectation value is ≈ Cov_p(O, δ) ≤ std(O)·std(δ), so it stays below
// the statistical error std(O)/√N_eff when std(δ)·√N_eff ≪ 1.
//
// Cost: 2·Size flow evaluations and one Size × Size LU per configuration.
// The finite differences assume a smooth map of real variables; for
// compact variables (angles) a perturbation across a branch cut would spoil
// the Jacobian.
func (m *Model) CheckLogJ(z []float64, h float64) []LogJCheck {
	if h <= 0 {
		h = 1e-5
	}
	size := m.Size()
	n := len(z) / size
	if n*size != len(z) {
		panic("model: CheckLogJ: len(z) is not a multiple of the field size")
	}
	phi := make([]float64, len(z))
	logJ := make([]float64, n)
	m.Flow.Forward(nil, z, phi, logJ)
	out := make([]LogJCheck, n)
	for i := range n {
		ld, sign := m.fdLogDet(z[i*size:(i+1)*size], h)
		out[i] = LogJCheck{LogJ: logJ[i], LogDet: ld, Sign: sign, Delta: logJ[i] - ld}
	}
	return out
}

// fdColumns is the number of Jacobian columns (2·fdColumns flow inputs)
// one batched Forward of CheckLogJ evaluates.
const fdColumns = 64

// fdLogDet returns log|det| and the sign of the central finite-difference
// Jacobian of the flow at the single configuration z.
func (m *Model) fdLogDet(z []float64, h float64) (float64, float64) {
	size := len(z)
	jac := make([]float64, size*size) // row-major: jac[k*size+j] = ∂φ_k/∂z_j
	// Columns on m.Threads goroutines (Model.parallel), fdColumns at a time
	// through the batched forward pass.
	m.parallel(size, func(lo, hi int) {
		for c0 := lo; c0 < hi; c0 += fdColumns {
			c1 := min(c0+fdColumns, hi)
			k := c1 - c0
			in := make([]float64, 2*k*size)
			for col := range k {
				j := c0 + col
				p, q := in[2*col*size:(2*col+1)*size], in[(2*col+1)*size:(2*col+2)*size]
				copy(p, z)
				copy(q, z)
				p[j] += h
				q[j] -= h
			}
			y := make([]float64, len(in))
			m.Flow.Forward(nil, in, y, make([]float64, 2*k))
			for col := range k {
				j := c0 + col
				// The step actually taken: z_j ± h rounded.
				d := in[2*col*size+j] - in[(2*col+1)*size+j]
				p, q := y[2*col*size:(2*col+1)*size], y[(2*col+1)*size:(2*col+2)*size]
				for r := range size {
					jac[r*size+j] = (p[r] - q[r]) / d
				}
			}
		}
	})
	var lu mat.LU
	lu.Factorize(mat.NewDense(size, size, jac))
	return lu.LogDet()
}
