//go:build ignore

// gen_fft writes cnffft_amd64.s, the SIMD butterflies of the CNF's FFT
// (cnffft.go) for rows of contiguous complex128 values (run `go generate
// ./flow/`):
//
//   - dif4{Z,Y}(x, rs, n, w): the radix-4 DIF butterfly of dif4Rows on the
//     four rows x, x+rs, x+2rs, x+3rs (rs in bytes), n values each;
//   - dit4{Z,Y}: the radix-4 DIT butterfly of dit4Rows;
//   - dif2{Z,Y}, dit2{Z,Y}: the radix-2 butterflies of dif2 and dit2 on the
//     rows x and x+rs;
//   - mulAcc{Z,Y}(acc, ka, kb, z, n): acc[k] += complex(ka[k], −kb[k])·z[k],
//     the mode-by-mode loop of cnfFFT.apply.
//
// Z is AVX-512 F (zmm, 4 complex128 per register), Y is AVX (ymm, 2 per
// register); n is a multiple of 4 or 2. w points at the row's twiddles in
// the layout of cnfFFTStage.twv (c, c, −d, d for W = c + i d) or twvConj;
// for the radix-4 kernels w = nil means no twiddles (the row j = 0).
//
// The kernels are bit-identical to the Go loops: no fused multiply-add, and
// each complex operation rounds exactly as Go's. Go compiles z·W, z = a + ib,
// to re = a·c − b·d, im = a·d + b·c; the kernels form z·(c, c) = (a·c, b·c)
// and swap(z)·(−d, d) = (−(b·d), a·d) (negation is exact and commutes with
// rounding) and add them: a·c + (−(b·d)) is a·c − b·d by definition, and
// b·c + a·d equals a·d + b·c (IEEE addition is commutative). mulNegI(z) =
// (b, −a) is a lane swap (VPERMILPD) and a sign flip (XOR with −0 in the
// imaginary lanes), exact as in Go. Sums and differences are lane by lane.
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
)

type isa struct {
	name  string // "Z" or "Y"
	lanes int    // complex128 per register
	log2  int    // log2(lanes)
	swap  string // VPERMILPD immediate exchanging re and im of every value
	xor   string // 64-bit XOR
	bcast string // broadcast of 16 bytes to every 128-bit lane
}

var isas = []isa{
	{"Z", 4, 2, "$0x55", "VPXORQ", "VBROADCASTF32X4"},
	{"Y", 2, 1, "$0x05", "VXORPD", "VBROADCASTF128"},
}

var buf bytes.Buffer

func w(f string, a ...any) { fmt.Fprintf(&buf, f+"\n", a...) }

// Registers: V(0…3) the rows, V(4…7) the butterfly's t0…t3 and the complex
// product's temporaries, V(8) the sign mask, V(9…14) the broadcast twiddles
// (c, c) and (−d, d) of W1, W2, W3.
func (s isa) v(i int) string { return fmt.Sprintf("%s%d", s.name, i) }

// cmul multiplies register u by the twiddle in registers wc, wd (u ← u·W).
func (s isa) cmul(u, wc, wd int) {
	w("\tVMULPD %s, %s, %s", s.v(wc), s.v(u), s.v(4))
	w("\tVPERMILPD %s, %s, %s", s.swap, s.v(u), s.v(5))
	w("\tVMULPD %s, %s, %s", s.v(wd), s.v(5), s.v(5))
	w("\tVADDPD %s, %s, %s", s.v(5), s.v(4), s.v(u))
}

// butterfly4 computes t0 = x0 + x2, t1 = x0 − x2, t2 = x1 + x3,
// t3 = −i(x1 − x3) into V4…V7, then the outputs into V0…V3: for the DIF
// t0 + t2, t1 + t3, t0 − t2, t1 − t3; for the DIT t0 + t2, t1 − t3, t0 − t2,
// t1 + t3.
func (s isa) butterfly4(dit bool) {
	w("\tVADDPD %s, %s, %s", s.v(2), s.v(0), s.v(4))
	w("\tVSUBPD %s, %s, %s", s.v(2), s.v(0), s.v(5))
	w("\tVADDPD %s, %s, %s", s.v(3), s.v(1), s.v(6))
	w("\tVSUBPD %s, %s, %s", s.v(3), s.v(1), s.v(7))
	w("\tVPERMILPD %s, %s, %s", s.swap, s.v(7), s.v(7))
	w("\t%s %s, %s, %s", s.xor, s.v(8), s.v(7), s.v(7))
	w("\tVADDPD %s, %s, %s", s.v(6), s.v(4), s.v(0))
	w("\tVSUBPD %s, %s, %s", s.v(6), s.v(4), s.v(2))
	if dit {
		w("\tVSUBPD %s, %s, %s", s.v(7), s.v(5), s.v(1))
		w("\tVADDPD %s, %s, %s", s.v(7), s.v(5), s.v(3))
	} else {
		w("\tVADDPD %s, %s, %s", s.v(7), s.v(5), s.v(1))
		w("\tVSUBPD %s, %s, %s", s.v(7), s.v(5), s.v(3))
	}
}

func (s isa) header(name, doc string) {
	w("")
	w("// %s", doc)
	w("//")
	w("// func %s%s(x *complex128, rs, n int, w *float64)", name, s.name)
	w("TEXT ·%s%s(SB), NOSPLIT, $0-32", name, s.name)
	w("\tMOVQ x+0(FP), SI")
	w("\tMOVQ rs+8(FP), R9")
	w("\tMOVQ n+16(FP), CX")
	w("\tMOVQ w+24(FP), AX")
	w("\tLEAQ (R9)(R9*2), R10")
	w("\tSHRQ $%d, CX", s.log2)
	w("\tJZ done")
}

// rows loads (or stores) registers V(0…k−1) from the rows x + r·rs.
func (s isa) rows(k int, store bool) {
	addr := []string{"(SI)", "(SI)(R9*1)", "(SI)(R9*2)", "(SI)(R10*1)"}
	for r := range k {
		if store {
			w("\tVMOVUPD %s, %s", s.v(r), addr[r])
		} else {
			w("\tVMOVUPD %s, %s", addr[r], s.v(r))
		}
	}
}

func (s isa) next(label string) {
	w("\tADDQ $%d, SI", 16*s.lanes)
	w("\tDECQ CX")
	w("\tJNZ %s", label)
}

func (s isa) radix4(dit bool) {
	name, doc := "dif4", "dif4 is the radix-4 DIF butterfly of dif4Rows, y_r ← W_r·y_r after it."
	if dit {
		name, doc = "dit4", "dit4 is the radix-4 DIT butterfly of dit4Rows, y_r ← conj(W_r)·y_r before it."
	}
	s.header(name, doc)
	w("\tVMOVUPD fftsign<>(SB), %s", s.v(8))
	w("\tTESTQ AX, AX")
	w("\tJZ plain")
	for i := range 6 {
		w("\t%s %d(AX), %s", s.bcast, 16*i, s.v(9+i))
	}
	w("twiddled:")
	s.rows(4, false)
	if dit {
		for r := 1; r < 4; r++ {
			s.cmul(r, 7+2*r, 8+2*r)
		}
	}
	s.butterfly4(dit)
	if !dit {
		for r := 1; r < 4; r++ {
			s.cmul(r, 7+2*r, 8+2*r)
		}
	}
	s.rows(4, true)
	s.next("twiddled")
	w("\tVZEROUPPER")
	w("\tRET")
	w("plain:")
	s.rows(4, false)
	s.butterfly4(dit)
	s.rows(4, true)
	s.next("plain")
	w("\tVZEROUPPER")
	w("done:")
	w("\tRET")
}

func (s isa) radix2(dit bool) {
	name, doc := "dif2", "dif2 is the radix-2 DIF butterfly of dif2: x0 + x1, W·(x0 − x1)."
	if dit {
		name, doc = "dit2", "dit2 is the radix-2 DIT butterfly of dit2: y0 ± conj(W)·y1."
	}
	s.header(name, doc)
	w("\t%s 0(AX), %s", s.bcast, s.v(9))
	w("\t%s 16(AX), %s", s.bcast, s.v(10))
	w("loop:")
	s.rows(2, false)
	if dit {
		s.cmul(1, 9, 10)
	}
	w("\tVADDPD %s, %s, %s", s.v(1), s.v(0), s.v(2))
	w("\tVSUBPD %s, %s, %s", s.v(1), s.v(0), s.v(3))
	if !dit {
		s.cmul(3, 9, 10)
	}
	w("\tVMOVUPD %s, (SI)", s.v(2))
	w("\tVMOVUPD %s, (SI)(R9*1)", s.v(3))
	s.next("loop")
	w("\tVZEROUPPER")
	w("done:")
	w("\tRET")
}

// mulAcc: with z = (zr, zi), Go forms complex(ka, −kb)·z as
// re = ka·zr − (−kb)·zi = ka·zr + kb·zi and im = ka·zi + (−kb)·zr =
// ka·zi + (−(kb·zr)), exactly; the kernel computes (ka, ka)·z +
// [(kb, kb)·swap(z) with the imaginary lanes negated] and adds it to acc.
// ka and kb are duplicated into (ka, ka) pairs by VPERMPD.
func (s isa) mulAcc() {
	w("")
	w("// mulAcc is acc[k] += complex(ka[k], −kb[k])·z[k] for k < n.")
	w("//")
	w("// func mulAcc%s(acc *complex128, ka, kb *float64, z *complex128, n int)", s.name)
	w("TEXT ·mulAcc%s(SB), NOSPLIT, $0-40", s.name)
	w("\tMOVQ acc+0(FP), DI")
	w("\tMOVQ ka+8(FP), AX")
	w("\tMOVQ kb+16(FP), BX")
	w("\tMOVQ z+24(FP), SI")
	w("\tMOVQ n+32(FP), CX")
	w("\tSHRQ $%d, CX", s.log2)
	w("\tJZ done")
	w("\tVMOVUPD fftsign<>(SB), %s", s.v(8))
	if s.name == "Z" {
		w("\tVMOVDQU64 fftdup<>(SB), Z9")
	}
	w("loop:")
	for i, r := range []string{"AX", "BX"} {
		if s.name == "Z" {
			w("\tVMOVUPD (%s), Y%d", r, i)
			w("\tVPERMPD Z%d, Z9, Z%d", i, i)
		} else {
			w("\tVBROADCASTF128 (%s), Y%d", r, i)
			w("\tVPERMPD $0x50, Y%d, Y%d", i, i)
		}
	}
	w("\tVMOVUPD (SI), %s", s.v(2))
	w("\tVMULPD %s, %s, %s", s.v(2), s.v(0), s.v(0))
	w("\tVPERMILPD %s, %s, %s", s.swap, s.v(2), s.v(2))
	w("\tVMULPD %s, %s, %s", s.v(2), s.v(1), s.v(1))
	w("\t%s %s, %s, %s", s.xor, s.v(8), s.v(1), s.v(1))
	w("\tVADDPD %s, %s, %s", s.v(1), s.v(0), s.v(0))
	w("\tVMOVUPD (DI), %s", s.v(3))
	w("\tVADDPD %s, %s, %s", s.v(0), s.v(3), s.v(3))
	w("\tVMOVUPD %s, (DI)", s.v(3))
	w("\tADDQ $%d, DI", 16*s.lanes)
	w("\tADDQ $%d, SI", 16*s.lanes)
	w("\tADDQ $%d, AX", 8*s.lanes)
	w("\tADDQ $%d, BX", 8*s.lanes)
	w("\tDECQ CX")
	w("\tJNZ loop")
	w("\tVZEROUPPER")
	w("done:")
	w("\tRET")
}

func main() {
	w("// Code generated by gen_fft.go; DO NOT EDIT.")
	w("")
	w("//go:build amd64 && !purego")
	w("")
	w(`#include "textflag.h"`)
	w("")
	w("// fftsign<> has −0 in the imaginary lanes: XOR with it negates them.")
	for i := range 8 {
		v := "0x0000000000000000"
		if i%2 == 1 {
			v = "0x8000000000000000"
		}
		w("DATA fftsign<>+%d(SB)/8, $%s", 8*i, v)
	}
	w("GLOBL fftsign<>(SB), RODATA|NOPTR, $64")
	w("")
	w("// fftdup<> is the VPERMPD index 0, 0, 1, 1, 2, 2, 3, 3 (each of 4 reals twice).")
	for i := range 8 {
		w("DATA fftdup<>+%d(SB)/8, $%d", 8*i, i/2)
	}
	w("GLOBL fftdup<>(SB), RODATA|NOPTR, $64")
	for _, s := range isas {
		s.radix4(false)
		s.radix4(true)
		s.radix2(false)
		s.radix2(true)
		s.mulAcc()
	}
	if err := os.WriteFile("cnffft_amd64.s", buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
