package observable

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/normflow/normflow-go/internal/within"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/prior"
	"github.com/normflow/normflow-go/rng"
)

// freeSamples draws n independent free-field configurations (exact
// momentum-space sampling of prior.FreeField).
func freeSamples(t *testing.T, lat *lattice.Lattice, kappa, mSq float64, n int, seed uint64) []float64 {
	t.Helper()
	ff, err := prior.NewFreeField(lat, kappa, mSq)
	if err != nil {
		t.Fatal(err)
	}
	phi := make([]float64, n*lat.Volume())
	s := rng.New(seed)
	ff.Sample(&s, phi)
	return phi
}

// exactG is the zero-momentum free propagator (1/L) Σ_k e^{ikt}/(κ 4sin²(k/2) + m²).
func exactG(l int, kappa, mSq float64, t int) float64 {
	var g float64
	for j := 0; j < l; j++ {
		k := 2 * math.Pi * float64(j) / float64(l)
		s := math.Sin(k / 2)
		g += math.Cos(k*float64(t)) / (kappa*4*s*s + mSq)
	}
	return g / float64(l)
}

// near checks an estimate against an exact value within 4σ (NaN-safe).
func near(t *testing.T, name string, e Estimate, want float64) {
	t.Helper()
	within.Sigmas(t, name, e.Mean, want, e.Err, 4)
}

// TwoPoint on a few hand-made configurations against the direct double sum
// (1/V) Σ_x Σ_{y: y_axis = x_axis+t} φ(x)φ(y) − V_s⟨M⟩², on both axes.
func TestTwoPointDirect(t *testing.T) {
	lat := lattice.MustNew(4, 3)
	r := rand.New(rand.NewPCG(3, 3))
	const n = 5
	vol := lat.Volume()
	phi := make([]float64, n*vol)
	for i := range phi {
		phi[i] = r.NormFloat64() + 0.3
	}
	for axis := 0; axis < 2; axis++ {
		lt := lat.Shape()[axis]
		vs := float64(vol / lt)
		got := TwoPoint(phi, lat, axis, nil, 1)
		if len(got) != lt {
			t.Fatalf("axis %d: %d entries, want %d", axis, len(got), lt)
		}
		var mbar float64
		for c := 0; c < n; c++ {
			for _, p := range phi[c*vol : (c+1)*vol] {
				mbar += p
			}
		}
		mbar /= float64(n * vol)
		for tt := 0; tt < lt; tt++ {
			var s float64
			for c := 0; c < n; c++ {
				cfg := phi[c*vol : (c+1)*vol]
				for x := 0; x < vol; x++ {
					cx := lat.Coords(x)
					for y := 0; y < vol; y++ {
						if lat.Coords(y)[axis] == (cx[axis]+tt)%lt {
							s += cfg[x] * cfg[y]
						}
					}
				}
			}
			want := s/float64(n*vol) - vs*mbar*mbar
			if !(math.Abs(got[tt].Mean-want) <= 1e-12*(1+math.Abs(want))) {
				t.Errorf("axis %d: G(%d) = %.15g, direct %.15g", axis, tt, got[tt].Mean, want)
			}
			if !(got[tt].Err > 0) {
				t.Errorf("axis %d: G(%d) error %g", axis, tt, got[tt].Err)
			}
		}
	}
}

// Free field: G(t) against the exact zero-momentum propagator, m_eff(t) against
// arccosh(1 + m²/(2κ)) (exact at every t ≠ 0), χ = (1 − 2/π)/m², U = 0; each
// within 4σ. Also unit weights reproduce the unweighted estimates.
func TestFreeFieldTwoPoint(t *testing.T) {
	const kappa, mSq, n = 1.0, 0.5, 20000
	lat := lattice.MustNew(8, 4)
	phi := freeSamples(t, lat, kappa, mSq, n, 11)
	for _, logw := range [][]float64{nil, make([]float64, n)} {
		g := TwoPoint(phi, lat, 0, logw, 0)
		for tt, e := range g {
			near(t, fmt.Sprintf("weighted=%v: G(%d)", logw != nil, tt), e, exactG(8, kappa, mSq, tt))
		}
		meff := EffectiveMass(phi, lat, 0, logw, 0)
		t.Logf("G = %v\nm_eff = %v", g, meff)
		if !math.IsNaN(meff[0].Mean) {
			t.Errorf("m_eff(0) = %v, want NaN", meff[0])
		}
		want := math.Acosh(1 + mSq/(2*kappa))
		for tt := 1; tt < 8; tt++ {
			near(t, fmt.Sprintf("weighted=%v: m_eff(%d)", logw != nil, tt), meff[tt], want)
		}
		// Along the short axis (L = 4): still exact.
		g1 := TwoPoint(phi, lat, 1, logw, 0)
		for tt, e := range g1 {
			near(t, fmt.Sprintf("axis 1: G(%d)", tt), e, exactG(4, kappa, mSq, tt))
		}
		chi := Susceptibility(phi, lat.Volume(), logw, 0)
		near(t, "χ", chi, (1-2/math.Pi)/mSq)
		near(t, "Binder U", Binder(phi, lat.Volume(), logw, 0), 0)
	}
	a := TwoPoint(phi, lat, 0, nil, 0)
	b := TwoPoint(phi, lat, 0, make([]float64, n), 0)
	for tt := range a {
		if !(math.Abs(a[tt].Mean-b[tt].Mean) <= 1e-12) || !(math.Abs(a[tt].Err-b[tt].Err) <= 1e-9*a[tt].Err) {
			t.Errorf("G(%d): unweighted %v, unit weights %v", tt, a[tt], b[tt])
		}
	}
}

// Reweighting: free-field samples at m_q² reweighted with
// log w = −½ (m_p² − m_q²) Σ_x φ² reproduce the propagator and m_eff at m_p².
func TestFreeFieldReweighted(t *testing.T) {
	const kappa, mq, mp, n = 1.0, 0.5, 0.6, 20000
	lat := lattice.MustNew(8, 2)
	vol := lat.Volume()
	phi := freeSamples(t, lat, kappa, mq, n, 12)
	logw := make([]float64, n)
	for c := range logw {
		var s float64
		for _, p := range phi[c*vol : (c+1)*vol] {
			s += p * p
		}
		logw[c] = -0.5 * (mp - mq) * s
	}
	for tt, e := range TwoPoint(phi, lat, 0, logw, 0) {
		near(t, fmt.Sprintf("G(%d) at m² = %g", tt, mp), e, exactG(8, kappa, mp, tt))
	}
	want := math.Acosh(1 + mp/(2*kappa))
	for tt, e := range EffectiveMass(phi, lat, 0, logw, 0)[1:] {
		near(t, fmt.Sprintf("m_eff(%d)", tt+1), e, want)
	}
	near(t, "χ", Susceptibility(phi, vol, logw, 0), (1-2/math.Pi)/mp)
}

// χ and U equal the direct formulas on the sample means (binSize 1 uses all
// data), and their jackknife errors match the delta method to within 10%.
func TestSusceptibilityBinderDirect(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	const n, vol = 50000, 3
	phi := make([]float64, n*vol)
	for i := range phi {
		phi[i] = 0.7*r.NormFloat64() + 0.2
	}
	m := magnetisations(phi, vol)
	var m1, m2, m4 float64
	for _, v := range m {
		m1 += math.Abs(v)
		m2 += v * v
		m4 += v * v * v * v
	}
	m1, m2, m4 = m1/n, m2/n, m4/n
	chi := Susceptibility(phi, vol, nil, 1)
	if want := vol * (m2 - m1*m1); !(math.Abs(chi.Mean-want) <= 1e-12*math.Abs(want)) {
		t.Errorf("χ = %.15g, direct %.15g", chi.Mean, want)
	}
	u := Binder(phi, vol, nil, 1)
	if want := 1 - m4/(3*m2*m2); !(math.Abs(u.Mean-want) <= 1e-12) {
		t.Errorf("U = %.15g, direct %.15g", u.Mean, want)
	}
	// Delta method for χ: Var[V(M² − 2 m1 |M|)]/n.
	var s, s2 float64
	for _, v := range m {
		d := vol * (v*v - 2*m1*math.Abs(v))
		s += d
		s2 += d * d
	}
	sd := math.Sqrt((s2/n - (s/n)*(s/n)) / n)
	if !(math.Abs(chi.Err-sd) <= 0.1*sd) {
		t.Errorf("χ error %g, delta method %g", chi.Err, sd)
	}
}

// effMass returns NaN below 1 and the exact value above.
func TestEffMassNaN(t *testing.T) {
	if v := effMass(1, 2, 1); !math.IsNaN(v) {
		t.Errorf("effMass(1,2,1) = %g, want NaN", v)
	}
	if v := effMass(1, 0, 1); !math.IsNaN(v) {
		t.Errorf("effMass(1,0,1) = %g, want NaN", v)
	}
	if v, want := effMass(math.Cosh(1.5), 1, math.Cosh(1.5)), 1.5; !(math.Abs(v-want) <= 1e-12) {
		t.Errorf("effMass = %g, want %g", v, want)
	}
}
