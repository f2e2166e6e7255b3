//go:build ignore

// gen_kernels writes kernels_amd64.s and kernels_amd64.go, the AVX2+FMA and
// AVX-512 kernels behind gemm.go's seam (run `go generate ./nn/`):
//
//   - nn{S,D}{Y,Z}<mr>x<ns>x<nv>: a register tile of mr ≤ 4 rows of C times
//     ns sites of nv vectors of columns, C += A·B over k = taps·cin rows of
//     B, where the B rows of tap t for site s start at b +
//     sites[t·tapStride+s]·siteBytes (one table lookup per tap and site; a
//     plain GEMM has one tap at site 0, and ns = 1). It loops over ntiles tiles,
//     tile j at a+j·aStep, b+j·bStep, c+j·cStep, sites+j·siteStep (the
//     arguments are only read). See nnArgs.
//   - nt{S,D}{Y,Z}<mr>x<nr>[s]: C[r, c] += Σ_k A[r, k]·B_c[k] (the A·Bᵀ of
//     the convolution's weight VJP): k runs over nsites sites of siteBytes
//     each, and row c of B reads site tab_c[x] of its base (with s: all rows
//     read tab_0[x], one lookup per site). See ntArgs.
//   - tanhS{Y,Z}: float32 tanh of n elements (n a multiple of the vector
//     length).
//   - tanhVJP{S,D}Y: dx = dy·(1 − y²), rounded like the Go expression.
//   - sum{S,D}Y: the float64 sum of a slice.
//
// S/D is float32/float64, Y/Z is AVX2 (ymm, 16 registers) / AVX-512 (zmm,
// 32 registers). Every element of C is one chain of fused multiply-adds in
// k order (NN) or a fixed reduction tree (NT), so results are deterministic.
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"log"
	"os"
	"strings"
)

type isa struct {
	name   string // "Y" or "Z"
	vec    int    // bytes per vector register
	nvMax  int    // NN tile: vectors of columns
	nrMax  int    // NT tile: rows of B
	avx512 bool
}

type prec struct {
	name string // "S" or "D"
	sz   int
	goT  string
}

func (p prec) ps() string { // packed suffix
	if p.sz == 4 {
		return "PS"
	}
	return "PD"
}

func (p prec) ss() string { // scalar suffix
	if p.sz == 4 {
		return "SS"
	}
	return "SD"
}

var (
	isas  = []isa{{"Y", 32, 3, 2, false}, {"Z", 64, 4, 6, true}}
	precs = []prec{{"S", 4, "float32"}, {"D", 8, "float64"}}
)

type gen struct {
	s bytes.Buffer
	g bytes.Buffer
}

func (g *gen) p(format string, args ...any) {
	fmt.Fprintf(&g.s, format, args...)
	g.s.WriteByte('\n')
}

func (i isa) reg(n int) string {
	return fmt.Sprintf("%s%d", i.name, n)
}

// aRow is the address of row r of A at byte offset off: rows are AX,
// AX+R8, AX+2·R8, AX+R9 (R9 = 3·R8).
func aRow(off, r int) string {
	switch r {
	case 0:
		return fmt.Sprintf("%d(AX)", off)
	case 1:
		return fmt.Sprintf("%d(AX)(R8*1)", off)
	case 2:
		return fmt.Sprintf("%d(AX)(R8*2)", off)
	}
	return fmt.Sprintf("%d(AX)(R9*1)", off)
}

// nnArgs offsets (see kernels_amd64.go's nnArgs).
const (
	nnA = 8 * iota
	nnLda
	nnB
	nnLdb
	nnSites
	nnTapStride
	nnSiteBytes
	nnTaps
	nnCin
	nnC
	nnLdc
	nnInit
	nnNtiles
	nnAStep
	nnBStep
	nnCStep
	nnSiteStep
	nnSize
)

// nnShapes are the (sites, vectors per site) of the NN tiles of an
// instruction set: one site and 1…nvMax vectors, and several sites of one or
// two vectors for blocks of few samples (a tile holds at most nvMax vectors
// of each row).
func (i isa) nnShapes() [][2]int {
	var sh [][2]int
	for nv := 1; nv <= i.nvMax; nv++ {
		sh = append(sh, [2]int{1, nv})
	}
	for nv := 1; nv <= 2; nv++ {
		if ns := i.nvMax / nv; ns > 1 {
			sh = append(sh, [2]int{ns, nv})
		}
	}
	return sh
}

func (g *gen) nn(is isa, pr prec, mr, ns, nv int) string {
	name := fmt.Sprintf("nn%s%s%dx%dx%d", pr.name, is.name, mr, ns, nv)
	acc := func(r, s, v int) string { return is.reg((r*ns+s)*nv + v) }
	bptr := []string{"BX", "R14", "R11", "R13"} // B row of site s
	var breg func(s, v int) string
	var areg func(r int) string
	if is.avx512 {
		breg = func(s, v int) string { return is.reg(16 + s*nv + v) }
		areg = func(r int) string { return is.reg(20 + r) }
	} else {
		breg = func(s, v int) string { return is.reg(12 + s*nv + v) }
		areg = func(r int) string { return is.reg(15) }
	}
	mov, bc, fma := "VMOVU"+pr.ps(), "VBROADCAST"+pr.ss(), "VFMADD231"+pr.ps()
	g.p("// func %s(p *nnArgs)", name)
	g.p("TEXT ·%s(SB), NOSPLIT, $0-8", name)
	g.p("\tMOVQ p+0(FP), SI")
	g.p("\tMOVQ %d(SI), R8", nnLda)
	g.p("\tLEAQ (R8)(R8*2), R9")
	g.p("\tMOVQ %d(SI), DX", nnLdb)
	g.p("\tXORQ R12, R12")
	g.p("tile:")
	// the tile's A, C and B bases: base + tile·step
	cBase := func() {
		g.p("\tMOVQ %d(SI), R13", nnCStep)
		g.p("\tIMULQ R12, R13")
		g.p("\tADDQ %d(SI), R13", nnC)
	}
	g.p("\tMOVQ %d(SI), AX", nnAStep)
	g.p("\tIMULQ R12, AX")
	g.p("\tADDQ %d(SI), AX", nnA)
	g.p("\tMOVQ %d(SI), R15", nnBStep)
	g.p("\tIMULQ R12, R15")
	g.p("\tADDQ %d(SI), R15", nnB)
	cBase()
	g.p("\tMOVQ %d(SI), R10", nnInit)
	g.p("\tTESTQ R10, R10")
	g.p("\tJZ loadc")
	for r := range mr {
		g.p("\t%s %d(R10), %s", bc, r*pr.sz, acc(r, 0, 0))
		for k := 1; k < ns*nv; k++ {
			g.p("\tVMOVA%s %s, %s", pr.ps(), acc(r, 0, 0), acc(r, k/nv, k%nv))
		}
	}
	g.p("\tJMP kloop")
	g.p("loadc:")
	// C of site s, row r at c + s·siteBytes + r·ldc
	walkC := func(op func(r, s, v int)) {
		g.p("\tMOVQ R13, R10")
		for s := range ns {
			g.p("\tMOVQ R10, R11")
			for r := range mr {
				for v := range nv {
					op(r, s, v)
				}
				if r+1 < mr {
					g.p("\tADDQ %d(SI), R11", nnLdc)
				}
			}
			if s+1 < ns {
				g.p("\tADDQ %d(SI), R10", nnSiteBytes)
			}
		}
	}
	walkC(func(r, s, v int) { g.p("\t%s %d(R11), %s", mov, v*is.vec, acc(r, s, v)) })
	g.p("kloop:")
	g.p("\tMOVQ %d(SI), DI", nnSiteStep)
	g.p("\tIMULQ R12, DI")
	g.p("\tADDQ %d(SI), DI", nnSites)
	g.p("\tMOVQ %d(SI), R10", nnTaps)
	g.p("tap:")
	for s := range ns {
		b := bptr[s]
		g.p("\tMOVLQSX %d(DI), %s", 4*s, b)
		g.p("\tIMULQ %d(SI), %s", nnSiteBytes, b)
		g.p("\tADDQ R15, %s", b)
	}
	g.p("\tMOVQ %d(SI), CX", nnCin)
	step := func(u int) {
		for s := range ns {
			for v := range nv {
				addr := fmt.Sprintf("%d(%s)", v*is.vec, bptr[s])
				if u == 1 {
					addr += "(DX*1)"
				}
				g.p("\t%s %s, %s", mov, addr, breg(s, v))
			}
		}
		if is.avx512 {
			for r := range mr {
				g.p("\t%s %s, %s", bc, aRow(u*pr.sz, r), areg(r))
			}
			for r := range mr {
				for s := range ns {
					for v := range nv {
						g.p("\t%s %s, %s, %s", fma, breg(s, v), areg(r), acc(r, s, v))
					}
				}
			}
		} else {
			for r := range mr {
				g.p("\t%s %s, %s", bc, aRow(u*pr.sz, r), areg(r))
				for s := range ns {
					for v := range nv {
						g.p("\t%s %s, %s, %s", fma, breg(s, v), areg(r), acc(r, s, v))
					}
				}
			}
		}
	}
	g.p("\tCMPQ CX, $2")
	g.p("\tJLT one")
	g.p("pair:")
	step(0)
	step(1)
	for s := range ns {
		g.p("\tLEAQ (%s)(DX*2), %s", bptr[s], bptr[s])
	}
	g.p("\tADDQ $%d, AX", 2*pr.sz)
	g.p("\tSUBQ $2, CX")
	g.p("\tCMPQ CX, $2")
	g.p("\tJGE pair")
	g.p("one:")
	g.p("\tTESTQ CX, CX")
	g.p("\tJZ tapdone")
	step(0)
	g.p("\tADDQ $%d, AX", pr.sz)
	g.p("tapdone:")
	g.p("\tADDQ %d(SI), DI", nnTapStride)
	g.p("\tDECQ R10")
	g.p("\tJNZ tap")
	cBase()
	walkC(func(r, s, v int) { g.p("\t%s %s, %d(R11)", mov, acc(r, s, v), v*is.vec) })
	g.p("\tINCQ R12")
	g.p("\tCMPQ R12, %d(SI)", nnNtiles)
	g.p("\tJLT tile")
	g.p("\tVZEROUPPER")
	g.p("\tRET")
	g.p("")
	return name
}

// ntArgs offsets (see kernels_amd64.go's ntArgs).
const (
	ntA         = 0
	ntLda       = 8
	ntNsites    = 16
	ntSiteBytes = 24
	ntC         = 32
	ntLdc       = 40
	ntB         = 48  // [6]
	ntTab       = 96  // [6]
	ntCoff      = 144 // [6]
	ntSize      = 192
)

// nt writes an NT kernel; shared: all rows of B read the site table tab[0]
// (one lookup per site instead of one per row).
func (g *gen) nt(is isa, pr prec, mr, nr int, shared bool) string {
	name := fmt.Sprintf("nt%s%s%dx%d", pr.name, is.name, mr, nr)
	if shared {
		name += "s"
	}
	acc := func(r, c int) string { return is.reg(r*nr + c) }
	bptr := []string{"BX", "CX", "DX", "DI", "R12", "R14"}
	var areg func(r int) string
	var breg func(c int) string
	var tmp int
	if is.avx512 {
		areg = func(r int) string { return is.reg(24 + r) }
		breg = func(c int) string { return is.reg(28 + c%2) }
		tmp = 30
	} else {
		areg = func(r int) string { return is.reg(8 + r) }
		breg = func(c int) string { return is.reg(12 + c%2) }
		tmp = 14
	}
	mov, fma := "VMOVU"+pr.ps(), "VFMADD231"+pr.ps()
	g.p("// func %s(p *ntArgs)", name)
	g.p("TEXT ·%s(SB), NOSPLIT, $0-8", name)
	g.p("\tMOVQ p+0(FP), SI")
	g.p("\tMOVQ %d(SI), AX", ntA)
	g.p("\tMOVQ %d(SI), R8", ntLda)
	g.p("\tLEAQ (R8)(R8*2), R9")
	g.p("\tMOVQ %d(SI), R13", ntSiteBytes)
	for r := range mr {
		for c := range nr {
			a := acc(r, c)
			if is.avx512 {
				g.p("\tVPXORD %s, %s, %s", a, a, a)
			} else {
				g.p("\tVXORPS %s, %s, %s", a, a, a)
			}
		}
	}
	if shared {
		for c := range nr {
			g.p("\tMOVQ %d(SI), %s", ntB+8*c, bptr[c])
		}
	}
	g.p("\tXORQ R10, R10")
	g.p("site:")
	// R11 runs over the bytes of the site in B (from its offset when shared,
	// with the rows' bases in bptr; from 0 otherwise, with the rows' sites in
	// bptr) up to R15
	if shared {
		g.p("\tMOVQ %d(SI), R11", ntTab)
		g.p("\tMOVLQSX (R11)(R10*4), R11")
		g.p("\tIMULQ R13, R11")
		g.p("\tLEAQ (R11)(R13*1), R15")
	} else {
		for c := range nr {
			b := bptr[c]
			g.p("\tMOVQ %d(SI), %s", ntTab+8*c, b)
			g.p("\tMOVLQSX (%s)(R10*4), %s", b, b)
			g.p("\tIMULQ R13, %s", b)
			g.p("\tADDQ %d(SI), %s", ntB+8*c, b)
		}
		g.p("\tXORQ R11, R11")
		g.p("\tMOVQ R13, R15")
	}
	g.p("vec:")
	for r := range mr {
		g.p("\t%s %s, %s", mov, aRow(0, r), areg(r))
	}
	for c := range nr {
		g.p("\t%s (%s)(R11*1), %s", mov, bptr[c], breg(c))
		for r := range mr {
			g.p("\t%s %s, %s, %s", fma, breg(c), areg(r), acc(r, c))
		}
	}
	g.p("\tADDQ $%d, AX", is.vec)
	g.p("\tADDQ $%d, R11", is.vec)
	g.p("\tCMPQ R11, R15")
	g.p("\tJLT vec")
	g.p("\tINCQ R10")
	g.p("\tCMPQ R10, %d(SI)", ntNsites)
	g.p("\tJLT site")
	g.p("\tMOVQ %d(SI), R12", ntC)
	g.p("\tMOVQ %d(SI), R11", ntLdc)
	x := func(n int) string { return fmt.Sprintf("X%d", n) }
	y := func(n int) string { return fmt.Sprintf("Y%d", n) }
	for r := range mr {
		for c := range nr {
			k := r*nr + c
			if is.avx512 {
				g.p("\tVEXTRACTF64X4 $1, Z%d, %s", k, y(tmp))
				g.p("\tVADD%s %s, %s, %s", pr.ps(), y(tmp), y(k), y(k))
				g.p("\tVEXTRACTF32X4 $1, %s, %s", y(k), x(tmp))
			} else {
				g.p("\tVEXTRACTF128 $1, %s, %s", y(k), x(tmp))
			}
			g.p("\tVADD%s %s, %s, %s", pr.ps(), x(tmp), x(k), x(k))
			if pr.sz == 4 {
				g.p("\tVPERMILPS $0x4e, %s, %s", x(k), x(tmp))
				g.p("\tVADDPS %s, %s, %s", x(tmp), x(k), x(k))
				g.p("\tVPERMILPS $0xb1, %s, %s", x(k), x(tmp))
			} else {
				g.p("\tVPERMILPD $1, %s, %s", x(k), x(tmp))
			}
			g.p("\tVADD%s %s, %s, %s", pr.ss(), x(tmp), x(k), x(k))
			g.p("\tMOVQ %d(SI), R10", ntCoff+8*c)
			g.p("\tVADD%s (R12)(R10*1), %s, %s", pr.ss(), x(k), x(k))
			g.p("\tVMOV%s %s, (R12)(R10*1)", pr.ss(), x(k))
		}
		if r+1 < mr {
			g.p("\tADDQ R11, R12")
		}
	}
	g.p("\tVZEROUPPER")
	g.p("\tRET")
	g.p("")
	return name
}

// tanh32 constants, one 64-byte broadcast row each (AVX2 reads the first 32
// bytes). The method: |x| < 0.625: |x| + |x|·s·P(s), s = x² (Cephes tanhf);
// otherwise 1 − 2/(e^{2|x|}+1), then the sign of x; |x| is clamped to 9.1
// (where tanh rounds to 1), e^y = 2ⁿ·exp(r), r = y − n·ln2 in two parts,
// exp(r) a degree-7 polynomial (Cephes expf).
var tanhConsts = []struct {
	name string
	bits string // DATA value
}{
	{"abs", "$0x7fffffff"},
	{"clamp", "$9.1"},
	{"thr", "$0.625"},
	{"log2e", "$1.44269504088896341"},
	{"ln2hi", "$0.693359375"},
	{"ln2lo", "$-2.12194440e-4"},
	{"e0", "$1.9875691500e-4"},
	{"e1", "$1.3981999507e-3"},
	{"e2", "$8.3334519073e-3"},
	{"e3", "$4.1665795894e-2"},
	{"e4", "$1.6666665459e-1"},
	{"e5", "$5.0000001201e-1"},
	{"one", "$1.0"},
	{"two", "$2.0"},
	{"bias", "$127"},
	{"t0", "$-5.70498872745e-3"},
	{"t1", "$2.06390887954e-2"},
	{"t2", "$-5.37397155531e-2"},
	{"t3", "$1.33314422036e-1"},
	{"t4", "$-3.33332819422e-1"},
}

func (g *gen) tanhData() {
	for i, c := range tanhConsts {
		for j := 0; j < 16; j++ {
			g.p("DATA tanhc<>+%d(SB)/4, %s", 64*i+4*j, c.bits)
		}
	}
	g.p("GLOBL tanhc<>(SB), RODATA|NOPTR, $%d", 64*len(tanhConsts))
	g.p("")
}

func tc(name string) string {
	for i, c := range tanhConsts {
		if c.name == name {
			return fmt.Sprintf("tanhc<>+%d(SB)", 64*i)
		}
	}
	panic(name)
}

// tanh writes func tanhS<isa>(dst, src unsafe.Pointer, n int).
func (g *gen) tanh(is isa) string {
	name := "tanhS" + is.name
	r := is.reg
	g.p("// func %s(dst, src unsafe.Pointer, n int)", name)
	g.p("TEXT ·%s(SB), NOSPLIT, $0-24", name)
	g.p("\tMOVQ dst+0(FP), DI")
	g.p("\tMOVQ src+8(FP), SI")
	g.p("\tMOVQ n+16(FP), CX")
	g.p("\tTESTQ CX, CX")
	g.p("\tJZ done")
	and, xor, or := "VANDPS", "VXORPS", "VORPS"
	if is.avx512 {
		and, xor, or = "VPANDD", "VPXORD", "VPORD"
	}
	// registers: 0 x, 1 ax, 2 sign, 3 s (small), 4 p, 5 y, 6 n, 7 r, 8 e,
	// 9 scale, 10 large, 11 clamp const, 12 mask (AVX2), 13 tmp
	g.p("\tVMOVUPS %s, %s", tc("clamp"), r(11))
	g.p("loop:")
	g.p("\tVMOVUPS (SI), %s", r(0))
	g.p("\t%s %s, %s, %s", and, tc("abs"), r(0), r(1))
	g.p("\t%s %s, %s, %s", xor, r(1), r(0), r(2))
	// small: |x| + (|x|·s)·P(s), the sign applied at the end (so that −0
	// stays −0)
	g.p("\tVMULPS %s, %s, %s", r(1), r(1), r(3))
	g.p("\tVMOVUPS %s, %s", tc("t0"), r(4))
	for _, c := range []string{"t1", "t2", "t3", "t4"} {
		g.p("\tVFMADD213PS %s, %s, %s", tc(c), r(3), r(4)) // p = p·s + c
	}
	g.p("\tVMULPS %s, %s, %s", r(3), r(1), r(3)) // s = |x|·s
	g.p("\tVFMADD213PS %s, %s, %s", r(1), r(3), r(4))
	// large
	g.p("\tVMINPS %s, %s, %s", r(1), r(11), r(5)) // y = min(clamp, ax): NaN from ax
	g.p("\tVADDPS %s, %s, %s", r(5), r(5), r(5))
	g.p("\tVMULPS %s, %s, %s", tc("log2e"), r(5), r(6))
	g.p("\tVCVTPS2DQ %s, %s", r(6), r(9))
	g.p("\tVCVTDQ2PS %s, %s", r(9), r(6))
	g.p("\tVMOVUPS %s, %s", r(5), r(7))
	g.p("\tVFNMADD231PS %s, %s, %s", tc("ln2hi"), r(6), r(7)) // r −= n·ln2hi
	g.p("\tVFNMADD231PS %s, %s, %s", tc("ln2lo"), r(6), r(7))
	g.p("\tVMOVUPS %s, %s", tc("e0"), r(8))
	for _, c := range []string{"e1", "e2", "e3", "e4", "e5"} {
		g.p("\tVFMADD213PS %s, %s, %s", tc(c), r(7), r(8))
	}
	g.p("\tVMULPS %s, %s, %s", r(7), r(7), r(13))
	g.p("\tVFMADD213PS %s, %s, %s", r(7), r(13), r(8)) // e = p·r² + r
	g.p("\tVADDPS %s, %s, %s", tc("one"), r(8), r(8))
	g.p("\tVPADDD %s, %s, %s", tc("bias"), r(9), r(9))
	g.p("\tVPSLLD $23, %s, %s", r(9), r(9))
	g.p("\tVMULPS %s, %s, %s", r(9), r(8), r(8))
	g.p("\tVADDPS %s, %s, %s", tc("one"), r(8), r(8))
	if is.avx512 {
		// 2/(e+1) by a 14-bit reciprocal and one Newton step: a zmm
		// division costs several times more than a ymm one
		g.p("\tVRCP14PS %s, %s", r(8), r(13))
		g.p("\tVMOVUPS %s, %s", tc("one"), r(10))
		g.p("\tVFNMADD231PS %s, %s, %s", r(13), r(8), r(10)) // ε = 1 − d·r₀
		g.p("\tVFMADD231PS %s, %s, %s", r(10), r(13), r(13)) // r₁ = r₀ + r₀·ε
		g.p("\tVADDPS %s, %s, %s", r(13), r(13), r(13))
	} else {
		g.p("\tVMOVUPS %s, %s", tc("two"), r(13))
		g.p("\tVDIVPS %s, %s, %s", r(8), r(13), r(13)) // 2/(e+1)
	}
	g.p("\tVMOVUPS %s, %s", tc("one"), r(10))
	g.p("\tVSUBPS %s, %s, %s", r(13), r(10), r(10))
	if is.avx512 {
		g.p("\tVCMPPS $0x11, %s, %s, K1", tc("thr"), r(1))
		g.p("\tVMOVAPS %s, K1, %s", r(4), r(10))
	} else {
		g.p("\tVCMPPS $0x11, %s, %s, %s", tc("thr"), r(1), r(12))
		g.p("\tVBLENDVPS %s, %s, %s, %s", r(12), r(4), r(10), r(10))
	}
	g.p("\t%s %s, %s, %s", or, r(2), r(10), r(10))
	g.p("\tVMOVUPS %s, (DI)", r(10))
	g.p("\tADDQ $%d, SI", is.vec)
	g.p("\tADDQ $%d, DI", is.vec)
	g.p("\tSUBQ $%d, CX", is.vec/4)
	g.p("\tJNZ loop")
	g.p("done:")
	g.p("\tVZEROUPPER")
	g.p("\tRET")
	g.p("")
	return name
}

// tanhVJP writes func tanhVJP<P>Y(dx, dy, y unsafe.Pointer, n int):
// dx = dy·(1 − y·y) with the roundings of the Go expression (no fused
// multiply-add), n a multiple of 4 vectors.
func (g *gen) tanhVJP(pr prec) string {
	name := "tanhVJP" + pr.name + "Y"
	ps := pr.ps()
	g.p("// func %s(dx, dy, y unsafe.Pointer, n int)", name)
	g.p("TEXT ·%s(SB), NOSPLIT, $0-32", name)
	g.p("\tMOVQ dx+0(FP), DI")
	g.p("\tMOVQ dy+8(FP), SI")
	g.p("\tMOVQ y+16(FP), DX")
	g.p("\tMOVQ n+24(FP), CX")
	g.p("\tSHLQ $%d, CX", map[int]int{4: 2, 8: 3}[pr.sz])
	g.p("\tXORQ AX, AX")
	g.p("\tVBROADCAST%s %s, Y15", pr.ss(), map[int]string{4: "one32<>(SB)", 8: "one64<>(SB)"}[pr.sz])
	g.p("\tTESTQ CX, CX")
	g.p("\tJZ done")
	g.p("loop:")
	for u := range 4 {
		g.p("\tVMOVUP%s %d(DX)(AX*1), Y%d", ps[1:], 32*u, u)
		g.p("\tVMUL%s Y%d, Y%d, Y%d", ps, u, u, u)
		g.p("\tVSUB%s Y%d, Y15, Y%d", ps, u, u)
		g.p("\tVMUL%s %d(SI)(AX*1), Y%d, Y%d", ps, 32*u, u, u)
		g.p("\tVMOVUP%s Y%d, %d(DI)(AX*1)", ps[1:], u, 32*u)
	}
	g.p("\tADDQ $128, AX")
	g.p("\tCMPQ AX, CX")
	g.p("\tJLT loop")
	g.p("done:")
	g.p("\tVZEROUPPER")
	g.p("\tRET")
	g.p("")
	return name
}

// sum writes func sum<P>Y(p unsafe.Pointer, n int) float64: the sum of n
// elements (a multiple of 16) in float64, in four accumulators of four lanes
// combined by a fixed tree.
func (g *gen) sum(pr prec) string {
	name := "sum" + pr.name + "Y"
	g.p("// func %s(p unsafe.Pointer, n int) float64", name)
	g.p("TEXT ·%s(SB), NOSPLIT, $0-24", name)
	g.p("\tMOVQ p+0(FP), SI")
	g.p("\tMOVQ n+8(FP), CX")
	g.p("\tSHLQ $%d, CX", map[int]int{4: 2, 8: 3}[pr.sz])
	g.p("\tXORQ AX, AX")
	for u := range 4 {
		g.p("\tVXORPD Y%d, Y%d, Y%d", u, u, u)
	}
	g.p("\tTESTQ CX, CX")
	g.p("\tJZ done")
	g.p("loop:")
	for u := range 4 {
		if pr.sz == 4 {
			g.p("\tVCVTPS2PD %d(SI)(AX*1), Y%d", 16*u, 4+u)
			g.p("\tVADDPD Y%d, Y%d, Y%d", 4+u, u, u)
		} else {
			g.p("\tVADDPD %d(SI)(AX*1), Y%d, Y%d", 32*u, u, u)
		}
	}
	g.p("\tADDQ $%d, AX", 4*4*pr.sz)
	g.p("\tCMPQ AX, CX")
	g.p("\tJLT loop")
	g.p("done:")
	g.p("\tVADDPD Y1, Y0, Y0")
	g.p("\tVADDPD Y3, Y2, Y2")
	g.p("\tVADDPD Y2, Y0, Y0")
	g.p("\tVEXTRACTF128 $1, Y0, X1")
	g.p("\tVADDPD X1, X0, X0")
	g.p("\tVPERMILPD $1, X0, X1")
	g.p("\tVADDSD X1, X0, X0")
	g.p("\tVMOVSD X0, ret+16(FP)")
	g.p("\tVZEROUPPER")
	g.p("\tRET")
	g.p("")
	return name
}

func main() {
	var g gen
	g.p("// Code generated by gen_kernels.go; DO NOT EDIT.")
	g.p("")
	g.p("//go:build amd64 && !purego")
	g.p("")
	g.p("#include \"textflag.h\"")
	g.p("")
	g.tanhData()
	fmt.Fprintf(&g.g, "// Code generated by gen_kernels.go; DO NOT EDIT.\n\n//go:build amd64 && !purego\n\npackage nn\n\nimport \"unsafe\"\n\n")
	decl := func(name, sig string) {
		fmt.Fprintf(&g.g, "//go:noescape\nfunc %s%s\n\n", name, sig)
	}
	var nnCases, ntCases []string
	for ii, is := range isas {
		for pi, pr := range precs {
			kind := 2*ii + pi
			for mr := 1; mr <= 4; mr++ {
				for _, sh := range is.nnShapes() {
					n := g.nn(is, pr, mr, sh[0], sh[1])
					decl(n, "(p *nnArgs)")
					nnCases = append(nnCases, fmt.Sprintf("case 0x%x%x%x%x:\n%s(p)", kind, mr, sh[0], sh[1], n))
				}
				for nr := 1; nr <= is.nrMax; nr++ {
					for sh := range 2 {
						n := g.nt(is, pr, mr, nr, sh == 1)
						decl(n, "(p *ntArgs)")
						ntCases = append(ntCases, fmt.Sprintf("case 0x%x%x%x%x:\n%s(p)", kind, mr, nr, sh, n))
					}
				}
			}
		}
		decl(g.tanh(is), "(dst, src unsafe.Pointer, n int)")
	}
	fmt.Fprintf(&g.g, `// callNN runs the NN kernel of a kind (simdKernels.kind: 0 float32 AVX2,
// 1 float64 AVX2, 2 float32 AVX-512, 3 float64 AVX-512) and tile (mr rows,
// ns sites of nv vectors). Direct calls keep p on the caller's stack.
func callNN(kind, mr, ns, nv int, p *nnArgs) {
	switch kind<<12 | mr<<8 | ns<<4 | nv {
	%s
	default:
		panic("nn: no NN kernel")
	}
}

// callNT runs the NT kernel of a kind and tile (mr rows of A, nr rows of B;
// shared: the rows of B share the site table tab[0]).
func callNT(kind, mr, nr int, shared bool, p *ntArgs) {
	sh := 0
	if shared {
		sh = 1
	}
	switch kind<<12 | mr<<8 | nr<<4 | sh {
	%s
	default:
		panic("nn: no NT kernel")
	}
}

`, strings.Join(nnCases, "\n"), strings.Join(ntCases, "\n"))
	g.p("DATA one32<>+0(SB)/4, $1.0")
	g.p("GLOBL one32<>(SB), RODATA|NOPTR, $4")
	g.p("DATA one64<>+0(SB)/8, $1.0")
	g.p("GLOBL one64<>(SB), RODATA|NOPTR, $8")
	g.p("")
	for _, pr := range precs {
		decl(g.tanhVJP(pr), "(dx, dy, y unsafe.Pointer, n int)")
		decl(g.sum(pr), "(p unsafe.Pointer, n int) float64")
	}
	if err := os.WriteFile("kernels_amd64.s", g.s.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	src, err := format.Source(g.g.Bytes())
	if err != nil {
		log.Fatalf("%v\n%s", err, g.g.Bytes())
	}
	if err := os.WriteFile("kernels_amd64.go", src, 0o644); err != nil {
		log.Fatal(err)
	}
	_ = nnSize
	_ = ntSize
}
