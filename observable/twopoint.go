package observable

import (
	"fmt"
	"math"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/stats"
)

// This file holds the derived observables of docs/conventions.md §7.8, §7.9: the
// susceptibility, the Binder cumulant, the connected two-point function on time
// slices and the effective mass. All take configurations phi [n, V] (V the
// volume, sites in lattice order), optional log-weights and a bin size, and
// return binned-jackknife estimates: the quantity is a function of the means
// of a few primary per-configuration series, and the jackknife runs over those
// means (stats.BinnedJackknife). binSize ≤ 0 selects stats.AutoBinSize(n).
//
// logw = nil means an unweighted ensemble (e.g. an MCMC chain); for raw flow
// samples pass logw = log p − log q [n]: every mean is then the self-normalised
// weighted average Σ w O / Σ w (stats.BinnedJackknifeWeighted).

// derived runs the (weighted) binned jackknife of f over the series.
func derived(series [][]float64, logw []float64, binSize int, f func(means []float64) float64) Estimate {
	var v, e float64
	if logw == nil {
		v, e = stats.BinnedJackknife(series, binSize, f)
	} else {
		v, e = stats.BinnedJackknifeWeighted(series, logw, binSize, f)
	}
	return Estimate{Mean: v, Err: e}
}

// magnetisations returns M_c = Σ_x φ_c(x)/V of every configuration.
func magnetisations(phi []float64, volume int) []float64 {
	if volume <= 0 || len(phi)%volume != 0 {
		panic(fmt.Sprintf("observable: %d values are not a whole number of configurations of volume %d", len(phi), volume))
	}
	n := len(phi) / volume
	m := make([]float64, n)
	for c := range m {
		var s float64
		for _, p := range phi[c*volume : (c+1)*volume] {
			s += p
		}
		m[c] = s / float64(volume)
	}
	return m
}

// Susceptibility returns the connected susceptibility
//
//	χ = V (⟨M²⟩ − ⟨|M|⟩²),   M = Σ_x φ(x)/V,
//
// (⟨|M|⟩ rather than ⟨M⟩, since ⟨M⟩ = 0 on a finite lattice by symmetry) with
// its binned-jackknife error over the two means ⟨M²⟩ and ⟨|M|⟩.
func Susceptibility(phi []float64, volume int, logw []float64, binSize int) Estimate {
	return susceptibility(magnetisations(phi, volume), volume, logw, binSize)
}

// susceptibility is Susceptibility from the magnetisations m.
func susceptibility(m []float64, volume int, logw []float64, binSize int) Estimate {
	m2, am := make([]float64, len(m)), make([]float64, len(m))
	for i, v := range m {
		m2[i], am[i] = v*v, math.Abs(v)
	}
	v := float64(volume)
	return derived([][]float64{m2, am}, logw, binSize, func(x []float64) float64 {
		return v * (x[0] - x[1]*x[1])
	})
}

// Binder returns the Binder cumulant
//
//	U = 1 − ⟨M⁴⟩ / (3⟨M²⟩²),
//
// with its binned-jackknife error over the means ⟨M²⟩ and ⟨M⁴⟩. U = 0 for a
// Gaussian M (symmetric phase, large volume) and U → 2/3 deep in the broken phase.
func Binder(phi []float64, volume int, logw []float64, binSize int) Estimate {
	return binder(magnetisations(phi, volume), logw, binSize)
}

// binder is Binder from the magnetisations m.
func binder(m []float64, logw []float64, binSize int) Estimate {
	m2, m4 := make([]float64, len(m)), make([]float64, len(m))
	for i, v := range m {
		m2[i] = v * v
		m4[i] = m2[i] * m2[i]
	}
	return derived([][]float64{m2, m4}, logw, binSize, func(x []float64) float64 {
		return 1 - x[1]/(3*x[0]*x[0])
	})
}

// sliceCorrelators returns, per configuration c, the slice correlators
//
//	C_c(t) = (1/L_t) Σ_τ φ̄_c(τ) φ̄_c(τ+t),   t = 0 … L_t−1 (τ+t mod L_t),
//
// with φ̄_c(τ) the average of φ_c over the sites whose coordinate along axis is
// τ. corr[t][c] = C_c(t).
func sliceCorrelators(phi []float64, lat *lattice.Lattice, axis int) (corr [][]float64) {
	if lat == nil || axis < 0 || axis >= lat.Dim() {
		panic(fmt.Sprintf("observable: axis %d out of range for lattice %v", axis, lat))
	}
	vol := lat.Volume()
	if len(phi)%vol != 0 {
		panic(fmt.Sprintf("observable: %d values are not a whole number of configurations of volume %d", len(phi), vol))
	}
	n := len(phi) / vol
	lt := lat.Shape()[axis]
	vs := float64(vol / lt)
	slice := make([]int, vol) // slice[i] = coordinate of site i along axis
	for i := range slice {
		slice[i] = lat.Coords(i)[axis]
	}
	corr = make([][]float64, lt)
	for t := range corr {
		corr[t] = make([]float64, n)
	}
	bar := make([]float64, lt)
	for c := 0; c < n; c++ {
		clear(bar)
		for i, p := range phi[c*vol : (c+1)*vol] {
			bar[slice[i]] += p
		}
		for tau := range bar {
			bar[tau] /= vs
		}
		for t := 0; t < lt; t++ {
			var s float64
			for tau := 0; tau < lt; tau++ {
				s += bar[tau] * bar[(tau+t)%lt]
			}
			corr[t][c] = s / float64(lt)
		}
	}
	return corr
}

// TwoPoint returns the connected two-point function at zero momentum along
// the given axis of lat (the "time" direction, extent L_t; V_s = V/L_t the
// volume of a time slice), for t = 0 … L_t−1:
//
//	φ̄(τ) = (1/V_s) Σ_{x: x_axis = τ} φ(x),
//	G(t) = V_s [ ⟨(1/L_t) Σ_τ φ̄(τ) φ̄(τ+t)⟩ − ⟨M⟩² ],
//
// periodic in τ+t. By translation invariance the first term equals
// Σ_{y_s} ⟨φ(0,0) φ(t,y_s)⟩ = (1/V) Σ_x Σ_{y: y_axis = x_axis + t} ⟨φ(x)φ(y)⟩,
// the propagator projected to zero spatial momentum; for the free field
// K = κ(−Δ) + m² it is G(t) = (1/L_t) Σ_{k} e^{ikt}/(κ·4sin²(k/2) + m²),
// k = 2πj/L_t. The subtraction uses the plain mean ⟨M⟩ (≈ 0 in the symmetric
// phase). Errors: binned jackknife over the means ⟨C(t)⟩ and ⟨M⟩ for each t.
func TwoPoint(phi []float64, lat *lattice.Lattice, axis int, logw []float64, binSize int) []Estimate {
	return twoPoint(sliceCorrelators(phi, lat, axis), magnetisations(phi, lat.Volume()), lat.Volume(), logw, binSize)
}

// twoPoint is TwoPoint from the slice correlators and the magnetisations
// of configurations of volume sites.
func twoPoint(corr [][]float64, m []float64, volume int, logw []float64, binSize int) []Estimate {
	vs := float64(volume / len(corr))
	out := make([]Estimate, len(corr))
	for t := range corr {
		out[t] = derived([][]float64{corr[t], m}, logw, binSize, func(x []float64) float64 {
			return vs * (x[0] - x[1]*x[1])
		})
	}
	return out
}

// EffectiveMass returns the cosh effective mass along axis, for t = 0 … L_t−1,
//
//	m_eff(t) = arccosh[ (G(t−1) + G(t+1)) / (2 G(t)) ],
//
// with G of TwoPoint and t±1 taken modulo L_t. For G(t) = A cosh(m(t − L_t/2))
// (a single state, periodic) this is m exactly for 1 ≤ t ≤ L_t−1; for the free
// field it is arccosh(1 + m²/(2κ)) exactly at every such t. Entry t = 0 is
// always NaN (the cosh form does not continue through the source, the ratio
// is < 1 there). Where the argument of arccosh is below 1 (or not finite),
// m_eff is NaN; if that happens in any jackknife sample the error is NaN.
// Errors: binned jackknife over the means ⟨C(t−1)⟩, ⟨C(t)⟩, ⟨C(t+1)⟩, ⟨M⟩.
func EffectiveMass(phi []float64, lat *lattice.Lattice, axis int, logw []float64, binSize int) []Estimate {
	return effectiveMass(sliceCorrelators(phi, lat, axis), magnetisations(phi, lat.Volume()), logw, binSize)
}

// effectiveMass is EffectiveMass from the slice correlators and the
// magnetisations.
func effectiveMass(corr [][]float64, m []float64, logw []float64, binSize int) []Estimate {
	lt := len(corr)
	out := make([]Estimate, lt)
	out[0] = Estimate{Mean: math.NaN(), Err: math.NaN()}
	for t := 1; t < lt; t++ {
		series := [][]float64{corr[t-1], corr[t], corr[(t+1)%lt], m}
		out[t] = derived(series, logw, binSize, func(x []float64) float64 {
			mm := x[3] * x[3]
			return effMass(x[0]-mm, x[1]-mm, x[2]-mm)
		})
	}
	return out
}

// effMass returns arccosh[(gm + gp)/(2 g)], NaN where the argument is < 1 or
// not finite.
func effMass(gm, g, gp float64) float64 {
	r := (gm + gp) / (2 * g)
	if !(r >= 1) || math.IsInf(r, 0) {
		return math.NaN()
	}
	return math.Acosh(r)
}
