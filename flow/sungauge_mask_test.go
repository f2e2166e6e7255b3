package flow

import (
	"math"
	"slices"
	"testing"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/rng"
	"github.com/normflow/normflow-go/sun"
	"github.com/normflow/normflow-go/sungauge"
)

func sunGeo(t *testing.T, n int, shape ...int) *sungauge.Geometry {
	t.Helper()
	g, err := sungauge.NewGeometry(lattice.MustNew(shape...), n)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// haarLinks is a Haar-random configuration [d, sites…, N, N, 2].
func haarLinks(g *sungauge.Geometry, seed uint64) []float64 {
	f := make([]float64, g.FieldSize())
	s := rng.New(seed)
	sun.HaarField(sun.Complex(f), g.ColorN(), &s)
	return f
}

func haarOmega(g *sungauge.Geometry, seed uint64) []complex128 {
	om := make([]complex128, g.Volume()*g.ColorN()*g.ColorN())
	s := rng.New(seed, 1)
	sun.HaarField(om, g.ColorN(), &s)
	return om
}

// TestSUNGaugeMaskCover: on 2-d, 3-d and 4-d lattices, the masks (μ,
// ν = μ+1 mod d, offsets 0 … period−1) update every link exactly once per
// cycle of d·period layers, and each leaves some plaquettes frozen (in 2-d,
// with period 4, those of the stripes x_ν ≡ offset + 1, offset + 2; with
// period 2 none); bad directions, periods, offsets and extents are one-line
// errors.
func TestSUNGaugeMaskCover(t *testing.T) {
	for _, c := range []struct {
		sh     []int
		period int
	}{{[]int{4, 4}, 4}, {[]int{4, 8}, 4}, {[]int{4, 4, 4}, 4}, {[]int{4, 4, 4, 4}, 4}, {[]int{2, 2}, 2}, {[]int{2, 2, 2, 2}, 2}} {
		sh := c.sh
		g := sunGeo(t, 2, sh...)
		d := g.Dim()
		count := make([]int, g.Links())
		for mu := range d {
			for off := range c.period {
				m, err := NewSUNGaugeMask(g, mu, (mu+1)%d, c.period, off)
				if err != nil {
					t.Fatal(err)
				}
				frozen := 0
				for p := range m.Planes() {
					for x := range g.Volume() {
						if m.Frozen(p, x) {
							frozen++
						}
					}
				}
				if frozen == 0 && (d > 2 || c.period == 4) {
					t.Errorf("%v mask (%d, %d): no frozen plaquettes", sh, mu, off)
				}
				for _, x := range m.Active() {
					count[g.Link(mu, x)]++
				}
			}
		}
		for k, c := range count {
			if c != 1 {
				t.Fatalf("%v: link %d updated %d times per cycle, want 1", sh, k, c)
			}
		}
	}
	g := sunGeo(t, 3, 4, 6, 4)
	for _, c := range []struct{ mu, nu, period, off int }{{0, 0, 4, 0}, {0, 3, 4, 0}, {-1, 1, 4, 0}, {0, 1, 4, 4}, {0, 1, 4, -1}, {0, 1, 3, 0}, {0, 1, 2, 2}} {
		if _, err := NewSUNGaugeMask(g, c.mu, c.nu, c.period, c.off); err == nil {
			t.Errorf("mask (%d, %d, %d, %d): no error", c.mu, c.nu, c.period, c.off)
		}
	}
	if _, err := NewSUNGaugeMask(g, 2, 1, 4, 0); err == nil {
		t.Error("stripes along an extent of 6: no error")
	} else {
		t.Log(err)
	}
}

// TestSUNGaugeFeatures: the features are gauge invariant (1e-12), do not
// change when an updated link changes, and do change when a link of a
// frozen plaquette changes.
func TestSUNGaugeFeatures(t *testing.T) {
	for _, n := range []int{2, 3} {
		g := sunGeo(t, n, 4, 4, 4)
		m, err := NewSUNGaugeMask(g, 1, 2, 4, 3)
		if err != nil {
			t.Fatal(err)
		}
		f := haarLinks(g, 1)
		a := make([]float64, m.FeatureChannels()*g.Volume())
		b := slices.Clone(a)
		m.Features(f, a)
		c := slices.Clone(f)
		g.Transform(sun.Complex(c), haarOmega(g, 2))
		m.Features(c, b)
		for i := range a {
			if math.Abs(a[i]-b[i]) > 1e-12 {
				t.Fatalf("SU(%d): feature %d changes from %g to %g under a gauge transformation", n, i, a[i], b[i])
			}
		}
		c = slices.Clone(f)
		u := sun.Complex(c)
		r := haarOmega(g, 3)[:n*n]
		for _, x := range m.Active() {
			l := g.U(u, 1, x)
			sun.Mul(l, r, l)
		}
		m.Features(c, b)
		if !slices.Equal(a, b) {
			t.Errorf("SU(%d): features depend on the updated links", n)
		}
		l := g.U(u, 0, 0) // U_0(0) lies in frozen plaquettes of the (0, 2) and (0, 3)… planes
		sun.Mul(l, r, l)
		m.Features(c, b)
		if slices.Equal(a, b) {
			t.Errorf("SU(%d): features do not see a frozen link", n)
		}
	}
}

// spectralParams draws N(0, σ²) spectral parameters [NumParams, V].
func spectralParams(sp *sun.Spectral, v int, sigma float64, seed uint64) []float64 {
	s := rng.New(seed, 9)
	p := make([]float64, sp.NumParams()*v)
	for i := range p {
		p[i] = sigma * s.Norm()
	}
	return p
}

// TestSUNGaugeUpdate: zero parameters are the identity; with N(0, 0.5²)
// parameters the inverse undoes the forward map (1e-12) and the
// log-Jacobians cancel, the active plaquettes become h(W), every other link
// and every frozen plaquette is unchanged, and the update commutes with
// random local SU(N) transformations (1e-10), on 2-d and 4-d lattices.
func TestSUNGaugeUpdate(t *testing.T) {
	for _, c := range []struct {
		n     int
		shape []int
	}{{2, []int{4, 4}}, {3, []int{4, 4}}, {3, []int{2, 4, 2, 4}}} {
		g := sunGeo(t, c.n, c.shape...)
		d := g.Dim()
		nu := 0 // stripes along an extent of 4
		if d == 4 {
			nu = 1
		}
		m, err := NewSUNGaugeMask(g, d-1, nu, 4, 2)
		if err != nil {
			t.Fatal(err)
		}
		features := 0
		if c.n == 3 {
			features = 2
		}
		sp := sun.NewSpectral(c.n, 6, features)
		f := haarLinks(g, 4)
		zero := slices.Clone(f)
		if lj := m.Update(sp, zero, make([]float64, sp.NumParams()*g.Volume()), false); math.Abs(lj) > 1e-13 || maxDiff(zero, f) > 1e-14 {
			t.Errorf("SU(%d) %v: zero parameters move links by %g, logJ %g", c.n, c.shape, maxDiff(zero, f), lj)
		}
		par := spectralParams(sp, g.Volume(), 0.5, 5)
		y := slices.Clone(f)
		lj := m.Update(sp, y, par, false)
		back := slices.Clone(y)
		ljInv := m.Update(sp, back, par, true)
		t.Logf("SU(%d) %v: logJ %.6f, round trip %.1e, logJ + logJ_inv = %.1e", c.n, c.shape, lj, maxDiff(back, f), lj+ljInv)
		if maxDiff(back, f) > 1e-12 || math.Abs(lj+ljInv) > 1e-11 || lj == 0 {
			t.Errorf("SU(%d) %v: round trip %g, logJ %g + %g", c.n, c.shape, maxDiff(back, f), lj, ljInv)
		}
		// the active plaquettes are h(W); nothing else changes
		u, uy := sun.Complex(f), sun.Complex(y)
		n2 := c.n * c.n
		w, wy, hw := make([]complex128, n2), make([]complex128, n2), make([]complex128, n2)
		isActive := make([]bool, g.Volume())
		np := sp.NumParams()
		pp := make([]float64, np)
		for _, x := range m.Active() {
			isActive[x] = true
			g.Plaquette(w, u, m.Mu, m.Nu, x)
			g.Plaquette(wy, uy, m.Mu, m.Nu, x)
			for k := range pp {
				pp[k] = par[k*g.Volume()+x]
			}
			sp.Forward(hw, w, pp)
			if e := maxDiffC(wy, hw); e > 1e-13 {
				t.Errorf("SU(%d) %v: active plaquette at %d is %g from h(W)", c.n, c.shape, x, e)
			}
		}
		for mu := range d {
			for x := range g.Volume() {
				if mu == m.Mu && isActive[x] {
					continue
				}
				if e := maxDiffC(g.U(u, mu, x), g.U(uy, mu, x)); e != 0 {
					t.Errorf("SU(%d) %v: link (%d, %d) not in the mask changed by %g", c.n, c.shape, mu, x, e)
				}
			}
		}
		for p, pl := range m.Planes() {
			for x := range g.Volume() {
				if m.Frozen(p, x) {
					g.Plaquette(w, u, pl[0], pl[1], x)
					g.Plaquette(wy, uy, pl[0], pl[1], x)
					if e := maxDiffC(w, wy); e > 1e-14 {
						t.Errorf("frozen plaquette (%v, %d) changed by %g", pl, x, e)
					}
				}
			}
		}
		// equivariance: f(ΩU) = Ω f(U)
		om := haarOmega(g, 6)
		gx := slices.Clone(f)
		g.Transform(sun.Complex(gx), om)
		ljg := m.Update(sp, gx, par, false)
		yg := slices.Clone(y)
		g.Transform(sun.Complex(yg), om)
		if e := maxDiff(gx, yg); e > 1e-10 || math.Abs(ljg-lj) > 1e-10 {
			t.Errorf("SU(%d) %v: not equivariant: links differ by %g, logJ by %g", c.n, c.shape, e, ljg-lj)
		}
	}
}

// TestSUNGaugeUpdateLogJ: logJ equals Σ_active log|det J_x| with J_x the
// (N²−1)×(N²−1) central-difference Jacobian (h = 1e-6) of updated link x in
// the left charts U → e^{iωT}U, U′ → e^{iω′T}U′ (where Haar measure has the
// same density at ω = 0 on both sides; the full Jacobian is block
// triangular, other links' outputs not depending on x): to 1e-7, forward and
// inverse.
func TestSUNGaugeUpdateLogJ(t *testing.T) {
	for _, n := range []int{2, 3} {
		g := sunGeo(t, n, 4, 4)
		m, err := NewSUNGaugeMask(g, 0, 1, 4, 1)
		if err != nil {
			t.Fatal(err)
		}
		features := 0
		if n == 3 {
			features = 2
		}
		sp := sun.NewSpectral(n, 6, features)
		par := spectralParams(sp, g.Volume(), 0.5, 7)
		f := haarLinks(g, 8)
		na, n2 := n*n-1, n*n
		gens := sun.Generators(n)
		for _, inverse := range []bool{false, true} {
			y0 := slices.Clone(f)
			lj := m.Update(sp, y0, par, inverse)
			var sum float64
			x0, e, om := make([]complex128, n2), make([]complex128, n2), make([]complex128, n2)
			for _, x := range m.Active() {
				jac := make([]float64, na*na)
				for a := range na {
					const h = 1e-6
					var cols [2][]float64
					for si, sg := range []float64{1, -1} {
						c := slices.Clone(f)
						for i, v := range gens[a] {
							x0[i] = complex(0, sg*h) * v
						}
						sun.Exp(e, x0)
						l := g.U(sun.Complex(c), 0, x)
						sun.Mul(l, e, l)
						m.Update(sp, c, par, inverse)
						sun.MulAdj(om, g.U(sun.Complex(c), 0, x), g.U(sun.Complex(y0), 0, x))
						cols[si] = make([]float64, na)
						sun.AlgebraCoeffs(cols[si], om)
					}
					for b := range na {
						jac[b*na+a] = (cols[0][b] - cols[1][b]) / (2 * h)
					}
				}
				sum += math.Log(math.Abs(detReal(jac, na)))
			}
			t.Logf("SU(%d) inverse=%v: logJ = %.9f, Σ log|det J| = %.9f", n, inverse, lj, sum)
			if math.Abs(lj-sum) > 1e-7 {
				t.Errorf("SU(%d) inverse=%v: logJ %.10f, finite differences %.10f", n, inverse, lj, sum)
			}
		}
	}
}

// detReal is the determinant of a k×k matrix by Gaussian elimination with
// partial pivoting.
func detReal(a []float64, k int) float64 {
	m := slices.Clone(a)
	det := 1.0
	for c := range k {
		p := c
		for r := c + 1; r < k; r++ {
			if math.Abs(m[r*k+c]) > math.Abs(m[p*k+c]) {
				p = r
			}
		}
		if p != c {
			for j := range k {
				m[c*k+j], m[p*k+j] = m[p*k+j], m[c*k+j]
			}
			det = -det
		}
		det *= m[c*k+c]
		for r := c + 1; r < k; r++ {
			q := m[r*k+c] / m[c*k+c]
			for j := c; j < k; j++ {
				m[r*k+j] -= q * m[c*k+j]
			}
		}
	}
	return det
}

func maxDiff(a, b []float64) float64 {
	var e float64
	for i := range a {
		e = math.Max(e, math.Abs(a[i]-b[i]))
	}
	return e
}

func maxDiffC(a, b []complex128) float64 {
	var e float64
	for i := range a {
		e = math.Max(e, math.Hypot(real(a[i]-b[i]), imag(a[i]-b[i])))
	}
	return e
}
