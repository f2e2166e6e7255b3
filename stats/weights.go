// Package stats provides the statistical tools used to analyse samples from
// normalizing-flow models of lattice field theories: numerically stable
// log-sum-exp, importance-weight diagnostics (effective sample size, log Z),
// delete-one and binned jackknife errors (optionally with reweighting),
// acceptance rates of (independence) Metropolis chains, and the usual
// "value(error)" formatting.
//
// Conventions: all log importance weights are logw_i = log p(x_i) − log q(x_i)
// with p the (unnormalised) target density exp(−S) and q the model density, so
// that w_i = exp(logw_i). NaN inputs are never silently dropped: functions
// return NaN when a NaN enters the computation.
//
// Package observable builds the physical observables on these tools; start
// with package model.
package stats

import "math"

// LogSumExp returns log Σ_i exp(x_i), computed stably as
//
//	LSE(x) = m + log Σ_i exp(x_i − m),   m = max_i x_i.
//
// It returns −Inf for an empty slice or when all x_i are −Inf, +Inf if any
// x_i is +Inf (and none is NaN), and NaN if any x_i is NaN.
func LogSumExp(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		if math.IsNaN(v) {
			return math.NaN()
		}
		if v > m {
			m = v
		}
	}
	if math.IsInf(m, 0) {
		// Empty, all −Inf (→ −Inf), or some +Inf (→ +Inf).
		return m
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}

// ESS returns the normalised effective sample size of the importance weights
// w_i = exp(logw_i),
//
//	ESS = (Σ_i w_i)² / (N Σ_i w_i²) = exp(2 LSE(logw) − LSE(2 logw) − log N),
//
// which lies in [1/N, 1]: 1 for equal weights, 1/N when a single weight
// dominates. The computation uses max-shifted weights w_i/max_j w_j, so it is
// insensitive to the (unknown) normalisation of p and never overflows.
//
// It returns NaN if logw is empty, if any logw_i is NaN, or if all weights
// vanish (all logw_i = −Inf). Entries equal to +Inf are treated as a set of
// equal, dominating weights (all finite weights count as zero).
func ESS(logw []float64) float64 {
	n := len(logw)
	if n == 0 {
		return math.NaN()
	}
	m := math.Inf(-1)
	for _, v := range logw {
		if math.IsNaN(v) {
			return math.NaN()
		}
		if v > m {
			m = v
		}
	}
	if math.IsInf(m, -1) {
		return math.NaN()
	}
	var s1, s2 float64
	for _, v := range logw {
		var w float64
		if math.IsInf(m, 1) {
			if math.IsInf(v, 1) {
				w = 1
			}
		} else {
			w = math.Exp(v - m)
		}
		s1 += w
		s2 += w * w
	}
	return s1 * s1 / (float64(n) * s2)
}

// LogZ estimates the log of the normalisation Z = E_q[w] = ∫ p of the target
// density from the importance weights of N independent model samples,
//
//	log Ẑ = LSE(logw) − log N,
//
// with the delete-one jackknife error
//
//	σ² = (N−1)/N Σ_i (θ_i − θ̄)²,   θ_i = LSE(logw without i) − log(N−1),
//
// where θ̄ is the mean of the θ_i. The leave-one-out sums are formed from
// prefix and suffix sums of the max-shifted weights (no cancellation); the
// term that drops the largest weight is computed with its own shift, so it
// is accurate even when one weight dominates. A constant logw = c gives
// exactly (c, 0).
//
// It returns (NaN, NaN) for empty input or any NaN, (+Inf, NaN) if any
// logw_i = +Inf, (−Inf, NaN) if all logw_i = −Inf, and a NaN error for N = 1.
func LogZ(logw []float64) (est, err float64) {
	n := len(logw)
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	kmax := -1
	m := math.Inf(-1)
	for i, v := range logw {
		if math.IsNaN(v) {
			return math.NaN(), math.NaN()
		}
		if kmax < 0 || v > m {
			m, kmax = v, i
		}
	}
	if math.IsInf(m, 0) {
		return m, math.NaN()
	}
	w := make([]float64, n)
	for i, v := range logw {
		w[i] = math.Exp(v - m)
	}
	// prefix[i] = Σ_{j<i} w_j ; suffix[i] = Σ_{j≥i} w_j.
	prefix := make([]float64, n+1)
	for i := 0; i < n; i++ {
		prefix[i+1] = prefix[i] + w[i]
	}
	est = m + (math.Log(prefix[n]) - math.Log(float64(n)))
	if n == 1 {
		return est, math.NaN()
	}
	suffix := make([]float64, n+1)
	for i := n - 1; i >= 0; i-- {
		suffix[i] = suffix[i+1] + w[i]
	}
	logNm1 := math.Log(float64(n - 1))
	theta := make([]float64, n)
	for i := 0; i < n; i++ {
		if i == kmax {
			// Dropping the largest weight: shift by the largest remaining one.
			m2 := math.Inf(-1)
			for j, v := range logw {
				if j != i && v > m2 {
					m2 = v
				}
			}
			if math.IsInf(m2, -1) {
				theta[i] = m2
				continue
			}
			s := 0.0
			for j, v := range logw {
				if j != i {
					s += math.Exp(v - m2)
				}
			}
			theta[i] = m2 + (math.Log(s) - logNm1)
			continue
		}
		theta[i] = m + (math.Log(prefix[i]+suffix[i+1]) - logNm1)
	}
	return est, jackknifeSpread(theta)
}
