// Package sungauge is SU(N) lattice gauge theory (N = 2, 3) on a periodic
// lattice of d = 2, 3 or 4 dimensions: link fields, plaquettes and staples,
// gauge transformations, the Wilson action with its force in the Lie
// algebra, the manifold operations that let mcmc.HMC integrate on SU(N)
// links, exact results of two-dimensional theory on the torus (character
// expansion) and the observables measured on configurations: plaquette,
// Wilson loops, the Polyakov loop and, in four dimensions, the clover
// topological charge (docs/sun.md §10).
//
// # Links
//
// A configuration holds one link matrix U_μ(x) ∈ SU(N) per site x and
// direction μ = 0 … d−1, as the flat []float64 of action.MatrixField
// (docs/sun.md §2): [d, sites…, N, N, 2], interleaved (re, im) pairs, byte
// for byte the row-major complex128 array [d, sites…, N, N] (Complex gives
// that view without copying); a batch is [batch, d, sites…, N, N, 2]. Link
// (μ, x) is matrix μ·V + x of its configuration, with sites numbered as in
// package lattice.
//
// # Why U(1) stays in package gauge
//
// Package gauge keeps U(1) (d = 2, 3, 4) as real link angles θ_μ(x), one float64 per
// link: its flows (circular splines of plaquette angles), its prior (uniform
// angles), its exact torus results (Bessel functions I_n of one argument)
// and its HMC (flat momenta, angles never wrapped) are all simpler in
// angles, and its ensembles and trained models are stored that way. U(1) as
// N = 1 of this package would store every link as a 1×1 complex matrix
// (twice the memory), change the layout of existing files and gain nothing
// from the SU(N) machinery (no Cayley–Hamilton exponential, no eigen-angles).
// The two share conventions (plaquette orientation, gauge transformation,
// β normalisation with N = 1) but not code.
//
// # References
//
//   - K. G. Wilson, Confinement of quarks, Phys. Rev. D 10 (1974) 2445 (the
//     action).
//   - S. Duane, A. D. Kennedy, B. J. Pendleton, D. Roweth, Hybrid Monte
//     Carlo, Phys. Lett. B 195 (1987) 216; the link update U ← exp(iεP)U as
//     in C. Gattringer, C. B. Lang, Quantum Chromodynamics on the Lattice
//     (Springer 2010), ch. 8.
//   - A. A. Migdal, Recursion equations in gauge theories, Sov. Phys. JETP
//     42 (1975) 413; B. Rusakov, Loop averages and partition functions in
//     U(N) gauge theory on two-dimensional manifolds, Mod. Phys. Lett. A 5
//     (1990) 693 (the 2-d partition function on closed surfaces).
//   - I. Bars, F. Green, Phys. Rev. D 20 (1979) 3311 (character coefficients
//     as Bessel determinants; package sun).
//   - J. E. Mandula, G. Zweig, J. Govaerts, Nucl. Phys. B 228 (1983) 91 and
//     P. Di Vecchia et al., Nucl. Phys. B 192 (1981) 392 (the naive clover
//     and plaquette topological charge densities).
package sungauge
