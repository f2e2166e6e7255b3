package flow

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/normflow/normflow-go/gauge"
	"github.com/normflow/normflow-go/lattice"
)

// dimScale is the scale of random conditioner parameters in d dimensions
// that gives the pre-activations of the 2-d tests at scale s2: the first
// layer's fan-in is 3^d·d(d−1) (kernel 3, 2P channels), 18 in 2-d; at s2
// itself the 4-d splines come out with bins of width ~e⁻¹⁶, whose inverse
// loses most digits (docs/conventions.md §5.18).
func dimScale(lat *lattice.Lattice, s2 float64) float64 {
	d := lat.Dim()
	return s2 * math.Sqrt(18/(math.Pow(3, float64(d))*float64(d*(d-1))))
}

// TestGaugeCouplingDimsContract: in 3-d and 4-d (docs/conventions.md §3),
// for every direction μ (stripes along ν = μ+1 mod d) at offsets 0 and 1:
// inverse, log-Jacobian against the brute-force determinant of the
// finite-difference Jacobian, and VJPs (input and every parameter, forward
// and inverse), random conditioner parameters, on small lattices
// (4³; V = 32: 96 and 128 links).
func TestGaugeCouplingDimsContract(t *testing.T) {
	r := rand.New(rand.NewPCG(91, 92))
	for _, shape := range [][]int{{4, 4, 4}, {4, 2, 4}, {2, 4, 2, 2}} {
		lat := lattice.MustNew(shape...)
		for mu := range lat.Dim() {
			for off := range 2 {
				// -short: 4×2×4 at offset 1 and the 4-d μ = 3 (σ = −1:
				// the plane (0, 3)) at offset 1, about 6 s; all 24 about 40 s.
				if testing.Short() && !(off == 1 && (len(shape) == 3 && shape[1] == 2 || len(shape) == 4 && mu == 3)) {
					continue
				}
				t.Run(fmt.Sprintf("%v/mu%d/off%d", lat, mu, off), func(t *testing.T) {
					l := gaugeLayer(t, lat, mu, off, 4, uint64(10*mu+off))
					randomize(l, r, dimScale(lat, 0.5))
					const batch = 2
					x := randomLinks(r, batch*lat.Dim()*lat.Volume())
					checkInverse(t, l, x, batch, 1e-10)
					checkLogJ(t, l, x, batch, 1e-6)
					checkVJP(t, l, x, batch, r, 1e-5)
				})
			}
		}
	}
}

// TestGaugeCouplingDimsMasks: on 4³ and 4⁴, for every (μ, offset): the
// active plaquettes lie in the plane (μ, μ+1 mod d) and contain exactly one
// updated link, the frozen ones (of every plane) none, and every plaquette
// without an updated link is frozen or active; forward leaves the other
// links and the frozen plaquettes unchanged; the 4d layers of a cycle
// (μ = k mod d, offset ⌊k/d⌋ mod 4, config buildGauge) update every link
// exactly once.
func TestGaugeCouplingDimsMasks(t *testing.T) {
	r := rand.New(rand.NewPCG(93, 94))
	for _, shape := range [][]int{{4, 4, 4}, {4, 4, 4, 4}} {
		lat := lattice.MustNew(shape...)
		geo, err := gauge.NewGeometry(lat)
		if err != nil {
			t.Fatal(err)
		}
		d, v, np := lat.Dim(), lat.Volume(), geo.NumPlaquettes()
		count := make([]int, d*v)
		for k := range 4 * d {
			mu, off := k%d, (k/d)%GaugeStripe
			l := gaugeLayer(t, lat, mu, off, 5, uint64(k))
			randomize(l, r, dimScale(lat, 0.5))
			upd := map[int]bool{}
			for _, i := range l.ActiveLinks() {
				upd[i] = true
				count[i]++
			}
			nupd := func(p int) (n int) {
				for _, i := range geo.Links(p) {
					if upd[i] {
						n++
					}
				}
				return n
			}
			active, frozen := map[int]bool{}, map[int]bool{}
			plane := [2]int{min(mu, (mu+1)%d), max(mu, (mu+1)%d)}
			for _, p := range l.activeP {
				active[p] = true
				if geo.Planes()[p/v] != plane || nupd(p) != 1 {
					t.Errorf("%v mu=%d off=%d: active plaquette %d in plane %v with %d updated links, want %v and 1", lat, mu, off, p, geo.Planes()[p/v], nupd(p), plane)
				}
			}
			for _, p := range l.FrozenPlaquettes() {
				frozen[p] = true
			}
			for p := range np {
				if n := nupd(p); (frozen[p] && n != 0) || (!frozen[p] && !active[p] && n == 0) {
					t.Errorf("%v mu=%d off=%d: plaquette %d (frozen %v) has %d updated links", lat, mu, off, p, frozen[p], n)
				}
			}
			x := randomLinks(r, d*v)
			y := make([]float64, d*v)
			l.Forward(nil, x, y, make([]float64, 1))
			for i := range x {
				if !upd[i] && y[i] != x[i] {
					t.Errorf("%v mu=%d off=%d: link %d not updated but changed", lat, mu, off, i)
				}
			}
			for p := range frozen {
				if dp := gauge.Wrap(geo.Plaquette(y, p) - geo.Plaquette(x, p)); !(math.Abs(dp) <= 1e-10) {
					t.Errorf("%v mu=%d off=%d: frozen plaquette %d changed by %g", lat, mu, off, p, dp)
				}
			}
		}
		for i, c := range count {
			if c != 1 {
				t.Errorf("%v: link %d updated %d times in one cycle of %d layers, want 1", lat, i, c, 4*d)
			}
		}
	}
}

// TestGaugeCouplingDimsEquivariant: on 4⁴, a random gauge transformation
// before a cycle of 16 layers (μ = k mod 4, offset ⌊k/4⌋) equals the same
// transformation after it, to 1e-10, and leaves logJ unchanged, forward and
// inverse; the cycle is invertible mod 2π with logJ forward + inverse = 0.
func TestGaugeCouplingDimsEquivariant(t *testing.T) {
	r := rand.New(rand.NewPCG(95, 96))
	lat := lattice.MustNew(4, 4, 4, 4)
	geo, _ := gauge.NewGeometry(lat)
	v, f := lat.Volume(), geo.FieldSize()
	var layers []Layer
	for k := range 16 {
		l := gaugeLayer(t, lat, k%4, k/4, 6, uint64(k))
		randomize(l, r, dimScale(lat, 0.1))
		layers = append(layers, l)
	}
	seq := NewSequence(layers...)
	for _, inverse := range []bool{false, true} {
		const batch = 2
		x := randomLinks(r, batch*f)
		gx := append([]float64(nil), x...)
		alphas := randomLinks(r, batch*v)
		for b := range batch {
			geo.Transform(gx[b*f:(b+1)*f], alphas[b*v:(b+1)*v])
		}
		y, lj := pass(seq, inverse, nil, x, batch)
		gy, glj := pass(seq, inverse, nil, gx, batch)
		for b := range batch {
			geo.Transform(y[b*f:(b+1)*f], alphas[b*v:(b+1)*v])
		}
		var worst float64
		for i := range y {
			worst = max(worst, math.Abs(y[i]-gy[i]))
		}
		if worst > 1e-10 {
			t.Errorf("inverse=%v: |f(gθ) − g f(θ)| = %.3g > 1e-10", inverse, worst)
		}
		for b := range lj {
			if !(math.Abs(lj[b]-glj[b]) <= 1e-10) {
				t.Errorf("inverse=%v: logJ %g vs %g after a gauge transformation", inverse, lj[b], glj[b])
			}
		}
	}
	x := randomLinks(r, 2*f)
	y, lf := pass(seq, false, nil, x, 2)
	xr, li := pass(seq, true, nil, y, 2)
	for i := range x {
		if dx := gauge.Wrap(xr[i] - x[i]); !(math.Abs(dx) <= 1e-10) {
			t.Fatalf("inverse(forward(θ))[%d] − θ = %g (mod 2π)", i, dx)
		}
	}
	for b := range lf {
		if !(math.Abs(lf[b]+li[b]) <= 1e-9*(1+math.Abs(lf[b]))) {
			t.Errorf("logJ forward %g + inverse %g ≠ 0", lf[b], li[b])
		}
	}
}
