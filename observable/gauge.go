package observable

import (
	"math/cmplx"
	"slices"

	"github.com/normflow/normflow-go/gauge"
	"github.com/normflow/normflow-go/lattice"
)

// GaugeNames lists the observables of Gauge in print order.
var GaugeNames = []string{"plaquette", "Q2", "chi_t", "Q", "absP"}

// GaugeReport collects the observables of an ensemble of U(1) link
// configurations in d = 2, 3, 4 (the charge observables in 2-d only).
type GaugeReport struct {
	N           int                 `json:"n"`
	Shape       []int               `json:"shape"` // lattice [L₀, …, L_{d−1}]; configurations are [d, L₀, …, L_{d−1}]
	Reweighted  bool                `json:"reweighted"`
	Observables map[string]Estimate `json:"observables"`
	// TauInt of the per-configuration series Q, Q² (2-d) and the mean
	// plaquette (chains only).
	TauInt map[string]TauInt `json:"tau_int,omitempty"`
	ErrorAnalysis
}

// Gauge measures, on link configurations theta [n, d·V] of the lattice lat
// of d = 2, 3 or 4 axes (package gauge; docs/conventions.md §3),
//
//	plaquette = ⟨cos θ_P⟩ (average over all d(d−1)/2 · V plaquettes),
//
// and in 2-d only
//
//	Q2 = ⟨Q²⟩, Q the topological charge (1/2π) Σ_x wrap(θ_P(x)), rounded,
//	chi_t = ⟨Q²⟩/V, the topological susceptibility,
//	Q = ⟨Q⟩ (zero by symmetry),
//
// in d > 2 only
//
//	absP = ⟨|P|⟩, P the spatially averaged Polyakov loop along the last
//	axis (gauge.Geometry.Polyakov),
//	W_RxT = ⟨W(R, T)⟩, R ≤ T ≤ K = min(DefaultLoops, LoopsAllowed(lat)),
//	the rectangular Wilson loops (gauge.Geometry.WilsonLoops),
//
// with errors as in Measure: the reweighted binned jackknife for raw flow
// samples (logw = log p − log q), for a chain (logw = nil) the Γ-method with
// τ_int of Q, Q² and the plaquette, or the binned jackknife when binSize > 0.
func Gauge(theta []float64, lat *lattice.Lattice, logw []float64, binSize int) (*GaugeReport, error) {
	s, err := NewGaugeSeries(lat)
	if err != nil {
		return nil, err
	}
	s.Add(theta)
	return s.Measure(logw, binSize), nil
}

// GaugeSeries holds the per-configuration topological charge (2-d only;
// Q stays empty in d > 2) and mean plaquette of link configurations, added chunk by chunk (as ScalarSeries
// does for scalar fields): Measure then gives what Gauge gives on all the
// configurations at once, bit for bit.
type GaugeSeries struct {
	g       *gauge.Geometry
	Q, Plaq []float64
	AbsP    []float64 // |P| of the Polyakov loop, d > 2 only
	// W[R−1][T−1] are the series of W(R, T), R ≤ T ≤ K, d > 2 only.
	W     [][][]float64
	loops int // K, 0 in 2-d
}

// NewGaugeSeries starts the series of link configurations on the lattice
// lat (2 to 4 axes).
func NewGaugeSeries(lat *lattice.Lattice) (*GaugeSeries, error) {
	g, err := gauge.NewGeometry(lat)
	if err != nil {
		return nil, err
	}
	s := &GaugeSeries{g: g}
	if g.Dim() > 2 {
		s.loops = max(0, min(DefaultLoops, LoopsAllowed(lat)))
		s.W = make([][][]float64, s.loops)
		for r := range s.W {
			s.W[r] = make([][]float64, s.loops)
		}
	}
	return s, nil
}

// Add appends the series of link configurations theta [k, d·V].
func (s *GaugeSeries) Add(theta []float64) {
	q, plaq := s.g.Series(theta)
	s.Q, s.Plaq = append(s.Q, q...), append(s.Plaq, plaq...)
	if s.g.Dim() > 2 {
		f := s.g.FieldSize()
		for b := range len(plaq) {
			c := theta[b*f : (b+1)*f]
			s.AbsP = append(s.AbsP, cmplx.Abs(s.g.Polyakov(c)))
			if s.loops == 0 {
				continue
			}
			w, err := s.g.WilsonLoops(c, s.loops)
			if err != nil {
				panic(err) // s.loops is below every extent
			}
			for r := range s.loops {
				for t := r; t < s.loops; t++ {
					s.W[r][t] = append(s.W[r][t], w[r][t])
				}
			}
		}
	}
}

// Len is the number of configurations added.
func (s *GaugeSeries) Len() int { return len(s.Plaq) }

// Grow makes room for n more configurations (ScalarSeries.Grow).
func (s *GaugeSeries) Grow(n int) {
	if s.g.Dim() == 2 {
		s.Q = slices.Grow(s.Q, n)
	} else {
		s.AbsP = slices.Grow(s.AbsP, n)
	}
	s.Plaq = slices.Grow(s.Plaq, n)
}

// Measure is Gauge on the configurations added.
func (s *GaugeSeries) Measure(logw []float64, binSize int) *GaugeReport {
	n := len(s.Plaq)
	r := &GaugeReport{N: n, Shape: s.g.Lattice().Shape(), Reweighted: logw != nil, Observables: map[string]Estimate{}}
	series := map[string][]float64{"plaquette": s.Plaq}
	if s.g.Dim() != 2 { // no topological charge (docs/conventions.md §3.4)
		series["absP"] = s.AbsP
		for r := range s.loops {
			for t := r; t < s.loops; t++ {
				series[LoopName(r+1, t+1)] = s.W[r][t]
			}
		}
		r.Observables, r.TauInt, r.ErrorAnalysis = primaryEstimates(n, series, logw, binSize)
		return r
	}
	q2 := make([]float64, n)
	for i, v := range s.Q {
		q2[i] = v * v
	}
	series["Q2"], series["Q"] = q2, s.Q
	r.Observables, r.TauInt, r.ErrorAnalysis = primaryEstimates(n, series, logw, binSize)
	qq := r.Observables["Q2"]
	vol := float64(s.g.Volume())
	r.Observables["chi_t"] = Estimate{Mean: qq.Mean / vol, Err: qq.Err / vol}
	return r
}
