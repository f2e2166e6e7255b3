package mcmc

// kick sets p[x] ← p[x] − c·g[x] (the momentum update of the leapfrog and
// Omelyan integrators; len(g) ≥ len(p)). On amd64 whole vectors go to a
// SIMD kernel (AVX-512 or AVX2) that does the same two IEEE operations per
// element, c·g rounded, then the difference rounded, no fused multiply-add,
// so the result is the same bit for bit as the Go loop's (whose explicit
// float64 conversion forbids the compiler such a fusion, which it would
// otherwise make on arm64 and for GOAMD64=v3).
func kick(p, g []float64, c float64) {
	g = g[:len(p)]
	for x := kickBlocks(p, g, c); x < len(p); x++ {
		p[x] -= float64(c * g[x])
	}
}

// drift sets phi[x] ← phi[x] + c·p[x] (the flat drift; len(p) ≥ len(phi)),
// with a SIMD kernel on amd64 bit-identical to the Go loop in the same way
// as kick.
func drift(phi, p []float64, c float64) {
	p = p[:len(phi)]
	for x := driftBlocks(phi, p, c); x < len(phi); x++ {
		phi[x] += float64(c * p[x])
	}
}
