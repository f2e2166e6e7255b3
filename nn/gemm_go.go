package nn

// The portable implementations of the GEMM seam (gemm.go): the fallback where
// no SIMD kernels apply, and the reference the kernels are tested against.

// gemmGo computes C += A·B like gemm, in portable Go.
//
// The loop order streams rows of B and C: for each pair of rows of C and
// each four rows of B, one pass over a row segment does eight multiply-adds per
// four loads of B (the shape of llm.c's matmul_forward without its OpenMP).
func gemmGo[T Float](m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	if m <= 0 || n <= 0 || k <= 0 {
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

// convNNGo is convNN in portable Go. For each site it lists the B rows of
// the taps (their offsets in x), then, like gemmRows2, updates two output
// rows per pass over four B rows.
func convNNGo[T Float](s *Stencil, cin, cout, nb int, x, a, init, y []T) {
	v, taps := s.sites, s.taps
	cs := csbStride[T](v, nb)
	kk := taps * cin
	offs := make([]int, kk)
	for site := 0; site < v; site++ {
		for t := 0; t < taps; t++ {
			src := int(s.idx[t*v+site])
			for i := 0; i < cin; i++ {
				offs[t*cin+i] = i*cs + src*nb
			}
		}
		for o := 0; o < cout; o += 2 {
			y0 := y[o*cs+site*nb : o*cs+(site+1)*nb]
			a0 := a[o*kk : (o+1)*kk]
			if init != nil {
				for j := range y0 {
					y0[j] = init[o]
				}
			}
			if o+1 == cout {
				convRow(a0, offs, x, y0)
				break
			}
			y1 := y[(o+1)*cs+site*nb : (o+1)*cs+(site+1)*nb]
			if init != nil {
				for j := range y1 {
					y1[j] = init[o+1]
				}
			}
			convRows2(a0, a[(o+1)*kk:(o+2)*kk], offs, x, y0, y1)
		}
	}
}

// convRows2 adds Σ_p a0[p]·B_p into y0 and Σ_p a1[p]·B_p into y1, B_p the
// row of x at offs[p] (of the length of y0).
func convRows2[T Float](a0, a1 []T, offs []int, x, y0, y1 []T) {
	a1 = a1[:len(a0)]
	offs = offs[:len(a0)]
	y1 = y1[:len(y0)]
	n := len(y0)
	p := 0
	for ; p+4 <= len(offs); p += 4 {
		b0 := x[offs[p] : offs[p]+n][:len(y0)]
		b1 := x[offs[p+1] : offs[p+1]+n][:len(y0)]
		b2 := x[offs[p+2] : offs[p+2]+n][:len(y0)]
		b3 := x[offs[p+3] : offs[p+3]+n][:len(y0)]
		w0, w1, w2, w3 := a0[p], a0[p+1], a0[p+2], a0[p+3]
		z0, z1, z2, z3 := a1[p], a1[p+1], a1[p+2], a1[p+3]
		for j := range y0 {
			v0, v1, v2, v3 := b0[j], b1[j], b2[j], b3[j]
			y0[j] += (w0*v0 + w1*v1) + (w2*v2 + w3*v3)
			y1[j] += (z0*v0 + z1*v1) + (z2*v2 + z3*v3)
		}
	}
	for ; p < len(offs); p++ {
		b0 := x[offs[p] : offs[p]+n][:len(y0)]
		w0, z0 := a0[p], a1[p]
		for j, v0 := range b0 {
			y0[j] += w0 * v0
			y1[j] += z0 * v0
		}
	}
}

// convRow adds Σ_p a[p]·B_p into y.
func convRow[T Float](a []T, offs []int, x, y []T) {
	offs = offs[:len(a)]
	n := len(y)
	p := 0
	for ; p+4 <= len(offs); p += 4 {
		b0 := x[offs[p] : offs[p]+n][:len(y)]
		b1 := x[offs[p+1] : offs[p+1]+n][:len(y)]
		b2 := x[offs[p+2] : offs[p+2]+n][:len(y)]
		b3 := x[offs[p+3] : offs[p+3]+n][:len(y)]
		w0, w1, w2, w3 := a[p], a[p+1], a[p+2], a[p+3]
		for j := range y {
			y[j] += (w0*b0[j] + w1*b1[j]) + (w2*b2[j] + w3*b3[j])
		}
	}
	for ; p < len(offs); p++ {
		w0 := a[p]
		for j, v0 := range x[offs[p] : offs[p]+n][:len(y)] {
			y[j] += w0 * v0
		}
	}
}

// convNTGo is convNT in portable Go: the dot products over sites and samples
// of two rows of g with four (tap, channel) rows of x at a time, in eight
// independent sums.
func convNTGo[T Float](s *Stencil, cin, cout, nb int, g, x, dw []T) {
	v, taps := s.sites, s.taps
	cs := csbStride[T](v, nb)
	kk := taps * cin
	var rows [4]int // B rows: p = t·cin + i
	for o0 := 0; o0 < cout; o0 += 2 {
		o1 := min(o0+1, cout-1) // an odd last row is computed twice, kept once
		for p0 := 0; p0 < kk; p0 += 4 {
			for q := range rows {
				rows[q] = min(p0+q, kk-1) // likewise the last rows of B
			}
			var s00, s01, s02, s03, s10, s11, s12, s13 T
			for site := 0; site < v; site++ {
				g0 := g[o0*cs+site*nb : o0*cs+(site+1)*nb]
				g1 := g[o1*cs+site*nb : o1*cs+(site+1)*nb][:len(g0)]
				var b [4][]T
				for q, p := range rows {
					t, i := p/cin, p%cin
					off := i*cs + int(s.idx[t*v+site])*nb
					b[q] = x[off : off+nb]
				}
				b0, b1, b2, b3 := b[0][:len(g0)], b[1][:len(g0)], b[2][:len(g0)], b[3][:len(g0)]
				for j, u := range g0 {
					w := g1[j]
					x0, x1, x2, x3 := b0[j], b1[j], b2[j], b3[j]
					s00 += u * x0
					s01 += u * x1
					s02 += u * x2
					s03 += u * x3
					s10 += w * x0
					s11 += w * x1
					s12 += w * x2
					s13 += w * x3
				}
			}
			sums := [2][4]T{{s00, s01, s02, s03}, {s10, s11, s12, s13}}
			for r, o := range []int{o0, o1} {
				if r == 1 && o1 == o0 {
					break
				}
				for q, p := range rows {
					if q > 0 && p == rows[q-1] {
						break
					}
					t, i := p/cin, p%cin
					dw[(o*cin+i)*taps+t] += sums[r][q]
				}
			}
		}
	}
}
