package stats

import (
	"fmt"
	"math"
)

// jackknifeSpread returns the delete-one jackknife error
//
//	σ = sqrt( (n−1)/n Σ_i (θ_i − θ̄)² )
//
// of the leave-one-out estimates θ_i (NaN for n < 2 or any NaN θ_i).
func jackknifeSpread(theta []float64) float64 {
	n := len(theta)
	if n < 2 {
		return math.NaN()
	}
	mean := 0.0
	for _, t := range theta {
		mean += t
	}
	mean /= float64(n)
	ss := 0.0
	for _, t := range theta {
		d := t - mean
		ss += d * d
	}
	return math.Sqrt(float64(n-1) / float64(n) * ss)
}

// Jackknife returns the delete-one jackknife error of a derived quantity
// estimated from n (independent, or binned) data blocks. leaveOut(i) must
// return the estimate θ_i computed with block i removed; then
//
//	σ² = (n−1)/n Σ_{i=0}^{n−1} (θ_i − θ̄)²,   θ̄ = (1/n) Σ_i θ_i.
//
// For the sample mean this reproduces exactly the standard error s/√n. It
// returns NaN for n < 2 or if any θ_i is NaN.
func Jackknife(n int, leaveOut func(skip int) float64) float64 {
	if n < 2 {
		return math.NaN()
	}
	theta := make([]float64, n)
	for i := range theta {
		theta[i] = leaveOut(i)
	}
	return jackknifeSpread(theta)
}

// AutoBinSize returns the default bin size for a series of n measurements:
//
//	binSize = max(1, ⌊n/100⌋),
//
// so that a series of n ≥ 100 values is cut into between 100 and 199 bins
// (relative uncertainty of the error estimate ≈ 1/sqrt(2·nBins) ≲ 7%) and
// shorter series are not binned at all. For strongly autocorrelated chains
// (τ_int not ≪ n/100) use TauBinSize.
func AutoBinSize(n int) int {
	return max(1, n/100)
}

// BinsPerTau is the number of integrated autocorrelation times a bin of
// TauBinSize spans. For an exponentially decaying autocorrelation the binned
// variance of the mean is low by about 2τ_int/binSize relative
// (docs/conventions.md §7.5), so bins of 20 τ_int leave a bias of ≈ 5% in the
// variance, ≈ 2.5% in the error.
const BinsPerTau = 20

// MinBins is the fewest bins for which TauBinSize calls the error estimate
// reliable: the jackknife error of nb bins has a relative uncertainty of
// about 1/√(2(nb−1)), 16% for 20 bins.
const MinBins = 20

// TauBinSize returns the bin size for the binned jackknife of a chain of n
// measurements whose slowest integrated autocorrelation time is tauInt (from
// the Γ-method, in steps of the chain):
//
//	binSize = max(AutoBinSize(n), ⌈BinsPerTau·τ_int⌉), at most n/2,
//
// so that the bins are nearly independent however strongly the chain is
// correlated. ok is false when the chain yields fewer than MinBins such bins
// (the error estimate is then itself uncertain, or biased low when binSize
// had to be capped at n/2), or when tauInt is not a finite positive number
// (the default AutoBinSize(n) is returned then).
func TauBinSize(n int, tauInt float64) (binSize int, ok bool) {
	binSize = AutoBinSize(n)
	if !(tauInt > 0) || math.IsInf(tauInt, 0) {
		return binSize, false
	}
	if b := BinsPerTau * tauInt; b > float64(binSize) {
		binSize = int(math.Min(math.Ceil(b), float64(max(1, n/2))))
	}
	return binSize, n/binSize >= MinBins && float64(binSize) >= BinsPerTau*tauInt
}

// checkSeries validates that all series have the same length and returns it.
func checkSeries(series [][]float64) int {
	if len(series) == 0 {
		return 0
	}
	n := len(series[0])
	for j, s := range series {
		if len(s) != n {
			panic(fmt.Sprintf("stats: series %d has length %d, want %d", j, len(s), n))
		}
	}
	return n
}

// BinnedJackknife computes a derived quantity f(⟨O_0⟩, …, ⟨O_{k−1}⟩) of the
// means of k primary observables and its binned jackknife error.
// series[j] is the (possibly autocorrelated) Monte Carlo time series of O_j;
// all series must have the same length N (otherwise BinnedJackknife panics).
//
// The data are cut into nb = ⌊N/binSize⌋ consecutive bins of binSize
// measurements; the last N − nb·binSize measurements do not fill a bin and
// are dropped (from the value as well as from the error, for consistency).
// binSize ≤ 0 selects AutoBinSize(N). With M_j the mean of the used data and
// B_{j,b} the mean of bin b, the leave-one-bin-out means are
//
//	M_j^{(b)} = (nb·M_j − B_{j,b})/(nb−1) = M_j − (B_{j,b} − M_j)/(nb−1),
//
// and
//
//	value = f(M),   err² = (nb−1)/nb Σ_b (f(M^{(b)}) − f̄)²,  f̄ = (1/nb) Σ_b f(M^{(b)}).
//
// For binSize = 1 and f the identity this is exactly s/√N. The error is NaN
// if there are fewer than two bins; value and error are NaN if there are no
// series or no complete bin. NaNs in the data propagate through the means.
// f must not retain or modify its argument.
func BinnedJackknife(series [][]float64, binSize int, f func(means []float64) float64) (value, err float64) {
	n := checkSeries(series)
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	if binSize <= 0 {
		binSize = AutoBinSize(n)
	}
	nb := n / binSize
	if nb == 0 {
		return math.NaN(), math.NaN()
	}
	k := len(series)
	used := nb * binSize
	full := make([]float64, k)
	bins := make([][]float64, k) // bins[j][b] = mean of bin b of series j
	for j, s := range series {
		bins[j] = make([]float64, nb)
		tot := 0.0
		for b := 0; b < nb; b++ {
			bs := 0.0
			for _, v := range s[b*binSize : (b+1)*binSize] {
				bs += v
			}
			tot += bs
			bins[j][b] = bs / float64(binSize)
		}
		full[j] = tot / float64(used)
	}
	value = f(full)
	if nb < 2 {
		return value, math.NaN()
	}
	means := make([]float64, k)
	theta := make([]float64, nb)
	inv := 1 / float64(nb-1)
	for b := 0; b < nb; b++ {
		for j := range means {
			means[j] = full[j] - (bins[j][b]-full[j])*inv
		}
		theta[b] = f(means)
	}
	return value, jackknifeSpread(theta)
}

// BinnedJackknifeWeighted is BinnedJackknife for reweighted (importance-
// sampled) data: the primary means are the self-normalised weighted averages
//
//	⟨O_j⟩ = Σ_i w_i O_{j,i} / Σ_i w_i,   w_i = exp(logw_i − max_k logw_k),
//
// (the max shift makes the weights ≤ 1 and the result independent of any
// constant offset of logw). Binning and the dropped remainder are as in
// BinnedJackknife; the leave-one-bin-out averages use prefix and suffix sums
// over bins, so there is no cancellation, and the bin holding the largest
// weight is removed with its own max shift, so one dominant weight does not
// cause underflow. len(logw) must equal the series length (else it panics).
//
// logw must be finite or −Inf (zero weight); NaN or +Inf entries give NaN.
// If all used weights vanish the means are NaN.
func BinnedJackknifeWeighted(series [][]float64, logw []float64, binSize int, f func(means []float64) float64) (value, err float64) {
	n := checkSeries(series)
	if len(series) > 0 && len(logw) != n {
		panic(fmt.Sprintf("stats: len(logw) = %d, want %d", len(logw), n))
	}
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	if binSize <= 0 {
		binSize = AutoBinSize(n)
	}
	nb := n / binSize
	if nb == 0 {
		return math.NaN(), math.NaN()
	}
	k := len(series)
	used := nb * binSize
	lw := logw[:used]

	m := math.Inf(-1)
	imax := 0
	for i, v := range lw {
		if math.IsNaN(v) || math.IsInf(v, 1) {
			nan := make([]float64, k)
			for j := range nan {
				nan[j] = math.NaN()
			}
			return f(nan), math.NaN()
		}
		if v > m {
			m, imax = v, i
		}
	}
	bmax := imax / binSize

	// Per-bin sums with the global shift m: W[b] = Σ w, A[j][b] = Σ w O_j.
	W := make([]float64, nb)
	A := make([][]float64, k)
	for j := range A {
		A[j] = make([]float64, nb)
	}
	w := make([]float64, binSize)
	for b := 0; b < nb; b++ {
		lo := b * binSize
		for t := range w {
			w[t] = math.Exp(lw[lo+t] - m)
			W[b] += w[t]
		}
		for j, s := range series {
			a := 0.0
			for t, wt := range w {
				a += wt * s[lo+t]
			}
			A[j][b] = a
		}
	}
	// Prefix sums over bins (index b: bins < b) and suffix sums (bins ≥ b).
	prefix := func(x []float64) []float64 {
		p := make([]float64, nb+1)
		for b := 0; b < nb; b++ {
			p[b+1] = p[b] + x[b]
		}
		return p
	}
	suffix := func(x []float64) []float64 {
		s := make([]float64, nb+1)
		for b := nb - 1; b >= 0; b-- {
			s[b] = s[b+1] + x[b]
		}
		return s
	}
	pW, sW := prefix(W), suffix(W)
	pA := make([][]float64, k)
	sA := make([][]float64, k)
	for j := range A {
		pA[j], sA[j] = prefix(A[j]), suffix(A[j])
	}
	means := make([]float64, k)
	for j := range means {
		means[j] = pA[j][nb] / pW[nb]
	}
	value = f(means)
	if nb < 2 {
		return value, math.NaN()
	}
	theta := make([]float64, nb)
	for b := 0; b < nb; b++ {
		if b == bmax {
			leaveOutWeighted(series, lw, binSize, b, means)
		} else {
			den := pW[b] + sW[b+1]
			for j := range means {
				means[j] = (pA[j][b] + sA[j][b+1]) / den
			}
		}
		theta[b] = f(means)
	}
	return value, jackknifeSpread(theta)
}

// leaveOutWeighted writes into means the weighted averages of the first
// len(lw) entries of each series with bin `skip` removed, using the maximum
// of the remaining logw as shift.
func leaveOutWeighted(series [][]float64, lw []float64, binSize, skip int, means []float64) {
	lo, hi := skip*binSize, (skip+1)*binSize
	m := math.Inf(-1)
	for i, v := range lw {
		if (i < lo || i >= hi) && v > m {
			m = v
		}
	}
	den := 0.0
	for j := range means {
		means[j] = 0
	}
	for i, v := range lw {
		if i >= lo && i < hi {
			continue
		}
		wi := math.Exp(v - m)
		den += wi
		for j, s := range series {
			means[j] += wi * s[i]
		}
	}
	for j := range means {
		means[j] /= den
	}
}

// MeanErr returns the mean of x and its binned jackknife error (equal to
// the standard error of the bin means, sqrt(Σ_b (B_b − M)²/(nb(nb−1))));
// binSize = 1 gives the naive error s/√N, binSize ≤ 0 uses AutoBinSize.
// Measurements beyond the last complete bin are dropped (see
// BinnedJackknife). The error is NaN for fewer than two bins.
func MeanErr(x []float64, binSize int) (mean, err float64) {
	return BinnedJackknife([][]float64{x}, binSize, func(m []float64) float64 { return m[0] })
}
