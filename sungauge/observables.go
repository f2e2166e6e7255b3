package sungauge

import (
	"fmt"
	"math"

	"github.com/normflow/normflow-go/stats"
	"github.com/normflow/normflow-go/sun"
)

// Observables of one configuration f [d, sites…, N, N, 2] (docs/sun.md
// §10.4). All are traces of closed loops, hence gauge invariant.

// one checks that f is one configuration and returns its complex view.
func (g *Geometry) one(f []float64, what string) []complex128 {
	if len(f) != g.FieldSize() {
		panic(fmt.Sprintf("sungauge: %s: %d values, want one configuration of d·V·2N² = %d", what, len(f), g.FieldSize()))
	}
	return sun.Complex(f)
}

// MeanPlaquette is the average over sites and planes μ < ν of
// (1/N) Re Tr U_μν(x); the Wilson action is S = −β V (d(d−1)/2) times it.
func (g *Geometry) MeanPlaquette(f []float64) float64 {
	u := g.one(f, "MeanPlaquette")
	var s float64
	for x := range g.v {
		s += g.reTrPlaquettes(u, x)
	}
	return s / float64(g.n*g.v*g.d*(g.d-1)/2)
}

// WilsonLoops returns w[R−1][T−1], R, T = 1 … maxSize, the rectangular
// Wilson loops
//
//	W(R, T) = ⟨(1/N) Re Tr L_μ^R(x) L_ν^T(x+Rμ̂) L_μ^R(x+Tν̂)† L_ν^T(x)†⟩,
//
// L_μ^R(x) = U_μ(x) U_μ(x+μ̂) ⋯ U_μ(x+(R−1)μ̂), averaged over the sites x and
// over every ordered pair of directions μ ≠ ν (all planes, R along either
// axis; so w is symmetric). W(1, 1) is MeanPlaquette. maxSize must be at
// least 1 and below every extent (a longer loop would wind around the
// lattice).
func (g *Geometry) WilsonLoops(f []float64, maxSize int) ([][]float64, error) {
	u := g.one(f, "WilsonLoops")
	ext := g.lat.Shape()
	smallest := ext[0]
	for _, l := range ext {
		smallest = min(smallest, l)
	}
	if maxSize < 1 || maxSize >= smallest {
		return nil, fmt.Errorf("sungauge: Wilson loops up to %d: allowed 1 … %d (below the smallest extent %d of lattice %v)", maxSize, smallest-1, smallest, g.lat)
	}
	n2 := g.n * g.n
	// line[μ][R−1] holds L_μ^R(x) for every x [V, N, N]; shift[μ][R][x] = x + Rμ̂.
	line := make([][][]complex128, g.d)
	shift := make([][][]int, g.d)
	for mu := range g.d {
		shift[mu] = make([][]int, maxSize+1)
		shift[mu][0] = make([]int, g.v)
		for x := range g.v {
			shift[mu][0][x] = x
		}
		line[mu] = make([][]complex128, maxSize)
		for r := 1; r <= maxSize; r++ {
			shift[mu][r] = make([]int, g.v)
			line[mu][r-1] = make([]complex128, g.v*n2)
			for x := range g.v {
				shift[mu][r][x] = g.fwd[mu][shift[mu][r-1][x]]
				l := sun.Mat(line[mu][r-1], x, g.n)
				if r == 1 {
					copy(l, g.U(u, mu, x))
				} else {
					sun.Mul(l, sun.Mat(line[mu][r-2], x, g.n), g.U(u, mu, shift[mu][r-1][x]))
				}
			}
		}
	}
	w := make([][]float64, maxSize)
	var a, b [9]complex128
	ta, tb := a[:n2], b[:n2]
	norm := float64(g.n * g.v * g.d * (g.d - 1))
	for r := 1; r <= maxSize; r++ {
		w[r-1] = make([]float64, maxSize)
		for t := 1; t <= maxSize; t++ {
			var s float64
			for mu := range g.d {
				for nu := range g.d {
					if nu == mu {
						continue
					}
					for x := range g.v {
						sun.Mul(ta, sun.Mat(line[mu][r-1], x, g.n), sun.Mat(line[nu][t-1], shift[mu][r][x], g.n))
						sun.Mul(tb, sun.Mat(line[nu][t-1], x, g.n), sun.Mat(line[mu][r-1], shift[nu][t][x], g.n))
						s += real(traceAdj(ta, tb)) // Tr(A B†)
					}
				}
			}
			w[r-1][t-1] = s / norm
		}
	}
	return w, nil
}

// traceAdj is Tr(a b†) = Σ_ij a_ij conj(b_ij).
func traceAdj(a, b []complex128) complex128 {
	var s complex128
	for i := range a {
		s += a[i] * complex(real(b[i]), -imag(b[i]))
	}
	return s
}

// SpatialVolume is V_s = V/L_{d−1}, the number of sites of a time slice
// (the last axis is time).
func (g *Geometry) SpatialVolume() int { return g.v / g.lat.Shape()[g.d-1] }

// Polyakov is the Polyakov loop along the last axis,
//
//	P = (1/V_s) Σ_{x_s} (1/N) Tr Π_{t=0}^{L−1} U_{d−1}(x_s, t),
//
// a complex number (its phase is a centre element direction; |P| is the
// order parameter of deconfinement).
func (g *Geometry) Polyakov(f []float64) complex128 {
	u := g.one(f, "Polyakov")
	mu := g.d - 1
	lt := g.lat.Shape()[mu]
	var p [9]complex128
	pm := p[:g.n*g.n]
	var s complex128
	for x := range g.v {
		if g.lat.Coords(x)[mu] != 0 {
			continue
		}
		copy(pm, g.U(u, mu, x))
		y := x
		for range lt - 1 {
			y = g.fwd[mu][y]
			sun.Mul(pm, pm, g.U(u, mu, y))
		}
		s += sun.Trace(pm)
	}
	return s / complex(float64(g.n*g.SpatialVolume()), 0)
}

// PolyakovSusceptibility is χ_P = V_s (⟨|P|²⟩ − ⟨|P|⟩²) from the series of
// |P| of a chain, with its Γ-method error (stats.GammaMethodDerived).
func PolyakovSusceptibility(absP []float64, spatialVolume int) stats.GammaResult {
	sq := make([]float64, len(absP))
	for i, a := range absP {
		sq[i] = a * a
	}
	return stats.GammaMethodDerived([][]float64{absP, sq}, func(m []float64) float64 {
		return float64(spatialVolume) * (m[1] - m[0]*m[0])
	}, 0)
}

// TopologicalCharge is the naive (unsmeared) clover topological charge of a
// 4-d configuration (docs/sun.md §10.4),
//
//	Q = (1/32π²) Σ_x ε_μνρσ Tr(F_μν(x) F_ρσ(x)),   F_μν = TA(Q_μν)/(4i),
//
// with Q_μν(x) the sum of the four plaquettes (clover leaves) of the (μ, ν)
// plane that start and end at x, all oriented μ → ν, and ε_0123 = +1; the
// anti-Hermitian C_μν = TA(Q_μν)/4 = iF_μν gives Q = −(1/32π²) Σ ε Tr(C C).
// For smooth fields U_μν ≈ exp(ia²F_μν) this is the continuum charge up to
// O(a²); on rough configurations it is not an integer (no smearing is
// done). It returns an error unless d = 4.
func (g *Geometry) TopologicalCharge(f []float64) (float64, error) {
	if g.d != 4 {
		return 0, fmt.Errorf("sungauge: the clover topological charge needs d = 4, not %d", g.d)
	}
	u := g.one(f, "TopologicalCharge")
	n2 := g.n * g.n
	planes := [6][2]int{{0, 1}, {2, 3}, {0, 2}, {1, 3}, {0, 3}, {1, 2}}
	var fb [6][9]complex128
	var q float64
	for x := range g.v {
		for p, pl := range planes {
			c := fb[p][:n2]
			g.clover(c, u, pl[0], pl[1], x)
			sun.TA(c, c)
			for i := range c {
				c[i] /= 4i
			}
		}
		// ε contracts to 8[Tr F01F23 − Tr F02F13 + Tr F03F12].
		q += real(traceMul(fb[0][:n2], fb[1][:n2])) - real(traceMul(fb[2][:n2], fb[3][:n2])) + real(traceMul(fb[4][:n2], fb[5][:n2]))
	}
	return 8 * q / (32 * math.Pi * math.Pi), nil
}

// traceMul is Tr(a b).
func traceMul(a, b []complex128) complex128 {
	n := sun.Dim(a)
	var s complex128
	for i := range n {
		for k := range n {
			s += a[i*n+k] * b[k*n+i]
		}
	}
	return s
}

// clover sets dst to the sum of the four leaves at x in the (μ, ν) plane,
// each a plaquette starting and ending at x, oriented μ → ν:
//
//	U_μ(x) U_ν(x+μ̂) U_μ(x+ν̂)† U_ν(x)†
//	+ U_ν(x) U_μ(x+ν̂−μ̂)† U_ν(x−μ̂)† U_μ(x−μ̂)
//	+ U_μ(x−μ̂)† U_ν(x−μ̂−ν̂)† U_μ(x−μ̂−ν̂) U_ν(x−ν̂)
//	+ U_ν(x−ν̂)† U_μ(x−ν̂) U_ν(x+μ̂−ν̂) U_μ(x)†.
func (g *Geometry) clover(dst, u []complex128, mu, nu, x int) {
	var a, b [9]complex128
	n2 := g.n * g.n
	ta, tb := a[:n2], b[:n2]
	fm, fn, bm, bn := g.fwd[mu], g.fwd[nu], g.bwd[mu], g.bwd[nu]
	g.Plaquette(dst, u, mu, nu, x)
	// leaf 2
	sun.MulAdj(ta, g.U(u, nu, x), g.U(u, mu, bm[fn[x]]))
	sun.MulAdj(ta, ta, g.U(u, nu, bm[x]))
	sun.Mul(ta, ta, g.U(u, mu, bm[x]))
	add(dst, ta)
	// leaf 3: (U_ν(x−μ̂−ν̂) U_μ(x−μ̂))† U_μ(x−μ̂−ν̂) U_ν(x−ν̂)
	y := bm[bn[x]]
	sun.Mul(tb, g.U(u, nu, y), g.U(u, mu, bm[x]))
	sun.Mul(ta, g.U(u, mu, y), g.U(u, nu, bn[x]))
	sun.AdjMul(ta, tb, ta)
	add(dst, ta)
	// leaf 4
	sun.AdjMul(ta, g.U(u, nu, bn[x]), g.U(u, mu, bn[x]))
	sun.Mul(ta, ta, g.U(u, nu, fm[bn[x]]))
	sun.MulAdj(ta, ta, g.U(u, mu, x))
	add(dst, ta)
}

func add(dst, a []complex128) {
	for i := range dst {
		dst[i] += a[i]
	}
}
