package nn

import (
	"fmt"
	"unsafe"
)

// This file is the one seam through which every convolution and dense layer
// does its arithmetic (docs/architecture.md §6):
//
//   - gemm: C += A·B on row-major matrices (dense layers);
//   - convNN: the convolution as a GEMM whose B rows are the shifted sites
//     of a [channels, sites, samples] block (forward and input VJP);
//   - convNT: its A·Bᵀ counterpart, the weight VJP.
//
// Each has a portable Go implementation (gemm_go.go) and, where the CPU has
// them, SIMD kernels (kernels_amd64.s: AVX2+FMA or AVX-512, chosen at start-up
// in gemm_amd64.go). The kernels compute every element of C as a fixed
// sequence of operations, so results are deterministic; they need not equal
// the portable ones bit for bit. A faster backend (OpenBLAS, a GPU) plugs in
// here without touching the layers.

// simdKernels describes the vector kernels for one element type.
type simdKernels struct {
	name  string // "avx2" or "avx512"
	kind  int    // the kernel family callNN and callNT run
	lanes int    // elements per vector register
	nvMax int    // NN tile: at most nvMax vectors of columns, of one or more sites (and 4 rows)
	nrMax int    // NT tile: at most nrMax rows of B (and 4 rows of A)
}

// simd32 and simd64 are the kernels of float32 and float64, nil for the
// portable Go code (gemm_amd64.go chooses them at start-up).
var simd32, simd64 *simdKernels

// nnArgs are the arguments of an NN kernel (kernels_amd64.s; the layout is
// fixed there). It computes, for tiles j = 0 … ntiles−1, a tile of mr rows
// and ns sites of nv vectors of columns: for s < ns,
//
//	C_js[r, :] = (init[r] or C_js[r, :]) + Σ_{t<taps, i<cin} A_j[r, t·cin+i] · B_js(t, i)
//
// with A_j = a + j·aStep (row stride lda), C_js = c + j·cStep + s·siteBytes
// (row stride ldc), and B_js(t, i) the vector row at b + j·bStep +
// site·siteBytes + i·ldb, site the int32 at sites + j·siteStep +
// t·tapStride + 4s. All strides and steps are in bytes. init, when not nil, holds one value per row and replaces C. The
// kernels assume ntiles ≥ 1 and taps ≥ 1, and only read the arguments.
type nnArgs struct {
	a         unsafe.Pointer
	lda       int
	b         unsafe.Pointer
	ldb       int
	sites     unsafe.Pointer
	tapStride int
	siteBytes int
	taps      int
	cin       int
	c         unsafe.Pointer
	ldc       int
	init      unsafe.Pointer
	ntiles    int
	aStep     int
	bStep     int
	cStep     int
	siteStep  int
}

// ntArgs are the arguments of an NT kernel: for r < mr and q < nr,
//
//	C[r, q] += Σ_{x<nsites} Σ_{j<siteBytes} A[r, x, j] · B_q[tab_q[x], j]
//
// with A row r at a + r·lda (sites contiguous, siteBytes each), B_q's site s
// at b[q] + s·siteBytes, and C[r, q] at c + r·ldc + coff[q] (bytes). The
// kernels assume nsites ≥ 1 and siteBytes a positive multiple of the vector
// size; each C[r, q] is the sum of the lanes of one vector accumulator, in a
// fixed order.
type ntArgs struct {
	a         unsafe.Pointer
	lda       int
	nsites    int
	siteBytes int
	c         unsafe.Pointer
	ldc       int
	b         [6]unsafe.Pointer
	tab       [6]unsafe.Pointer
	coff      [6]int
}

// kernelsFor returns the SIMD kernels for T, or nil for the portable code.
func kernelsFor[T Float]() *simdKernels {
	var z T
	if unsafe.Sizeof(z) == 4 {
		return simd32
	}
	return simd64
}

// zeroSite is the site table of a plain GEMM: one tap at offset 0.
var zeroSite int32

// gemmBlockN and gemmBlockK are the column and depth blocks of B that gemm
// works through, so that the panel of B it streams for each block of rows of
// A stays in the level-2 cache.
const (
	gemmBlockN = 512
	gemmBlockK = 256
)

// gemm computes C += A·B for row-major A [m, k] (row stride lda), B [k, n]
// (row stride ldb) and C [m, n] (row stride ldc).
func gemm[T Float](m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	if m <= 0 || n <= 0 || k <= 0 {
		return
	}
	if ks := kernelsFor[T](); ks != nil {
		gemmSIMD(ks, m, n, k, a, lda, b, ldb, c, ldc)
		return
	}
	gemmGo(m, n, k, a, lda, b, ldb, c, ldc)
}

// checkMatrix panics unless s holds a [rows, cols] matrix of row stride ld.
func checkMatrix[T Float](what string, s []T, rows, cols, ld int) {
	if ld < cols || len(s) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("nn: gemm: %s: %d×%d with stride %d does not fit %d elements", what, rows, cols, ld, len(s)))
	}
}

// gemmSIMD is gemm with the kernels ks: tiles of up to 4 rows and nvMax
// vectors of columns, a last tile of fewer vectors, and the columns short of
// a vector through zero-padded copies.
func gemmSIMD[T Float](ks *simdKernels, m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	checkMatrix("A", a, m, k, lda)
	checkMatrix("B", b, k, n, ldb)
	checkMatrix("C", c, m, n, ldc)
	var z T
	sz := int(unsafe.Sizeof(z))
	lanes := ks.lanes
	nr := ks.nvMax * lanes
	var bt []T       // the last < lanes columns of a B panel, zero-padded to lanes
	var ct [4 * 16]T // and of a tile of C
	for j0 := 0; j0 < n; j0 += gemmBlockN {
		nb := min(gemmBlockN, n-j0)
		nfull := nb / nr
		nv := (nb - nfull*nr) / lanes
		jp := j0 + nfull*nr + nv*lanes // first column of the partial vector
		part := j0 + nb - jp
		for p0 := 0; p0 < k; p0 += gemmBlockK {
			kb := min(gemmBlockK, k-p0)
			if part > 0 {
				if cap(bt) < kb*lanes {
					bt = make([]T, gemmBlockK*lanes)
				}
				bt = bt[:kb*lanes]
				clear(bt)
				for p := range kb {
					copy(bt[p*lanes:p*lanes+part], b[(p0+p)*ldb+jp:(p0+p)*ldb+jp+part])
				}
			}
			for i0 := 0; i0 < m; i0 += 4 {
				mr := min(4, m-i0)
				args := nnArgs{
					a: unsafe.Pointer(&a[i0*lda+p0]), lda: lda * sz,
					b: unsafe.Pointer(&b[p0*ldb+j0]), ldb: ldb * sz,
					sites: unsafe.Pointer(&zeroSite), taps: 1, cin: kb,
					c: unsafe.Pointer(&c[i0*ldc+j0]), ldc: ldc * sz,
					ntiles: nfull, bStep: nr * sz, cStep: nr * sz,
				}
				if nfull > 0 {
					callNN(ks.kind, mr, 1, ks.nvMax, &args)
				}
				if nv > 0 {
					jv := j0 + nfull*nr
					args.b = unsafe.Pointer(&b[p0*ldb+jv])
					args.c = unsafe.Pointer(&c[i0*ldc+jv])
					args.ntiles = 1
					callNN(ks.kind, mr, 1, nv, &args)
				}
				if part > 0 {
					for r := range mr {
						copy(ct[r*lanes:r*lanes+part], c[(i0+r)*ldc+jp:(i0+r)*ldc+jp+part])
					}
					args.b, args.ldb = unsafe.Pointer(&bt[0]), lanes*sz
					args.c, args.ldc = unsafe.Pointer(&ct[0]), lanes*sz
					args.ntiles = 1
					callNN(ks.kind, mr, 1, 1, &args)
					for r := range mr {
						copy(c[(i0+r)*ldc+jp:(i0+r)*ldc+jp+part], ct[r*lanes:r*lanes+part])
					}
				}
			}
		}
	}
}

// convNN is the convolution kernel on one block of nb samples in the
// [channels, sites, samples] layout (csb.go): for o < cout, every site x and
// sample j,
//
//	y[o, x, j] = init[o] + Σ_{t, i} a[o, t·cin + i] · x[i, x+δ_t, j]
//
// with x a block of cin channels, a [cout, taps·cin] (tap-major) and y a
// block of cout channels; init nil means y's own values (accumulate).
func convNN[T Float](s *Stencil, cin, cout, nb int, x, a, init, y []T) {
	v, taps := s.sites, s.taps
	cs := csbStride[T](v, nb)
	if len(x) < cin*cs || len(a) < cout*taps*cin || len(y) < cout*cs || (init != nil && len(init) < cout) {
		panic(fmt.Sprintf("nn: convNN %d→%d, %d sites, %d samples: len(x) = %d, len(a) = %d, len(y) = %d",
			cin, cout, v, nb, len(x), len(a), len(y)))
	}
	ks := kernelsFor[T]()
	if ks == nil || nb%ks.lanes != 0 || cin == 0 {
		convNNGo(s, cin, cout, nb, x, a, init, y)
		return
	}
	var z T
	sz := int(unsafe.Sizeof(z))
	nvt := nb / ks.lanes
	sb := siteBlock(nb * sz)
	for x0 := 0; x0 < v; x0 += sb {
		nsb := min(sb, v-x0)
		for o0 := 0; o0 < cout; o0 += 4 {
			mr := min(4, cout-o0)
			for v0 := 0; v0 < nvt; v0 += ks.nvMax {
				nv := min(ks.nvMax, nvt-v0)
				// tiles of spt sites (several for blocks of one or two
				// vectors), then single sites
				spt := 1
				if nv <= 2 {
					spt = ks.nvMax / nv
				}
				args := nnArgs{
					a: unsafe.Pointer(&a[o0*taps*cin]), lda: taps * cin * sz,
					b: unsafe.Pointer(&x[v0*ks.lanes]), ldb: cs * sz,
					sites: unsafe.Pointer(&s.idx[x0]), tapStride: v * 4, siteBytes: nb * sz,
					taps: taps, cin: cin,
					c: unsafe.Pointer(&y[o0*cs+x0*nb+v0*ks.lanes]), ldc: cs * sz,
					ntiles: nsb / spt, cStep: spt * nb * sz, siteStep: 4 * spt,
				}
				if init != nil {
					args.init = unsafe.Pointer(&init[o0])
				}
				if args.ntiles > 0 {
					callNN(ks.kind, mr, spt, nv, &args)
				}
				if rest := nsb % spt; rest > 0 {
					x1 := x0 + nsb - rest
					args.sites = unsafe.Pointer(&s.idx[x1])
					args.c = unsafe.Pointer(&y[o0*cs+x1*nb+v0*ks.lanes])
					args.ntiles, args.cStep, args.siteStep = rest, nb*sz, 4
					callNN(ks.kind, mr, 1, nv, &args)
				}
			}
		}
	}
}

// siteBlock is the number of sites of siteBytes each that the convolution
// kernels work through at a time, so that the rows they stream stay in the
// level-2 cache on big lattices.
func siteBlock(siteBytes int) int {
	return max(16, (512<<10)/(6*siteBytes))
}

// convNT is the weight VJP of convNN on one block of nb samples: for o < cout,
// i < cin and every tap t,
//
//	dw[o, i, t] += Σ_{x, j} g[o, x, j] · x[i, x+δ_t, j]
//
// with g and x blocks of cout and cin channels and dw [cout, cin, taps] (the
// layout of the weights).
func convNT[T Float](s *Stencil, cin, cout, nb int, g, x, dw []T) {
	v, taps := s.sites, s.taps
	cs := csbStride[T](v, nb)
	if len(g) < cout*cs || len(x) < cin*cs || len(dw) < cout*cin*taps {
		panic(fmt.Sprintf("nn: convNT %d→%d, %d sites, %d samples: len(g) = %d, len(x) = %d, len(dw) = %d",
			cin, cout, v, nb, len(g), len(x), len(dw)))
	}
	ks := kernelsFor[T]()
	if ks == nil || nb%ks.lanes != 0 || nb == 0 {
		convNTGo(s, cin, cout, nb, g, x, dw)
		return
	}
	var z T
	sz := int(unsafe.Sizeof(z))
	rows := taps * cin // rows of B, p = t·cin + i
	// with enough channels, tiles of rows of one tap share its site table
	shared := cin >= ks.nrMax
	sb := siteBlock(nb * sz)
	for x0 := 0; x0 < v; x0 += sb {
		ns := min(sb, v-x0)
		// the rows of B outside, so that the blocks of A reuse them from the
		// level-1 cache
		for p0 := 0; p0 < rows; {
			nr := min(ks.nrMax, rows-p0)
			if shared {
				nr = min(nr, cin-p0%cin) // up to the end of the tap
			}
			for o0 := 0; o0 < cout; o0 += 4 {
				mr := min(4, cout-o0)
				args := ntArgs{
					a: unsafe.Pointer(&g[o0*cs+x0*nb]), lda: cs * sz,
					nsites: ns, siteBytes: nb * sz,
					c: unsafe.Pointer(&dw[o0*cin*taps]), ldc: cin * taps * sz,
				}
				for q := range nr {
					t, i := (p0+q)/cin, (p0+q)%cin
					args.b[q] = unsafe.Pointer(&x[i*cs])
					args.tab[q] = unsafe.Pointer(&s.idx[t*v+x0])
					args.coff[q] = (i*taps + t) * sz
				}
				callNT(ks.kind, mr, nr, shared, &args)
			}
			p0 += nr
		}
	}
}
