package nn

// This file is the one seam through which every convolution and dense layer
// does its arithmetic: C += A·B on row-major matrices. A faster GEMM (gonum's
// BLAS, OpenBLAS through cgo, SIMD kernels, a GPU) replaces gemm here without
// touching the layers (DESIGN.md, "Numerics").

// gemmBlockN is the width of the column blocks of B and C that gemm works
// through, so that the rows of B it streams stay in the level-1/2 cache on big
// lattices.
const gemmBlockN = 512

// gemm computes C += A·B for row-major A [m, k] (row stride lda), B [k, n]
// (row stride ldb) and C [m, n] (row stride ldc).
//
// The loop order streams rows of B and C: for each pair of rows of C and
// each four rows of B, one pass over a row segment does eight multiply-adds per
// four loads of B (the shape of llm.c's matmul_forward without its OpenMP).
func gemm[T Float](m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	if m == 0 || n == 0 || k == 0 {
		return
	}
	for j0 := 0; j0 < n; j0 += gemmBlockN {
		nb := min(gemmBlockN, n-j0)
		i := 0
		for ; i+2 <= m; i += 2 {
			gemmRows2(nb, k, a[i*lda:i*lda+k], a[(i+1)*lda:(i+1)*lda+k], b[j0:], ldb,
				c[i*ldc+j0:i*ldc+j0+nb], c[(i+1)*ldc+j0:(i+1)*ldc+j0+nb])
		}
		if i < m {
			gemmRow(nb, k, a[i*lda:i*lda+k], b[j0:], ldb, c[i*ldc+j0:i*ldc+j0+nb])
		}
	}
}

// gemmRows2 adds a0·B into c0 and a1·B into c1 (B is [k, n], stride ldb).
func gemmRows2[T Float](n, k int, a0, a1, b []T, ldb int, c0, c1 []T) {
	a1 = a1[:len(a0)]
	c0 = c0[:n]
	c1 = c1[:len(c0)]
	p := 0
	for ; p+4 <= k; p += 4 {
		x0, x1, x2, x3 := a0[p], a0[p+1], a0[p+2], a0[p+3]
		z0, z1, z2, z3 := a1[p], a1[p+1], a1[p+2], a1[p+3]
		b0 := b[p*ldb : p*ldb+n][:len(c0)]
		b1 := b[(p+1)*ldb : (p+1)*ldb+n][:len(c0)]
		b2 := b[(p+2)*ldb : (p+2)*ldb+n][:len(c0)]
		b3 := b[(p+3)*ldb : (p+3)*ldb+n][:len(c0)]
		for j := range c0 {
			y0, y1, y2, y3 := b0[j], b1[j], b2[j], b3[j]
			c0[j] += (x0*y0 + x1*y1) + (x2*y2 + x3*y3)
			c1[j] += (z0*y0 + z1*y1) + (z2*y2 + z3*y3)
		}
	}
	for ; p < k; p++ {
		x0, z0 := a0[p], a1[p]
		b0 := b[p*ldb : p*ldb+n][:len(c0)]
		for j, y0 := range b0 {
			c0[j] += x0 * y0
			c1[j] += z0 * y0
		}
	}
}

// gemmRow adds a·B into c (B is [k, n], stride ldb).
func gemmRow[T Float](n, k int, a, b []T, ldb int, c []T) {
	c = c[:n]
	p := 0
	for ; p+4 <= k; p += 4 {
		x0, x1, x2, x3 := a[p], a[p+1], a[p+2], a[p+3]
		b0 := b[p*ldb : p*ldb+n][:len(c)]
		b1 := b[(p+1)*ldb : (p+1)*ldb+n][:len(c)]
		b2 := b[(p+2)*ldb : (p+2)*ldb+n][:len(c)]
		b3 := b[(p+3)*ldb : (p+3)*ldb+n][:len(c)]
		for j := range c {
			c[j] += (x0*b0[j] + x1*b1[j]) + (x2*b2[j] + x3*b3[j])
		}
	}
	for ; p < k; p++ {
		x0 := a[p]
		b0 := b[p*ldb : p*ldb+n][:len(c)]
		for j, y0 := range b0 {
			c[j] += x0 * y0
		}
	}
}
