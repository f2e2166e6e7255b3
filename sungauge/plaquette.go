package sungauge

import (
	"fmt"

	"github.com/normflow/normflow-go/sun"
)

// Plaquettes, staples and gauge transformations of one configuration u
// [d·V, N, N] (docs/sun.md §10.1). Scratch matrices live on the stack
// ([9]complex128 holds N ≤ 3), so none of these allocate.

// Plaquette sets dst to the untraced plaquette
//
//	U_μν(x) = U_μ(x) U_ν(x+μ̂) U_μ(x+ν̂)† U_ν(x)†,
//
// the parallel transporter around the elementary square at x in the (μ, ν)
// plane, starting and ending at x (μ ≠ ν; U_νμ(x) = U_μν(x)†).
func (g *Geometry) Plaquette(dst, u []complex128, mu, nu, x int) {
	var t [9]complex128
	tm := t[:g.n*g.n]
	sun.Mul(tm, g.U(u, mu, x), g.U(u, nu, g.fwd[mu][x]))
	sun.MulAdj(tm, tm, g.U(u, mu, g.fwd[nu][x]))
	sun.MulAdj(dst, tm, g.U(u, nu, x))
}

// reTrPlaquettes is Σ_{μ<ν} Re Tr U_μν(x) at one site.
func (g *Geometry) reTrPlaquettes(u []complex128, x int) float64 {
	var t [9]complex128
	tm := t[:g.n*g.n]
	var s float64
	for mu := range g.d {
		for nu := mu + 1; nu < g.d; nu++ {
			g.Plaquette(tm, u, mu, nu, x)
			s += real(sun.Trace(tm))
		}
	}
	return s
}

// Staple sets dst to the staple sum of link (μ, x),
//
//	Σ_μ(x) = Σ_{ν≠μ} [ U_ν(x+μ̂) U_μ(x+ν̂)† U_ν(x)† + U_ν(x+μ̂−ν̂)† U_μ(x−ν̂)† U_ν(x−ν̂) ],
//
// defined so that U_μ(x) Σ_μ(x) is the sum of the 2(d−1) untraced
// plaquettes that contain the link, each starting at x with U_μ(x): the
// "up" term is U_μν(x), the "down" term is U_μν(x−ν̂)† conjugated to start at
// x, and both have the real trace of a plaquette of the action. Hence the
// Wilson action depends on U_μ(x) through −(β/N) Re Tr(U_μ(x) Σ_μ(x)).
func (g *Geometry) Staple(dst, u []complex128, mu, x int) {
	var t, s [9]complex128
	n2 := g.n * g.n
	tm, sm := t[:n2], s[:n2]
	clear(dst)
	xm := g.fwd[mu][x]
	for nu := range g.d {
		if nu == mu {
			continue
		}
		// up: U_ν(x+μ̂) U_μ(x+ν̂)† U_ν(x)†
		sun.MulAdj(tm, g.U(u, nu, xm), g.U(u, mu, g.fwd[nu][x]))
		sun.MulAdj(sm, tm, g.U(u, nu, x))
		for i := range sm {
			dst[i] += sm[i]
		}
		// down: (U_μ(x−ν̂) U_ν(x+μ̂−ν̂))† U_ν(x−ν̂)
		y := g.bwd[nu][x]
		sun.Mul(tm, g.U(u, mu, y), g.U(u, nu, g.bwd[nu][xm]))
		sun.AdjMul(sm, tm, g.U(u, nu, y))
		for i := range sm {
			dst[i] += sm[i]
		}
	}
}

// Transform applies the gauge transformation Ω [V, N, N] (one SU(N) matrix
// per site) to one configuration u [d·V, N, N] in place:
//
//	U_μ(x) → Ω(x) U_μ(x) Ω(x+μ̂)†.
//
// Plaquettes transform by conjugation, U_μν(x) → Ω(x) U_μν(x) Ω(x)†, so
// their traces, the Wilson action and every closed Wilson loop are
// invariant.
func (g *Geometry) Transform(u, omega []complex128) {
	n2 := g.n * g.n
	if len(u) != g.Links()*n2 || len(omega) != g.v*n2 {
		panic(fmt.Sprintf("sungauge: Transform with %d and %d matrix elements, want d·V·N² = %d and V·N² = %d",
			len(u), len(omega), g.Links()*n2, g.v*n2))
	}
	for mu := range g.d {
		for x := range g.v {
			l := g.U(u, mu, x)
			sun.Mul(l, sun.Mat(omega, x, g.n), l)
			sun.MulAdj(l, l, sun.Mat(omega, g.fwd[mu][x], g.n))
		}
	}
}
