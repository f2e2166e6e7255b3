package action

// MatrixField is implemented by actions whose field is made of SU(N)
// matrices rather than real numbers: the one-matrix models (a lattice of
// independent matrices, action kind "matrix") and SU(N) lattice gauge
// theory (one link matrix per site and direction, action kind "wilson").
//
// Layout (docs/sun.md §2): a configuration is a flat []float64 holding
// complex numbers as (real, imaginary) pairs, so that it is, byte for byte,
// the complex128 array NumPy reads:
//
//	matrices: [sites…, N, N, 2]     links: [d, sites…, N, N, 2]
//
// with each N×N matrix row-major. The number of real variables of one
// configuration is Matrices()·2N², and Grad writes dS/d(Re U_ij) and
// dS/d(Im U_ij) in the same layout (the gradient in the embedding ℂ^{N×N};
// only its component along the group's tangent space is meaningful).
type MatrixField interface {
	Action
	// ColorN is N of SU(N).
	ColorN() int
	// LinksPerSite is 0 for a lattice of independent matrices (one per
	// site) and d, the number of directions, for link fields.
	LinksPerSite() int
}
