package observable

import (
	"fmt"
	"math/cmplx"
	"runtime"
	"slices"
	"sync"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/sungauge"
)

// Observables of SU(N) lattice gauge fields (field kind sun_links,
// docs/architecture.md §7.10; the definitions are docs/sun.md §10.4): per
// configuration [d, sites…, N, N] (interleaved (re, im) pairs) the mean
// plaquette, the rectangular Wilson loops W(R, T) for 1 ≤ R ≤ T ≤ K, the
// modulus of the Polyakov loop along the last axis and, in four
// dimensions, the naive clover topological charge Q. The numbers are those
// of package sungauge's functions of one configuration.

// DefaultLoops is the default largest Wilson loop size K measured.
const DefaultLoops = 2

// LoopsAllowed is the largest Wilson loop size on lat: one below the
// smallest extent (a longer loop would wind around the torus); 0 when an
// extent is 1.
func LoopsAllowed(lat *lattice.Lattice) int {
	return slices.Min(lat.Shape()) - 1
}

// LoopName is the observable name of W(R, T): "W_RxT".
func LoopName(r, t int) string { return fmt.Sprintf("W_%dx%d", r, t) }

// LinkSeries holds the per-configuration series of SU(N) link
// configurations on a lattice of 2, 3 or 4 axes, added chunk by chunk as
// SUNSeries and GaugeSeries keep theirs: Plaq the mean plaquette
// (sungauge.Geometry.MeanPlaquette), W[i] the Wilson loop W(R, T) of the
// i-th pair of Loops (WilsonLoops, averaged over both orientations, so
// W(T, R) = W(R, T) and only R ≤ T is kept), AbsP the modulus |P| of the
// Polyakov loop along the last axis (Polyakov) and, for d = 4, Q the
// clover topological charge (TopologicalCharge; nil otherwise).
type LinkSeries struct {
	g     *sungauge.Geometry
	loops int
	// Loops lists the (R, T), R ≤ T ≤ K, of the series W, in order.
	Loops [][2]int
	Plaq  []float64
	W     [][]float64
	AbsP  []float64
	Q     []float64
}

// NewLinkSeries starts the series of SU(n) link configurations on lat (2, 3
// or 4 axes; n = 2 or 3, as package sungauge allows) with Wilson loops up
// to loops × loops; loops = 0 measures none (W(1, 1) is the plaquette
// anyway), otherwise it must lie in 1 … LoopsAllowed(lat).
func NewLinkSeries(lat *lattice.Lattice, n, loops int) (*LinkSeries, error) {
	g, err := sungauge.NewGeometry(lat, n)
	if err != nil {
		return nil, err
	}
	if allowed := LoopsAllowed(lat); loops < 0 || loops > allowed {
		return nil, fmt.Errorf("Wilson loops up to %d: allowed 0 … %d on lattice %v (below its smallest extent)", loops, allowed, lat.Shape())
	}
	s := &LinkSeries{g: g, loops: loops}
	for r := 1; r <= loops; r++ {
		for t := r; t <= loops; t++ {
			s.Loops = append(s.Loops, [2]int{r, t})
		}
	}
	s.W = make([][]float64, len(s.Loops))
	if g.Dim() == 4 {
		s.Q = []float64{}
	}
	return s, nil
}

// Geometry is the link geometry of the series.
func (s *LinkSeries) Geometry() *sungauge.Geometry { return s.g }

// MaxLoop is K, the largest Wilson loop size measured.
func (s *LinkSeries) MaxLoop() int { return s.loops }

// Values is the number of float64 values of one configuration, d·V·2N².
func (s *LinkSeries) Values() int { return s.g.FieldSize() }

// Len is the number of configurations added.
func (s *LinkSeries) Len() int { return len(s.Plaq) }

// Grow makes room for n more configurations.
func (s *LinkSeries) Grow(n int) {
	s.Plaq, s.AbsP = slices.Grow(s.Plaq, n), slices.Grow(s.AbsP, n)
	for i := range s.W {
		s.W[i] = slices.Grow(s.W[i], n)
	}
	if s.Q != nil {
		s.Q = slices.Grow(s.Q, n)
	}
}

// linkValues are the numbers of one configuration.
type linkValues struct {
	plaq, absP, q float64
	w             []float64
}

// Add appends the series of the configurations u [k, Values()]. A length
// that is not a whole number of configurations, a non-finite value, or a
// matrix farther than SUNTolerance from SU(N) is an error naming the
// configuration (counted from the first added) and the link; then nothing
// of u is added. The configurations are measured on up to GOMAXPROCS
// goroutines, each independently, so the series do not depend on it.
func (s *LinkSeries) Add(u []float64) error {
	v := s.Values()
	if len(u)%v != 0 {
		return fmt.Errorf("%d values are not a whole number of configurations of %d", len(u), v)
	}
	k := len(u) / v
	if err := checkSU(u, s.g.ColorN(), s.g.Links(), s.Len(), "link"); err != nil {
		return err
	}
	vals := make([]linkValues, k)
	each(k, func(c int) {
		f := u[c*v : (c+1)*v]
		r := &vals[c]
		r.plaq = s.g.MeanPlaquette(f)
		if s.loops > 0 {
			w, err := s.g.WilsonLoops(f, s.loops)
			if err != nil {
				panic(err) // NewLinkSeries checked the size
			}
			for _, rt := range s.Loops {
				r.w = append(r.w, w[rt[0]-1][rt[1]-1])
			}
		}
		r.absP = cmplx.Abs(s.g.Polyakov(f))
		if s.Q != nil {
			r.q, _ = s.g.TopologicalCharge(f)
		}
	})
	for _, r := range vals {
		s.Plaq, s.AbsP = append(s.Plaq, r.plaq), append(s.AbsP, r.absP)
		for i := range s.W {
			s.W[i] = append(s.W[i], r.w[i])
		}
		if s.Q != nil {
			s.Q = append(s.Q, r.q)
		}
	}
	return nil
}

// each runs f(0) … f(k−1) on up to GOMAXPROCS goroutines.
func each(k int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), k)
	if workers <= 1 {
		for i := range k {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w * k / workers; i < (w+1)*k/workers; i++ {
				f(i)
			}
		}()
	}
	wg.Wait()
}

// Names lists the observables Measure reports, in print order: plaquette,
// W_RxT (R ≤ T ≤ K), absP, chi_P and in 4-d Q, Q2, chi_Q.
func (s *LinkSeries) Names() []string {
	names := []string{"plaquette"}
	for _, rt := range s.Loops {
		names = append(names, LoopName(rt[0], rt[1]))
	}
	names = append(names, "absP", "chi_P")
	if s.Q != nil {
		names = append(names, "Q", "Q2", "chi_Q")
	}
	return names
}

// series are the per-configuration series by observable name (the
// primary observables, which get a τ_int).
func (s *LinkSeries) series() map[string][]float64 {
	m := map[string][]float64{"plaquette": s.Plaq, "absP": s.AbsP}
	for i, rt := range s.Loops {
		m[LoopName(rt[0], rt[1])] = s.W[i]
	}
	if s.Q != nil {
		q2 := make([]float64, len(s.Q))
		for i, q := range s.Q {
			q2[i] = q * q
		}
		m["Q"], m["Q2"] = s.Q, q2
	}
	return m
}

// LinkReport collects the observables of an ensemble of SU(N) links: the
// fields of SUNReport (Links true), the dimension and the largest Wilson
// loop size measured.
type LinkReport struct {
	SUNReport
	Dim   int `json:"dim"`
	Loops int `json:"loops"`
}

// Measure gives the means of the series with errors, as SUNSeries.Measure
// does: for raw flow samples (logw = log p − log q) reweighted, with
// binned-jackknife errors; for a chain (logw nil) the Γ-method with τ_int
// of every series, or the binned jackknife when binSize > 0
// (docs/conventions.md §7.5). The derived observables are
// χ_P = V_s(⟨|P|²⟩ − ⟨|P|⟩²), V_s the sites of a time slice (for a chain
// with automatic errors sungauge.PolyakovSusceptibility, the Γ-method of
// the derived quantity; otherwise the binned jackknife), and
// χ_Q = ⟨Q²⟩/V (4-d).
func (s *LinkSeries) Measure(logw []float64, binSize int) *LinkReport {
	n := s.Len()
	r := &LinkReport{Dim: s.g.Dim(), Loops: s.loops, SUNReport: SUNReport{
		N: n, Shape: s.g.Lattice().Shape(), ColorN: s.g.ColorN(), Links: true,
		Reweighted: logw != nil, Observables: map[string]Estimate{}}}
	series := s.series()
	vs := float64(s.g.SpatialVolume())
	sq := make([]float64, n)
	for i, a := range s.AbsP {
		sq[i] = a * a
	}
	chiP := func(m []float64) float64 { return vs * (m[1] - m[0]*m[0]) }
	r.Observables, r.TauInt, r.ErrorAnalysis = primaryEstimates(n, series, logw, binSize)
	switch {
	case logw != nil:
		r.Observables["chi_P"] = derived([][]float64{s.AbsP, sq}, logw, r.BinSize, chiP)
	case binSize > 0:
		r.Observables["chi_P"] = derived([][]float64{s.AbsP, sq}, nil, binSize, chiP)
	default:
		g := sungauge.PolyakovSusceptibility(s.AbsP, s.g.SpatialVolume())
		r.Observables["chi_P"] = Estimate{Mean: g.Mean, Err: g.Err}
		r.Errors = "Γ-method (chi_P: Γ-method of the derived quantity)"
	}
	if s.Q != nil {
		qq := r.Observables["Q2"]
		vol := float64(s.g.Volume())
		r.Observables["chi_Q"] = Estimate{Mean: qq.Mean / vol, Err: qq.Err / vol}
	}
	return r
}
