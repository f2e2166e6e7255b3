package observable

import (
	"fmt"
	"math"
	"math/cmplx"
	"slices"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/sun"
)

// Observables of SU(N) configurations (docs/architecture.md §7.10, field
// kinds sun_matrices and sun_links of §7.5; docs/sun.md §2 for the layout): a
// configuration is a flat []float64 of interleaved (re, im) pairs, the
// complex128 matrices [sites…, N, N] (independent matrices) or
// [d, sites…, N, N] (links). The series are kept per configuration, chunk
// by chunk, as ScalarSeries and GaugeSeries keep theirs.

// MatrixNames lists the observables of independent SU(N) matrices in print
// order: ⟨(1/N) Re Tr U⟩, ⟨(1/N) Re Tr U²⟩ and ⟨|Tr U|²⟩.
var MatrixNames = []string{"trU", "trU2", "absTrU2"}

// LinkNames lists the observables SUNSeries measures on SU(N) links: the
// plaquette ⟨(1/N) Re Tr U_μν⟩ (LinkSeries adds Wilson loops, the Polyakov
// loop and, in 4-d, the clover charge: LinkSeries.Names).
var LinkNames = []string{"plaquette"}

// SUNTolerance is how far from SU(N) a matrix read from a file may be
// (sun.UnitarityError: max |(U†U − 1)_ij| and |det U − 1|): round-off of
// float64 arithmetic is ~1e-14, of complex64 data ~1e-7.
const SUNTolerance = 1e-6

// SUNReport collects the observables of an ensemble of SU(N) configurations.
type SUNReport struct {
	N      int   `json:"n"`
	Shape  []int `json:"shape"` // the lattice; configurations are [shape…, N, N] or [d, shape…, N, N]
	ColorN int   `json:"color_n"`
	// Links says that the configurations are links (else independent
	// matrices).
	Links       bool                `json:"links"`
	Reweighted  bool                `json:"reweighted"`
	Observables map[string]Estimate `json:"observables"`
	// TauInt of every per-configuration series (chains only).
	TauInt map[string]TauInt `json:"tau_int,omitempty"`
	ErrorAnalysis
}

// SUNSeries holds the per-configuration series of SU(N) configurations on
// a lattice: for independent matrices the averages over the lattice's
// matrices of (1/N) Re Tr U, (1/N) Re Tr U² and |Tr U|² (TrU, TrU2,
// AbsTrU2); for links the average plaquette (1/N) Re Tr U_μν(x) over the
// sites x and the planes μ < ν (Plaq).
type SUNSeries struct {
	lat   *lattice.Lattice
	n     int
	links bool
	// Series of independent matrices.
	TrU, TrU2, AbsTrU2 []float64
	// Series of links.
	Plaq []float64
	// Scratch: one configuration as complex numbers, and the plaquette's
	// products.
	conf, a, b []complex128
}

// NewSUNSeries starts the series of SU(n) configurations on lat: links
// (one matrix per site and direction; lat needs two axes or more for a
// plaquette) or independent matrices (one per site; lat may have no axes,
// one matrix). n ≥ 2.
func NewSUNSeries(lat *lattice.Lattice, n int, links bool) (*SUNSeries, error) {
	switch {
	case n < 2:
		return nil, fmt.Errorf("SU(N) with N = %d: want N ≥ 2", n)
	case links && lat.Dim() < 2:
		return nil, fmt.Errorf("SU(%d) links on the %d-d lattice %v: the plaquette needs at least 2 axes", n, lat.Dim(), lat.Shape())
	}
	return &SUNSeries{lat: lat, n: n, links: links, a: make([]complex128, n*n), b: make([]complex128, n*n)}, nil
}

// Values is the number of float64 values of one configuration: 2N² per
// matrix.
func (s *SUNSeries) Values() int {
	m := s.lat.Volume()
	if s.links {
		m *= s.lat.Dim()
	}
	return 2 * s.n * s.n * m
}

// Len is the number of configurations added.
func (s *SUNSeries) Len() int {
	if s.links {
		return len(s.Plaq)
	}
	return len(s.TrU)
}

// Grow makes room for n more configurations.
func (s *SUNSeries) Grow(n int) {
	if s.links {
		s.Plaq = slices.Grow(s.Plaq, n)
		return
	}
	s.TrU, s.TrU2, s.AbsTrU2 = slices.Grow(s.TrU, n), slices.Grow(s.TrU2, n), slices.Grow(s.AbsTrU2, n)
}

// Add appends the series of the configurations u [k, Values()]. A length
// that is not a whole number of configurations, a non-finite value, or a
// matrix farther than SUNTolerance from SU(N) is an error naming the
// configuration (counted from the first added) and the matrix; then
// nothing of u is added.
func (s *SUNSeries) Add(u []float64) error {
	v := s.Values()
	if len(u)%v != 0 {
		return fmt.Errorf("%d values are not a whole number of configurations of %d", len(u), v)
	}
	if err := s.check(u); err != nil {
		return err
	}
	for c := range len(u) / v {
		conf := s.complexConf(u[c*v : (c+1)*v])
		if s.links {
			s.Plaq = append(s.Plaq, s.plaquette(conf))
			continue
		}
		tr, tr2, abs2 := s.traces(conf)
		s.TrU, s.TrU2, s.AbsTrU2 = append(s.TrU, tr), append(s.TrU2, tr2), append(s.AbsTrU2, abs2)
	}
	return nil
}

// complexConf is the interleaved pairs x of one configuration as complex
// numbers, in a buffer reused from call to call (a copy: the package does
// not depend on the memory layout of complex128).
func (s *SUNSeries) complexConf(x []float64) []complex128 {
	if len(s.conf) != len(x)/2 {
		s.conf = make([]complex128, len(x)/2)
	}
	for i := range s.conf {
		s.conf[i] = complex(x[2*i], x[2*i+1])
	}
	return s.conf
}

// check checks that u holds finite values and matrices in SU(N).
func (s *SUNSeries) check(u []float64) error {
	return checkSU(u, s.n, s.Values()/(2*s.n*s.n), s.Len(), "matrix")
}

// checkSU checks that u holds finite values and matrices in SU(n), per
// matrices (what: "matrix" or "link") a configuration; first is the index
// of u's first configuration in the messages.
func checkSU(u []float64, n, per, first int, what string) error {
	nn := n * n
	m := make([]complex128, nn)
	for k := range len(u) / (2 * nn) {
		x := u[2*nn*k : 2*nn*(k+1)]
		for i := range m {
			re, im := x[2*i], x[2*i+1]
			if math.IsNaN(re) || math.IsInf(re, 0) || math.IsNaN(im) || math.IsInf(im, 0) {
				return fmt.Errorf("configuration %d, %s %d: entry (%d, %d) = (%g, %g) is not finite", first+k/per, what, k%per, i/n, i%n, re, im)
			}
			m[i] = complex(re, im)
		}
		if e := sun.UnitarityError(m); !(e <= SUNTolerance) {
			return fmt.Errorf("configuration %d, %s %d is not in SU(%d): max |U†U − 1|, |det U − 1| = %.3g (tolerance %g)", first+k/per, what, k%per, n, e, SUNTolerance)
		}
	}
	return nil
}

// traces are the averages over the matrices of one configuration of
// (1/N) Re Tr U, (1/N) Re Tr U² = (1/N) Re Σ_ij U_ij U_ji and |Tr U|².
func (s *SUNSeries) traces(conf []complex128) (tr, tr2, abs2 float64) {
	n, nn := s.n, s.n*s.n
	count := len(conf) / nn
	for k := range count {
		u := conf[k*nn : (k+1)*nn]
		t := sun.Trace(u)
		var t2 complex128
		for i := range n {
			for j := range n {
				t2 += u[i*n+j] * u[j*n+i]
			}
		}
		tr += real(t)
		tr2 += real(t2)
		abs2 += real(t)*real(t) + imag(t)*imag(t)
	}
	f := float64(count)
	return tr / (float64(n) * f), tr2 / (float64(n) * f), abs2 / f
}

// plaquette is the average of (1/N) Re Tr U_μν(x) over the sites x and the
// planes μ < ν of one link configuration [d, V, N, N], with
// U_μν(x) = U_μ(x) U_ν(x+μ̂) U_μ(x+ν̂)† U_ν(x)† (Wilson, Phys. Rev. D 10
// (1974) 2445).
func (s *SUNSeries) plaquette(conf []complex128) float64 {
	lat, nn := s.lat, s.n*s.n
	vol, d := lat.Volume(), lat.Dim()
	link := func(mu, x int) []complex128 { return conf[(mu*vol+x)*nn : (mu*vol+x+1)*nn] }
	var sum float64
	for mu := range d {
		for nu := mu + 1; nu < d; nu++ {
			for x := range vol {
				sun.Mul(s.a, link(mu, x), link(nu, lat.Fwd(mu, x))) // U_μ(x) U_ν(x+μ̂)
				sun.MulAdj(s.b, s.a, link(mu, lat.Fwd(nu, x)))      // … U_μ(x+ν̂)†
				sum += real(traceMulAdj(s.b, link(nu, x), s.n))     // Tr(… U_ν(x)†)
			}
		}
	}
	planes := d * (d - 1) / 2
	return sum / (float64(s.n) * float64(planes*vol))
}

// traceMulAdj is Tr(A B†) = Σ_ij A_ij conj(B_ij) of n×n matrices.
func traceMulAdj(a, b []complex128, n int) complex128 {
	var t complex128
	for i := range n * n {
		t += a[i] * cmplx.Conj(b[i])
	}
	return t
}

// series are the per-configuration series by observable name.
func (s *SUNSeries) series() map[string][]float64 {
	if s.links {
		return map[string][]float64{"plaquette": s.Plaq}
	}
	return map[string][]float64{"trU": s.TrU, "trU2": s.TrU2, "absTrU2": s.AbsTrU2}
}

// Measure gives the means of the series with errors, as GaugeSeries.Measure
// does: for raw flow samples (logw = log p − log q) reweighted, with
// binned-jackknife errors; for a chain (logw nil) the Γ-method with τ_int
// of every series, or the binned jackknife when binSize > 0
// (docs/conventions.md §7.5).
func (s *SUNSeries) Measure(logw []float64, binSize int) *SUNReport {
	n := s.Len()
	r := &SUNReport{N: n, Shape: s.lat.Shape(), ColorN: s.n, Links: s.links, Reweighted: logw != nil, Observables: map[string]Estimate{}}
	series := s.series()
	r.Observables, r.TauInt, r.ErrorAnalysis = primaryEstimates(n, series, logw, binSize)
	return r
}
