package gauge

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/lattice"
)

// plaquetteByCoords walks the plaquette in the plane (mu, nu) at the site
// of coordinates x of a lattice of shape sh, by coordinates:
// U_μ(x) U_ν(x+μ̂) U_μ(x+ν̂)* U_ν(x)* (docs/conventions.md §3).
func plaquetteByCoords(theta []float64, sh []int, mu, nu int, x []int) float64 {
	v := 1
	for _, l := range sh {
		v *= l
	}
	idx := func(dir int, shift ...int) int {
		i := 0
		for a, l := range sh {
			c := x[a]
			for _, s := range shift {
				if s == a {
					c++
				}
			}
			i = i*l + c%l
		}
		return dir*v + i
	}
	return theta[idx(mu)] + theta[idx(nu, mu)] - theta[idx(mu, nu)] - theta[idx(nu)]
}

// TestPlaquettesByCoordinates: in d = 2, 3, 4 on non-cubic lattices, the
// plaquettes [batch, P, V] (plane by plane, planes μ < ν in lexicographic
// order), S and the mean plaquette against loops walked by coordinates.
func TestPlaquettesByCoordinates(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 11))
	for _, sh := range [][]int{{3, 5}, {2, 3, 4}, {3, 1, 2}, {2, 3, 2, 4}, {2, 2, 2, 2}} {
		lat := lattice.MustNew(sh...)
		w, err := NewWilson(lat, 0.9)
		if err != nil {
			t.Fatal(err)
		}
		d, v := len(sh), lat.Volume()
		np := d * (d - 1) / 2
		if w.FieldSize() != d*v || w.NumPlaquettes() != np*v || len(w.Planes()) != np {
			t.Fatalf("%v: field size %d, %d plaquettes in %d planes; want %d, %d, %d", lat, w.FieldSize(), w.NumPlaquettes(), len(w.Planes()), d*v, np*v, np)
		}
		const batch = 2
		theta := randomAngles(r, batch*d*v)
		p := make([]float64, batch*np*v)
		w.Plaquettes(theta, p)
		s := make([]float64, batch)
		w.Eval(theta, s)
		for b := range batch {
			c := theta[b*d*v : (b+1)*d*v]
			var sum float64
			pl := 0
			for mu := range d {
				for nu := mu + 1; nu < d; nu++ {
					if w.Planes()[pl] != [2]int{mu, nu} {
						t.Fatalf("%v: plane %d is %v, want (%d, %d)", lat, pl, w.Planes()[pl], mu, nu)
					}
					for x := range v {
						want := plaquetteByCoords(c, sh, mu, nu, lat.Coords(x))
						if got := p[b*np*v+pl*v+x]; !(math.Abs(got-want) <= 1e-14) {
							t.Fatalf("%v: plaquette (%d,%d) at %v = %g, loop %g", lat, mu, nu, lat.Coords(x), got, want)
						}
						sum += math.Cos(want)
					}
					pl++
				}
			}
			if !(math.Abs(s[b]+0.9*sum) <= 1e-12) {
				t.Fatalf("%v: S = %g, want %g", lat, s[b], -0.9*sum)
			}
			if mp := w.MeanPlaquette(c); !(math.Abs(mp-sum/float64(np*v)) <= 1e-14) {
				t.Fatalf("%v: mean plaquette %g, want %g", lat, mp, sum/float64(np*v))
			}
		}
	}
}

// TestWilsonGradDims: ∂S/∂θ against central finite differences in 3-d and
// 4-d (each link in 2(d−1) plaquettes).
func TestWilsonGradDims(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 12))
	for _, sh := range [][]int{{2, 3, 2}, {2, 2, 3, 2}} {
		lat := lattice.MustNew(sh...)
		w, _ := NewWilson(lat, 1.3)
		f := w.FieldSize()
		const batch = 2
		theta := randomAngles(r, batch*f)
		g := make([]float64, len(theta))
		w.Grad(theta, g)
		s := make([]float64, batch)
		const h = 1e-6
		for i := range theta {
			old := theta[i]
			theta[i] = old + h
			w.Eval(theta, s)
			sp := s[i/f]
			theta[i] = old - h
			w.Eval(theta, s)
			sm := s[i/f]
			theta[i] = old
			if fd := (sp - sm) / (2 * h); !(math.Abs(fd-g[i]) <= 1e-7*(1+math.Abs(fd))) {
				t.Errorf("%v: ∂S/∂θ[%d] = %.10g, finite difference %.10g", lat, i, g[i], fd)
			}
		}
	}
}

// TestGaugeInvarianceDims: in 3-d and 4-d every plaquette (exactly up to
// rounding) and S are unchanged by a random gauge transformation α [V].
func TestGaugeInvarianceDims(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 13))
	for _, sh := range [][]int{{3, 2, 4}, {2, 3, 2, 3}} {
		lat := lattice.MustNew(sh...)
		w, _ := NewWilson(lat, 2)
		v := lat.Volume()
		for range 10 {
			theta := randomAngles(r, w.FieldSize())
			alpha := randomAngles(r, v)
			gt := append([]float64(nil), theta...)
			w.Transform(gt, alpha)
			for i := range w.NumPlaquettes() {
				if d := w.Plaquette(gt, i) - w.Plaquette(theta, i); !(math.Abs(d) <= 1e-13) {
					t.Fatalf("%v: plaquette %d changed by %g", lat, i, d)
				}
			}
			s, gs := make([]float64, 1), make([]float64, 1)
			w.Eval(theta, s)
			w.Eval(gt, gs)
			if !(math.Abs(s[0]-gs[0]) <= 1e-12) {
				t.Fatalf("%v: S = %g, after a gauge transformation %g", lat, s[0], gs[0])
			}
		}
	}
}

// TestGeometryDims: d = 1 and d = 5 are refused with a one-line error; the
// 2-d-only charge is refused in 4-d (panic), and Series has no Q there.
func TestGeometryDims(t *testing.T) {
	for _, sh := range [][]int{{4}, {2, 2, 2, 2, 2}} {
		_, err := NewGeometry(lattice.MustNew(sh...))
		if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "2 to 4") {
			t.Errorf("%v: error %v, want one line naming 2 to 4 axes", sh, err)
		}
	}
	g, err := NewGeometry(lattice.MustNew(2, 2, 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	theta := make([]float64, 3*g.FieldSize())
	q, plaq := g.Series(theta)
	if q != nil || len(plaq) != 3 || plaq[0] != 1 {
		t.Errorf("4-d Series of cold configurations: Q %v, plaquette %v; want nil and 1s", q, plaq)
	}
	defer func() {
		if recover() == nil {
			t.Error("4-d Charge did not panic")
		}
	}()
	g.Charge(theta[:g.FieldSize()])
}

// TestPolyakov: |P| = 1 on a cold configuration and on one with constant
// θ_{d−1} = c (P = e^{i L_t c}); on random 3-d and 4-d configurations P
// equals a loop walked by coordinates and is unchanged by a random gauge
// transformation.
func TestPolyakov(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 14))
	for _, sh := range [][]int{{3, 2, 4}, {2, 3, 2, 3}} {
		lat := lattice.MustNew(sh...)
		g, _ := NewGeometry(lat)
		d, v := len(sh), lat.Volume()
		lt := sh[d-1]
		theta := make([]float64, d*v)
		if p := g.Polyakov(theta); !(cmplx.Abs(p-1) <= 1e-15) {
			t.Errorf("%v: cold P = %v, want 1", lat, p)
		}
		for x := range v {
			theta[(d-1)*v+x] = 0.3
		}
		if p, want := g.Polyakov(theta), cmplx.Rect(1, 0.3*float64(lt)); !(cmplx.Abs(p-want) <= 1e-14) {
			t.Errorf("%v: P = %v with θ_{d−1} = 0.3, want %v", lat, p, want)
		}
		theta = randomAngles(r, d*v)
		var want complex128
		vs := v / lt
		for xs := range vs { // sites are row-major: x = xs·L_t + t
			var phase float64
			for tt := range lt {
				phase += theta[(d-1)*v+xs*lt+tt]
			}
			want += cmplx.Rect(1, phase)
		}
		want /= complex(float64(vs), 0)
		p := g.Polyakov(theta)
		if !(cmplx.Abs(p-want) <= 1e-13) {
			t.Errorf("%v: P = %v, loop by coordinates %v", lat, p, want)
		}
		g.Transform(theta, randomAngles(r, v))
		if gp := g.Polyakov(theta); !(cmplx.Abs(gp-p) <= 1e-12) {
			t.Errorf("%v: P = %v, after a gauge transformation %v", lat, p, gp)
		}
	}
}

// TestWilsonLoops: in 3-d and 4-d, W(1, 1) is the mean plaquette, w is
// symmetric, W(R, T) equals loops walked by coordinates and is unchanged by
// a random gauge transformation; cold configurations give 1; sizes out of
// range are errors.
func TestWilsonLoops(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 15))
	for _, sh := range [][]int{{3, 4, 4}, {3, 3, 4, 3}} {
		lat := lattice.MustNew(sh...)
		g, _ := NewGeometry(lat)
		d, v := len(sh), lat.Volume()
		theta := randomAngles(r, d*v)
		w, err := g.WilsonLoops(theta, 2)
		if err != nil {
			t.Fatal(err)
		}
		if mp := g.MeanPlaquette(theta); !(math.Abs(w[0][0]-mp) <= 1e-14) {
			t.Errorf("%v: W(1,1) = %g, mean plaquette %g", lat, w[0][0], mp)
		}
		if !(math.Abs(w[0][1]-w[1][0]) <= 1e-14) {
			t.Errorf("%v: W(1,2) = %g, W(2,1) = %g", lat, w[0][1], w[1][0])
		}
		// W(1, 2) by coordinates: R = 1 along μ, T = 2 along ν.
		at := func(mu int, c []int) float64 {
			i := 0
			for a, l := range sh {
				i = i*l + ((c[a]%l)+l)%l
			}
			return theta[mu*v+i]
		}
		var s float64
		for x := range v {
			c := lat.Coords(x)
			for mu := range d {
				for nu := range d {
					if mu == nu {
						continue
					}
					step := func(c []int, dir, k int) []int {
						e := append([]int(nil), c...)
						e[dir] += k
						return e
					}
					a := at(mu, c) + at(nu, step(c, mu, 1)) + at(nu, step(step(c, mu, 1), nu, 1)) -
						at(mu, step(c, nu, 2)) - at(nu, step(c, nu, 1)) - at(nu, c)
					s += math.Cos(a)
				}
			}
		}
		if want := s / float64(d*(d-1)*v); !(math.Abs(w[0][1]-want) <= 1e-13) {
			t.Errorf("%v: W(1,2) = %g, by coordinates %g", lat, w[0][1], want)
		}
		g.Transform(theta, randomAngles(r, v))
		gw, _ := g.WilsonLoops(theta, 2)
		for i := range 2 {
			for j := range 2 {
				if !(math.Abs(gw[i][j]-w[i][j]) <= 1e-12) {
					t.Errorf("%v: W(%d,%d) = %g, after a gauge transformation %g", lat, i+1, j+1, w[i][j], gw[i][j])
				}
			}
		}
		cold, _ := g.WilsonLoops(make([]float64, d*v), 2)
		if cold[1][1] != 1 {
			t.Errorf("%v: cold W(2,2) = %g", lat, cold[1][1])
		}
		if _, err := g.WilsonLoops(theta, 3); err == nil {
			t.Errorf("%v: loops of size 3 accepted with a smallest extent 3", lat)
		}
	}
}
