package sungauge

import (
	"fmt"
	"math"
	"sync"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/sun"
)

// minChunk is the smallest number of links (or sites) a goroutine is given:
// below it, starting goroutines costs more than it saves.
const minChunk = 128

// Wilson is the Wilson plaquette action of SU(N) lattice gauge theory
// (docs/sun.md §10.1),
//
//	S[U] = −(β/N) Σ_x Σ_{μ<ν} Re Tr U_μν(x),
//
// on batches of link configurations [batch, d, sites…, N, N, 2]. It
// implements action.Action and action.MatrixField (LinksPerSite = d),
// model.FieldSizer (d·V·2N² real variables) and the manifold methods of
// mcmc.HMC (Momenta, Force, Drift, Project, ColdStart), so the HMC of
// package mcmc samples it with momenta in su(N).
type Wilson struct {
	*Geometry
	Beta float64
}

// NewWilson returns the SU(n) Wilson action with coupling beta (finite) on
// lat (2, 3 or 4 axes; n = 2 or 3).
func NewWilson(lat *lattice.Lattice, n int, beta float64) (*Wilson, error) {
	if math.IsNaN(beta) || math.IsInf(beta, 0) {
		return nil, fmt.Errorf("sungauge: wilson action: beta = %g: must be a finite number", beta)
	}
	g, err := NewGeometry(lat, n)
	if err != nil {
		return nil, err
	}
	return &Wilson{Geometry: g, Beta: beta}, nil
}

// Eval writes S of each configuration of f [batch, d, sites…, N, N, 2] into
// out [batch]. The sites are summed in order after the per-site sums were
// computed in parallel, so the result does not depend on the threads.
func (w *Wilson) Eval(f, out []float64) {
	nb := w.batch(f, "Wilson.Eval")
	if len(out) != nb {
		panic(fmt.Sprintf("sungauge: Wilson.Eval: out has %d values for %d configurations", len(out), nb))
	}
	site := make([]float64, nb*w.v)
	parallelFor(nb*w.v, minChunk, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			site[i] = w.reTrPlaquettes(w.config(f, i/w.v), i%w.v)
		}
	})
	c := -w.Beta / float64(w.n)
	for b := range nb {
		var s float64
		for _, v := range site[b*w.v : (b+1)*w.v] {
			s += v
		}
		out[b] = c * s
	}
}

// Grad writes the gradient of S in the embedding ℂ^{N×N} of every link,
// dS/d(Re U_ij) and dS/d(Im U_ij) as (re, im) pairs in the layout of f
// (action.MatrixField). With S = −(β/N) Re Tr(U_μ(x) Σ_μ(x)) + (terms
// without U_μ(x)),
//
//	∂S/∂Re U_ij + i ∂S/∂Im U_ij = −(β/N) (Σ_μ(x)†)_ij.
//
// Only its component along the tangent space U·su(N) is meaningful; Force
// gives that component in the generator basis.
func (w *Wilson) Grad(f, df []float64) {
	nb := w.batch(f, "Wilson.Grad")
	if len(df) != len(f) {
		panic(fmt.Sprintf("sungauge: Wilson.Grad: df has %d values, f %d", len(df), len(f)))
	}
	n2, links := w.n*w.n, w.Links()
	c := complex(-w.Beta/float64(w.n), 0)
	parallelFor(nb*links, minChunk, func(lo, hi int) {
		var st [9]complex128
		s := st[:n2]
		for i := lo; i < hi; i++ {
			b, k := i/links, i%links
			u, du := w.config(f, b), w.config(df, b)
			w.Staple(s, u, k/w.v, k%w.v)
			d := sun.Mat(du, k, w.n)
			sun.Adj(d, s)
			for j := range d {
				d[j] *= c
			}
		}
	})
}

// Force writes the force of every link in the Lie algebra,
//
//	F^a_μ(x) = d/dε S[e^{iεT^a} U_μ(x)] |_{ε=0} = (β/(2N)) ω^a(U_μ(x) Σ_μ(x)),
//
// ω^a(M) = 2 Im Tr(T^a M) (sun.AlgebraCoeffs, the coefficients of TA(M)),
// into force [batch, d, sites…, N²−1] (docs/sun.md §10.1): the derivative of
// −(β/N) Re Tr(e^{iεT^a} U Σ) is −(β/N) Re Tr(iT^a UΣ) = (β/N) Im Tr(T^a UΣ).
// The move is a left multiplication, U → e^{iεT^a}U, as the HMC drift.
//
// Every plaquette is computed once (first pass, over sites), and then
//
//	U_μ(x) Σ_μ(x) = Σ_{ν≠μ} [ U_μν(x) + U_ν(x−ν̂)† U_μν(x−ν̂)† U_ν(x−ν̂) ]
//
// (the "down" plaquette conjugated to start at x), with U_νμ = U_μν†: about
// 10 matrix products per link in 4-d instead of the 25 of the staples.
func (w *Wilson) Force(f, force []float64) {
	nb := w.batch(f, "Wilson.Force")
	na, links := w.n*w.n-1, w.Links()
	if len(force) != nb*links*na {
		panic(fmt.Sprintf("sungauge: Wilson.Force: force has %d values, want %d × %d links × %d generators", len(force), nb, links, na))
	}
	c := w.Beta / float64(2*w.n)
	n2 := w.n * w.n
	planes := w.d * (w.d - 1) / 2
	per := w.v * planes * n2 // plaquette matrix elements per configuration
	bp := plaquetteBuffers.Get().(*[]complex128)
	if cap(*bp) < nb*per {
		*bp = make([]complex128, nb*per)
	}
	plaq := (*bp)[:nb*per]
	// plaquette (μ < ν) of site x of configuration b is matrix (b·V + x)·planes + plane(μ, ν)
	parallelFor(nb*w.v, minChunk, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			u := w.config(f, i/w.v)
			x, k := i%w.v, i*planes
			for mu := range w.d {
				for nu := mu + 1; nu < w.d; nu++ {
					w.Plaquette(sun.Mat(plaq, k, w.n), u, mu, nu, x)
					k++
				}
			}
		}
	})
	parallelFor(nb*links, minChunk, func(lo, hi int) {
		var mb, tb [9]complex128
		m, t := mb[:n2], tb[:n2]
		for i := lo; i < hi; i++ {
			b, k := i/links, i%links
			mu, x := k/w.v, k%w.v
			u := w.config(f, b)
			clear(m)
			for nu := range w.d {
				if nu == mu {
					continue
				}
				y := w.bwd[nu][x]
				uy := w.U(u, nu, y)
				if mu < nu {
					addMat(m, sun.Mat(plaq, (b*w.v+x)*planes+w.plane(mu, nu), w.n), false)
					// U_ν(y)† U_μν(y)† U_ν(y) = (U_μν(y) U_ν(y))† U_ν(y)
					sun.Mul(t, sun.Mat(plaq, (b*w.v+y)*planes+w.plane(mu, nu), w.n), uy)
					sun.AdjMul(t, t, uy)
				} else {
					addMat(m, sun.Mat(plaq, (b*w.v+x)*planes+w.plane(nu, mu), w.n), true)
					// U_ν(y)† U_νμ(y) U_ν(y)
					sun.AdjMul(t, uy, sun.Mat(plaq, (b*w.v+y)*planes+w.plane(nu, mu), w.n))
					sun.Mul(t, t, uy)
				}
				addMat(m, t, false)
			}
			fa := force[i*na : (i+1)*na]
			sun.AlgebraCoeffs(fa, m)
			for a := range fa {
				fa[a] *= c
			}
		}
	})
	plaquetteBuffers.Put(bp)
}

// plaquetteBuffers holds the scratch plaquettes of Force, so that an HMC
// does not allocate them at every step; concurrent calls get their own.
var plaquetteBuffers = sync.Pool{New: func() any { return new([]complex128) }}

// plane is the index of the plane (μ, ν), μ < ν, in the order (0,1), (0,2),
// …, (0,d−1), (1,2), … of Force's plaquette buffer.
func (g *Geometry) plane(mu, nu int) int {
	return mu*(2*g.d-mu-1)/2 + nu - mu - 1
}

// addMat adds a (or a† if adj) to dst.
func addMat(dst, a []complex128, adj bool) {
	if !adj {
		for i := range dst {
			dst[i] += a[i]
		}
		return
	}
	n := sun.Dim(a)
	for i := range n {
		for j := range n {
			v := a[j*n+i]
			dst[i*n+j] += complex(real(v), -imag(v))
		}
	}
}

// Drift moves every link along its momentum, U_μ(x) ← exp(iε P_μ(x))
// U_μ(x) with P = Σ_a p^a T^a (the exact exponential, sun.Exp), for f
// [batch, d, sites…, N, N, 2] and p [batch, d, sites…, N²−1]: the
// position update of the HMC leapfrog on SU(N) (docs/sun.md §10.2).
func (g *Geometry) Drift(f, p []float64, eps float64) {
	nb := g.batch(f, "Drift")
	na, links, n2 := g.n*g.n-1, g.Links(), g.n*g.n
	if len(p) != nb*links*na {
		panic(fmt.Sprintf("sungauge: Drift: p has %d values, want %d × %d links × %d generators", len(p), nb, links, na))
	}
	parallelFor(nb*links, minChunk, func(lo, hi int) {
		var xb [9]complex128
		var wb [8]float64
		x, om := xb[:n2], wb[:na]
		for i := lo; i < hi; i++ {
			for a, v := range p[i*na : (i+1)*na] {
				om[a] = eps * v
			}
			sun.AlgebraElement(x, om)
			sun.Exp(x, x)
			u := sun.Mat(g.config(f, i/links), i%links, g.n)
			sun.Mul(u, x, u)
		}
	})
}

// Project reunitarises every link of f [batch, d, sites…, N, N, 2]
// (sun.Reunitarise), undoing the rounding drift of long products; HMC calls
// it after each trajectory.
func (g *Geometry) Project(f []float64) {
	nb := g.batch(f, "Project")
	links := g.Links()
	parallelFor(nb*links, minChunk, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			sun.Reunitarise(sun.Mat(g.config(f, i/links), i%links, g.n))
		}
	})
}
