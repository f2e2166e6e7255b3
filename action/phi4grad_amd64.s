//go:build amd64 && !purego

#include "textflag.h"

// SIMD kernels of the 2-d φ⁴ force (Phi4.Grad, phi4grad_amd64.go), one row
// of the fast axis at a time: the neighbours x±1̂ of sites j = 1 … n of a
// row are the unaligned vectors f[j+1] and f[j−1], the neighbours x±0̂ the
// same columns of the rows above and below. Each lane computes exactly what
// the Go loop computes for its site, operation by operation in the same
// order and association, every operation rounded once to float64:
//
//	t = a2·p;  u = ((a4·p)·p)·p;  gx = t + u;
//	gx = gx − w0·(fu + fd);  gx = gx − w0·(f[j+1] + f[j−1]),
//
// with separate VMULPD, VADDPD and VSUBPD (no fused multiply-add), so the
// results are bit-identical to the Go code's: IEEE addition and
// multiplication are correctly rounded and commutative, so the order of the
// two operands of one addition (f[x+μ̂] + f[x−μ̂] or its mirror) does not
// matter, only the association, which is kept.
//
// Register use: DI dst, SI f, R8 fu, R9 fd (each pointing at the first site
// of the block range), CX n − W (the start of the last block), BX the
// current block's first site; W = 8 (zmm) or 4 (ymm). Constants: a2, a4,
// w0 broadcast to Z29–Z31 (Y13–Y15).

// BLOCK_Z computes sites BX … BX+7: Z0 = p, Z1 = a2·p then gx, Z2 =
// ((a4·p)·p)·p, Z3 = w0·(f[x+0̂] + f[x−0̂]), Z4 = w0·(f[x+1̂] + f[x−1̂]).
#define BLOCK_Z \
	VMOVUPD (SI)(BX*8), Z0; \
	VMULPD  Z29, Z0, Z1; \
	VMULPD  Z30, Z0, Z2; \
	VMULPD  Z0, Z2, Z2; \
	VMULPD  Z0, Z2, Z2; \
	VADDPD  Z2, Z1, Z1; \
	VMOVUPD (R8)(BX*8), Z3; \
	VADDPD  (R9)(BX*8), Z3, Z3; \
	VMULPD  Z31, Z3, Z3; \
	VSUBPD  Z3, Z1, Z1; \
	VMOVUPD 8(SI)(BX*8), Z4; \
	VADDPD  -8(SI)(BX*8), Z4, Z4; \
	VMULPD  Z31, Z4, Z4; \
	VSUBPD  Z4, Z1, Z1; \
	VMOVUPD Z1, (DI)(BX*8)

// BLOCK_Y is BLOCK_Z on ymm registers, sites BX … BX+3.
#define BLOCK_Y \
	VMOVUPD (SI)(BX*8), Y0; \
	VMULPD  Y13, Y0, Y1; \
	VMULPD  Y14, Y0, Y2; \
	VMULPD  Y0, Y2, Y2; \
	VMULPD  Y0, Y2, Y2; \
	VADDPD  Y2, Y1, Y1; \
	VMOVUPD (R8)(BX*8), Y3; \
	VADDPD  (R9)(BX*8), Y3, Y3; \
	VMULPD  Y15, Y3, Y3; \
	VSUBPD  Y3, Y1, Y1; \
	VMOVUPD 8(SI)(BX*8), Y4; \
	VADDPD  -8(SI)(BX*8), Y4, Y4; \
	VMULPD  Y15, Y4, Y4; \
	VSUBPD  Y4, Y1, Y1; \
	VMOVUPD Y1, (DI)(BX*8)

// func phi4GradRowZ(dst, f, fu, fd *float64, n int, a2, a4, w0 float64)
TEXT ·phi4GradRowZ(SB), NOSPLIT, $0-64
	MOVQ dst+0(FP), DI
	MOVQ f+8(FP), SI
	MOVQ fu+16(FP), R8
	MOVQ fd+24(FP), R9
	MOVQ n+32(FP), CX
	VBROADCASTSD a2+40(FP), Z29
	VBROADCASTSD a4+48(FP), Z30
	VBROADCASTSD w0+56(FP), Z31
	SUBQ $8, CX
	XORQ BX, BX

loopZ:
	CMPQ BX, CX
	JGE  lastZ
	BLOCK_Z
	ADDQ $8, BX
	JMP  loopZ

lastZ:
	MOVQ CX, BX
	BLOCK_Z
	VZEROUPPER
	RET

// func phi4GradRowY(dst, f, fu, fd *float64, n int, a2, a4, w0 float64)
TEXT ·phi4GradRowY(SB), NOSPLIT, $0-64
	MOVQ dst+0(FP), DI
	MOVQ f+8(FP), SI
	MOVQ fu+16(FP), R8
	MOVQ fd+24(FP), R9
	MOVQ n+32(FP), CX
	VBROADCASTSD a2+40(FP), Y13
	VBROADCASTSD a4+48(FP), Y14
	VBROADCASTSD w0+56(FP), Y15
	SUBQ $4, CX
	XORQ BX, BX

loopY:
	CMPQ BX, CX
	JGE  lastY
	BLOCK_Y
	ADDQ $4, BX
	JMP  loopY

lastY:
	MOVQ CX, BX
	BLOCK_Y
	VZEROUPPER
	RET
