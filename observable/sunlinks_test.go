package observable

import (
	"math"
	"math/cmplx"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/internal/within"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/sungauge"
)

// The series are sungauge's functions of each configuration, bit for bit
// and for any GOMAXPROCS; a random local SU(N) gauge transformation of
// every configuration changes no series by more than 1e-12 (d = 2, 3, 4,
// N = 2, 3, Haar links).
func TestLinkSeriesIsSungauge(t *testing.T) {
	for _, c := range []struct {
		shape     []int
		n, loops  int
		wantNames []string
	}{
		{[]int{4, 3}, 2, 2, []string{"plaquette", "W_1x1", "W_1x2", "W_2x2", "absP", "chi_P"}},
		{[]int{3, 4, 3}, 3, 1, []string{"plaquette", "W_1x1", "absP", "chi_P"}},
		{[]int{3, 3, 3, 4}, 3, 2, []string{"plaquette", "W_1x1", "W_1x2", "W_2x2", "absP", "chi_P", "Q", "Q2", "chi_Q"}},
		{[]int{2, 2, 2, 2}, 2, 0, []string{"plaquette", "absP", "chi_P", "Q", "Q2", "chi_Q"}},
	} {
		lat := lattice.MustNew(c.shape...)
		const k = 6
		u := haarConfigurations(k, lat.Dim()*lat.Volume(), c.n, 5)
		series := func(u []float64, procs int) *LinkSeries {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			s, err := NewLinkSeries(lat, c.n, c.loops)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Add(u[:2*s.Values()]); err != nil { // in two pieces
				t.Fatal(err)
			}
			if err := s.Add(u[2*s.Values():]); err != nil {
				t.Fatal(err)
			}
			return s
		}
		s, s4 := series(u, 1), series(u, 4)
		if !slices.Equal(s.Names(), c.wantNames) {
			t.Errorf("%v: names %v, want %v", c.shape, s.Names(), c.wantNames)
		}
		g := s.Geometry()
		v := s.Values()
		for i := range k {
			f := u[i*v : (i+1)*v]
			want := []float64{g.MeanPlaquette(f), cmplx.Abs(g.Polyakov(f))}
			got := []float64{s.Plaq[i], s.AbsP[i]}
			if c.loops > 0 {
				w, _ := g.WilsonLoops(f, c.loops)
				for j, rt := range s.Loops {
					want, got = append(want, w[rt[0]-1][rt[1]-1]), append(got, s.W[j][i])
				}
			}
			if lat.Dim() == 4 {
				q, _ := g.TopologicalCharge(f)
				want, got = append(want, q), append(got, s.Q[i])
			}
			if !slices.Equal(got, want) {
				t.Errorf("%v configuration %d: series %v, sungauge %v", c.shape, i, got, want)
			}
		}
		for name, x := range s.series() {
			if y := s4.series()[name]; !slices.Equal(x, y) {
				t.Errorf("%v: %s differs on 4 threads", c.shape, name)
			}
		}
		tr := series(gaugeTransform(u, lat, c.n, 9), 2)
		for name, x := range s.series() {
			for i, y := range tr.series()[name] {
				if math.Abs(x[i]-y) > 1e-12 {
					t.Errorf("%v %s[%d]: %v, gauge transformed %v", c.shape, name, i, x[i], y)
				}
			}
		}
	}
}

// Haar links: the plaquette, every Wilson loop and Q average to 0 within
// 4σ (each loop holds every link once); χ_P is sungauge's
// PolyakovSusceptibility, χ_Q = ⟨Q²⟩/V; reweighting with equal weights
// and --bin give the same means.
func TestLinkSeriesMeasureHaar(t *testing.T) {
	lat := lattice.MustNew(3, 3, 3, 3)
	s, err := NewLinkSeries(lat, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	const k = 600
	if err := s.Add(haarConfigurations(k, 4*lat.Volume(), 2, 3)); err != nil {
		t.Fatal(err)
	}
	r := s.Measure(nil, 0)
	if r.N != k || !r.Links || r.Dim != 4 || r.Loops != 2 || r.ColorN != 2 || len(r.TauInt) != 7 {
		t.Errorf("report %+v", r)
	}
	for _, name := range []string{"plaquette", "W_1x1", "W_1x2", "W_2x2", "Q"} {
		e := r.Observables[name]
		within.Sigmas(t, "Haar "+name, e.Mean, 0, e.Err, 4)
	}
	chi := sungauge.PolyakovSusceptibility(s.AbsP, lat.Volume()/3)
	if e := r.Observables["chi_P"]; e.Mean != chi.Mean || e.Err != chi.Err || !(e.Err > 0) {
		t.Errorf("chi_P %v, sungauge %v ± %v", e, chi.Mean, chi.Err)
	}
	if q2, chiQ := r.Observables["Q2"], r.Observables["chi_Q"]; chiQ.Mean != q2.Mean/81 || chiQ.Err != q2.Err/81 || !(q2.Mean > 0) {
		t.Errorf("chi_Q %v, Q2 %v", chiQ, q2)
	}
	rw := s.Measure(make([]float64, k), 0)
	binned := s.Measure(nil, 10)
	for _, name := range s.Names() {
		a, b, c := r.Observables[name], rw.Observables[name], binned.Observables[name]
		if math.Abs(a.Mean-b.Mean) > 1e-12*(1+math.Abs(a.Mean)) || math.Abs(a.Mean-c.Mean) > 1e-12*(1+math.Abs(a.Mean)) || !(b.Err > 0 && c.Err > 0) {
			t.Errorf("%s: chain %v, reweighted w = 1 %v, bin 10 %v", name, a, b, c)
		}
	}
}

// Bad input: a loop size outside 0 … smallest extent − 1, a 1-d or 5-d
// lattice, N outside {2, 3}, a matrix outside SU(N); nothing is added.
func TestLinkSeriesRejects(t *testing.T) {
	lat := lattice.MustNew(4, 3)
	for _, c := range []struct {
		lat  *lattice.Lattice
		n, k int
		want string
	}{
		{lat, 2, 3, "Wilson loops up to 3: allowed 0 … 2"},
		{lat, 2, -1, "Wilson loops up to -1"},
		{lattice.MustNew(4), 2, 0, "1 axes"},
		{lattice.MustNew(2, 2, 2, 2, 2), 2, 0, "5 axes"},
		{lat, 4, 1, "n = 4"},
	} {
		if _, err := NewLinkSeries(c.lat, c.n, c.k); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewLinkSeries(%v, %d, %d): %v, want %q", c.lat.Shape(), c.n, c.k, err, c.want)
		}
	}
	s, _ := NewLinkSeries(lat, 3, 1)
	u := haarConfigurations(3, 24, 3, 1)
	u[s.Values()+5*18+4] *= 1.01 // configuration 1, link 5
	if err := s.Add(u); err == nil || !strings.Contains(err.Error(), "configuration 1, link 5 is not in SU(3)") || s.Len() != 0 {
		t.Errorf("Add: %v, %d added", err, s.Len())
	}
	u[s.Values()+5*18+4] = math.Inf(1)
	if err := s.Add(u); err == nil || !strings.Contains(err.Error(), "configuration 1, link 5: entry (0, 2) = (") {
		t.Errorf("Add: %v", err)
	}
}
