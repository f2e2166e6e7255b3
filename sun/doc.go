// Package sun is the SU(N) group machinery for non-Abelian lattice gauge
// fields and the flows that act on them (docs/sun.md §1): products and
// determinants of complex N×N matrices, the Lie algebra su(N) and its
// generators, the exponential map, reunitarisation, eigen-decomposition into
// a canonical cell of eigen-angles, Haar sampling, Weyl integration of class
// functions, and the exact character expansion of the one-matrix model
// p(U) ∝ exp((β/N) Re Tr U). docs/sun.md summarises the choices made here
// and how they are tested.
//
// # Layout
//
// A matrix is a []complex128 of length N², row-major: M_ij = m[i*N+j], the
// way NumPy reads a C-ordered array of shape (N, N). A field is one flat
// slice [batch, sites…, N, N] (links: [batch, d, sites…, N, N]); Mat
// returns the view of its k-th matrix without copying. N is taken from the
// slice length (Dim). Every function works for N = 2 and N = 3; those that
// need no closed form (products, Det, TA, generators, Reunitarise, Haar,
// Weyl integration, characters) work for any N. Functions that write a
// matrix take the destination first, like copy; dst may be the same slice
// as an input unless a function says otherwise.
//
// # Conventions
//
// U ∈ SU(N): U†U = 1, det U = 1. The generators T^a (a = 1…N²−1) are
// Hermitian and traceless with Tr(T^a T^b) = δ^{ab}/2: σ^a/2 for SU(2), the
// Gell-Mann matrices λ^a/2 for SU(3), and the generalised Gell-Mann basis for
// larger N. The algebra element with real coefficients ω^a is the traceless
// anti-Hermitian X = i Σ_a ω^a T^a, so a tangent move is U → exp(iε T^a) U
// and an HMC step U → exp(iεP) U with P = Σ_a p^a T^a.
//
// # Eigen-angles and the canonical cell
//
// U = V diag(e^{iθ_1}, …, e^{iθ_N}) V† with V unitary. The angles are
// returned in the canonical cell (the fundamental alcove of SU(N)):
//
//	θ_1 ≥ θ_2 ≥ … ≥ θ_N,   Σ_k θ_k = 0,   θ_1 − θ_N ≤ 2π.
//
// Every conjugacy class has exactly one point there. For SU(2) the cell is
// θ_1 = −θ_2 = θ ∈ [0, π]; for SU(3) it is the triangle with the centre
// elements as corners: 1 at (0, 0, 0), ω·1 = e^{2πi/3}·1 at
// (2π/3, 2π/3, −4π/3) and ω²·1 at (4π/3, −2π/3, −2π/3). The order is fixed
// by the angles alone, never by eigenvector components, so it commutes with
// conjugation U → ΩUΩ†.
//
// # Spectral map
//
// CellToSquare maps the canonical cell onto the unit square (SU(2):
// u = θ_1/π; SU(3): u_1 = (θ_1 − θ_3)/2π, u_2 = (θ_1 − θ_2)/(θ_1 − θ_3)), and
// Spectral is the conjugation-equivariant map U = V diag(e^{iθ}) V† ↦
// V diag(e^{iθ′}) V† with θ′ = cell⁻¹(h(cell(θ))), h built from
// rational-quadratic splines that fix the square's edges, with its exact
// inverse, its log-Jacobian with respect to Haar measure and its
// vector-Jacobian products (docs/sun.md §9).
//
// # References
//
//   - C. Morningstar, M. Peardon, Analytic smearing of SU(3) link variables in
//     lattice QCD, Phys. Rev. D 69 (2004) 054501, hep-lat/0311018 (the SU(3)
//     exponential by Cayley–Hamilton).
//   - F. Mezzadri, How to generate random matrices from the classical compact
//     groups, Notices AMS 54 (2007) 592, math-ph/0609050 (Haar sampling).
//   - H. Weyl, The Classical Groups (1939); the Weyl integration formula for
//     class functions.
//   - I. Bars, F. Green, Complete integration of U(N) lattice gauge theory in
//     a large-N limit, Phys. Rev. D 20 (1979) 3311: U(N) one-link integrals
//     as determinants of modified Bessel functions; summing them over the
//     U(1) charge q gives the SU(N) character coefficients
//     c_λ(β) = Σ_q det I_{λ_i+q−i+j}(β/N) of docs/sun.md §1.
//   - D. Boyda, G. Kanwar et al., Sampling using SU(N) gauge equivariant
//     flows, Phys. Rev. D 103 (2021) 074504, arXiv:2008.05456 (spectral
//     flows in the canonical cell).
package sun
