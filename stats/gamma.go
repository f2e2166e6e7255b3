package stats

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/dsp/fourier"
)

// DefaultGammaS is the default ratio S = τ_W / τ used by the automatic
// windowing of GammaMethod (Wolff recommends 1 ≤ S ≤ 2).
const DefaultGammaS = 1.5

// GammaResult is the result of a Γ-method error analysis (see GammaMethod).
type GammaResult struct {
	// Mean is the estimate of the quantity: the sample mean ā of a primary
	// observable, or f(ā_1, …, ā_R) for a derived quantity.
	Mean float64
	// Err is the statistical error σ = sqrt(2 τ_int Γ(0) / N) of Mean,
	// with bias-corrected Γ.
	Err float64
	// TauInt is the integrated autocorrelation time τ_int(W) at the chosen
	// window (0.5 for uncorrelated data).
	TauInt float64
	// TauIntErr is the Madras–Sokal error τ_int sqrt(2(2W+1)/N) of TauInt.
	TauIntErr float64
	// Window is the summation window W chosen by Wolff's criterion.
	Window int
	// WindowCapped reports that no W ≤ ⌊N/2⌋ satisfied the criterion, so
	// Window was set to ⌊N/2⌋. This is a guard only: for finite data it
	// cannot happen, because with y = W/τ(W) > 0
	//
	//	g(W) = e^{−y} − sqrt(W/N)/y < 0   whenever sqrt(W/N) > max_y y e^{−y} = 1/e,
	//
	// so the criterion always holds by W = ⌈N/e²⌉ ≈ 0.135 N. A window that
	// is a sizeable fraction of N (Window·10 ≳ N, say) signals that the series
	// is too short for its autocorrelation time and that Err and TauInt are
	// unreliable (typically underestimated).
	WindowCapped bool
	// Gamma0 is the (bias-corrected) variance estimate Γ(0) of the
	// (projected) series.
	Gamma0 float64
	// Rho is the normalised, bias-corrected autocorrelation function
	// ρ(t) = Γ(t)/Γ(0) for t = 0, …, min(2W, ⌊N/2⌋), so that
	// TauInt = ½ + Σ_{t=1}^{W} Rho[t].
	Rho []float64
}

// GammaMethod performs the Γ-method error analysis of U. Wolff, "Monte Carlo
// errors with less errors", Comput. Phys. Commun. 156 (2004) 143,
// hep-lat/0306017, for the mean of a single (autocorrelated) Monte Carlo
// time series a_1, …, a_N.
//
// With ā = (1/N) Σ_i a_i the autocorrelation function is estimated as
//
//	Γ̄(t) = 1/(N−t) Σ_{i=1}^{N−t} (a_i − ā)(a_{i+t} − ā),   t = 0, …, ⌊N/2⌋,
//
// (computed by FFT in O(N log N)), ρ̄(t) = Γ̄(t)/Γ̄(0) and
//
//	τ̄_int(W) = ½ + Σ_{t=1}^{W} ρ̄(t).
//
// The window W is the first W = 1, 2, … with g(W) < 0, where (paper eq. 52)
//
//	τ(W) = S / ln( (2τ̄_int(W)+1) / (2τ̄_int(W)−1) ),
//	g(W) = exp(−W/τ(W)) − τ(W)/sqrt(W N),
//
// which balances the systematic truncation error ∝ exp(−W/τ) against the
// statistical error ∝ sqrt(W/N) for ρ(t) ≈ exp(−t/τ) (τ(W) → 0, i.e. stop,
// once τ̄_int(W) ≤ ½). S ≤ 0 selects DefaultGammaS = 1.5. If no W ≤ ⌊N/2⌋
// qualifies, W = ⌊N/2⌋ and WindowCapped is set.
//
// The O(τ/N) bias of Γ̄ from subtracting ā is corrected as in the paper
// (eq. 49): with C̄_F(W) = Γ̄(0) + 2 Σ_{t=1}^{W} Γ̄(t),
//
//	Γ(t) = Γ̄(t) + C̄_F(W)/N,   C_F = Γ(0) + 2 Σ_{t=1}^{W} Γ(t) = C̄_F (1 + (2W+1)/N),
//
// and then
//
//	τ_int = C_F / (2Γ(0)),   Err = sqrt(C_F/N) = sqrt(2 τ_int Γ(0)/N),
//	TauIntErr = τ_int sqrt(2(2W+1)/N)   (Madras–Sokal, paper eq. 42).
//
// If the bias-corrected C_F is negative (possible only for very short or
// strongly anticorrelated series, e.g. 0, 1, 0, 1, …) Err is NaN.
//
// Edge cases: N < 2 or any non-finite a_i gives NaN results (NaNs are never
// skipped); a constant series gives Mean = a_1, Err = 0, TauInt = 0.5,
// TauIntErr = 0, Window = 0 and Rho = [1].
func GammaMethod(a []float64, S float64) GammaResult {
	n := len(a)
	if n < 2 || !allFinite(a) {
		return nanGammaResult()
	}
	mean := 0.0
	for _, v := range a {
		mean += v
	}
	mean /= float64(n)
	if isConstant(a) {
		return constGammaResult(a[0])
	}
	d := make([]float64, n)
	for i, v := range a {
		d[i] = v - mean
	}
	r := gammaAnalysis(d, S)
	r.Mean = mean
	return r
}

// GammaMethodDerived performs the Γ-method analysis (see GammaMethod) of a
// derived quantity F = f(ā_1, …, ā_R) of the means of R primary observables,
// series[α] being the time series a_α(i), i = 1…N, of observable α (all
// series are measured on the same configurations and must have the same
// length N ≥ 2, otherwise GammaMethodDerived panics).
//
// Following the paper (sec. 3.3, eq. 37), the error of F is that of the mean
// of the linearised (projected) series
//
//	a_f(i) = Σ_α f_α (a_α(i) − ā_α),   f_α = ∂f/∂ā_α at ā,
//
// whose Γ-function is Γ_F(t) = Σ_{αβ} f_α f_β Γ_αβ(t); window, bias
// correction, τ_int and its error are then as for a primary observable. The
// gradient is computed by central differences,
//
//	f_α ≈ [f(ā + h_α e_α) − f(ā − h_α e_α)] / (2h_α),   h_α = sqrt(Γ̄_αα(0)/N)/2,
//
// i.e. with a step of half the naive error of ā_α: the truncation error is
// then O(1/N) relative, below the statistical precision, and there is no
// round-off loss (as in Wolff's UWerr). A constant series (h_α = 0) does not
// contribute and gets f_α = 0. Mean = f(ā); the O(1/N) bias of f(ā) is not
// corrected.
//
// Results are NaN if N < 2, there are no series, any a_α(i) is not finite,
// or f(ā) or a difference quotient is NaN. f must not retain or modify its
// argument. S ≤ 0 selects DefaultGammaS.
func GammaMethodDerived(series [][]float64, f func(means []float64) float64, S float64) GammaResult {
	if len(series) == 0 {
		return nanGammaResult()
	}
	n := len(series[0])
	for j, s := range series {
		if len(s) != n {
			panic(fmt.Sprintf("stats: series %d has length %d, want %d", j, len(s), n))
		}
	}
	if n < 2 {
		return nanGammaResult()
	}
	for _, s := range series {
		if !allFinite(s) {
			return nanGammaResult()
		}
	}
	k := len(series)
	means := make([]float64, k)
	steps := make([]float64, k)
	for j, s := range series {
		m := 0.0
		for _, v := range s {
			m += v
		}
		m /= float64(n)
		means[j] = m
		if isConstant(s) {
			continue
		}
		g0 := 0.0
		for _, v := range s {
			g0 += (v - m) * (v - m)
		}
		g0 /= float64(n)
		steps[j] = math.Sqrt(g0/float64(n)) / 2
	}
	value := f(append([]float64(nil), means...))
	if math.IsNaN(value) {
		return nanGammaResult()
	}
	grad := make([]float64, k)
	x := make([]float64, k)
	for j, h := range steps {
		if h == 0 {
			continue
		}
		copy(x, means)
		x[j] = means[j] + h
		fp := f(x)
		copy(x, means)
		x[j] = means[j] - h
		fm := f(x)
		// The step actually taken, after rounding of means[j] ± h.
		grad[j] = (fp - fm) / ((means[j] + h) - (means[j] - h))
		if math.IsNaN(grad[j]) || math.IsInf(grad[j], 0) {
			r := nanGammaResult()
			r.Mean = value
			return r
		}
	}
	d := make([]float64, n)
	for j, s := range series {
		g := grad[j]
		if g == 0 {
			continue
		}
		m := means[j]
		for i, v := range s {
			d[i] += g * (v - m)
		}
	}
	constant := true
	for _, v := range d {
		if v != 0 {
			constant = false
			break
		}
	}
	if constant {
		return constGammaResult(value)
	}
	r := gammaAnalysis(d, S)
	r.Mean = value
	return r
}

// gammaAnalysis runs the windowing and error analysis on a series d of
// fluctuations (mean already subtracted, not identically zero, len ≥ 2).
// Mean is left zero.
func gammaAnalysis(d []float64, S float64) GammaResult {
	if !(S > 0) {
		S = DefaultGammaS
	}
	n := len(d)
	nf := float64(n)
	wmax := n / 2
	gam := autocovariance(d, wmax)
	if !(gam[0] > 0) { // underflow of the squares
		return constGammaResult(0)
	}

	// Automatic windowing on the uncorrected Γ̄.
	w, capped := wmax, true
	tauInt := 0.5
	for t := 1; t <= wmax; t++ {
		tauInt += gam[t] / gam[0]
		var tau float64
		if tauInt > 0.5 {
			tau = S / math.Log((2*tauInt+1)/(2*tauInt-1))
		}
		if tau <= 0 || math.Exp(-float64(t)/tau)-tau/math.Sqrt(float64(t)*nf) < 0 {
			w, capped = t, false
			break
		}
	}

	// Bias correction Γ(t) = Γ̄(t) + C̄_F(W)/N.
	cf := gam[0]
	for t := 1; t <= w; t++ {
		cf += 2 * gam[t]
	}
	nrho := min(2*w, wmax) + 1
	g := make([]float64, nrho)
	for t := range g {
		g[t] = gam[t] + cf/nf
	}
	cf = g[0]
	for t := 1; t <= w; t++ {
		cf += 2 * g[t]
	}
	rho := make([]float64, nrho)
	for t := range rho {
		rho[t] = g[t] / g[0]
	}
	tauInt = cf / (2 * g[0])
	errMean := math.NaN()
	if cf >= 0 {
		errMean = math.Sqrt(cf / nf)
	}
	return GammaResult{
		Err:          errMean,
		TauInt:       tauInt,
		TauIntErr:    math.Abs(tauInt) * math.Sqrt(2*float64(2*w+1)/nf),
		Window:       w,
		WindowCapped: capped,
		Gamma0:       g[0],
		Rho:          rho,
	}
}

// autocovariance returns Γ̄(t) = 1/(N−t) Σ_{i=0}^{N−1−t} d_i d_{i+t} for
// t = 0, …, maxLag (maxLag < N), via a zero-padded real FFT.
func autocovariance(d []float64, maxLag int) []float64 {
	n := len(d)
	l := 1
	for l < n+maxLag+1 { // no circular wrap-around for lags ≤ maxLag
		l *= 2
	}
	x := make([]float64, l)
	copy(x, d)
	fft := fourier.NewFFT(l)
	c := fft.Coefficients(nil, x)
	for i, v := range c {
		c[i] = complex(real(v)*real(v)+imag(v)*imag(v), 0)
	}
	s := fft.Sequence(nil, c)
	gam := make([]float64, maxLag+1)
	for t := range gam {
		gam[t] = s[t] / float64(l) / float64(n-t)
	}
	return gam
}

func allFinite(a []float64) bool {
	for _, v := range a {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

func isConstant(a []float64) bool {
	for _, v := range a {
		if v != a[0] {
			return false
		}
	}
	return true
}

func nanGammaResult() GammaResult {
	nan := math.NaN()
	return GammaResult{Mean: nan, Err: nan, TauInt: nan, TauIntErr: nan}
}

func constGammaResult(mean float64) GammaResult {
	return GammaResult{Mean: mean, TauInt: 0.5, Rho: []float64{1}}
}
