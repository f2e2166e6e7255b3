//go:build amd64 && !purego

#include "textflag.h"

// SIMD kernels of the 2-d φ⁴ force (Phi4.Grad, phi4grad_amd64.go) on one
// configuration, row by row of the fast axis 1. In a row, the neighbours
// x±1̂ of the interior sites j = 1 … l1−2 are the unaligned vectors f[j+1]
// and f[j−1], the neighbours x±0̂ the same columns of the rows above and
// below; the end sites j = 0 and j = l1−1, whose x±1̂ wrap around the row,
// are done one at a time with scalar instructions. Each lane (and each
// scalar site) computes exactly what the Go loop computes for its site,
// operation by operation in the same order and association, every
// operation rounded once to float64:
//
//	t = a2·p;  u = ((a4·p)·p)·p;  gx = t + u;
//	gx = gx − w0·(f[x+0̂] + f[x−0̂]);  gx = gx − w0·(f[x+1̂] + f[x−1̂]),
//
// with separate VMULPD/VMULSD, VADDPD/VADDSD and VSUBPD/VSUBSD (no fused
// multiply-add), so the results are bit-identical to the Go code's: IEEE
// addition and multiplication are correctly rounded and commutative, so the
// order of the two operands of one addition (f[x+μ̂] + f[x−μ̂] or its
// mirror) does not matter, only the association, which is kept.
//
// Register use: SI the row of f, DI the row of dst, R8 the row above
// (x+0̂), R9 the row below (x−0̂), R13 row 0 of f, AX the last row of f,
// R11 the row length in bytes, R14 the offset of a row's last site,
// R10 the row counter, R12 l0, CX the first site of the last vector of the
// interior less 1, BX the first site of the current vector less 1.
// Constants: a2, a4, w0 broadcast to Z13–Z15 (Y13–Y15; the scalar code
// reads their low lanes X13–X15).

// BLOCK_Z computes the interior sites j = BX+1 … BX+8 of the current row:
// Z0 = p, Z1 = a2·p then gx, Z2 = ((a4·p)·p)·p, Z3 = w0·(f[x+0̂] + f[x−0̂]),
// Z4 = w0·(f[x+1̂] + f[x−1̂]).
#define BLOCK_Z \
	VMOVUPD 8(SI)(BX*8), Z0; \
	VMULPD  Z13, Z0, Z1; \
	VMULPD  Z14, Z0, Z2; \
	VMULPD  Z0, Z2, Z2; \
	VMULPD  Z0, Z2, Z2; \
	VADDPD  Z2, Z1, Z1; \
	VMOVUPD 8(R8)(BX*8), Z3; \
	VADDPD  8(R9)(BX*8), Z3, Z3; \
	VMULPD  Z15, Z3, Z3; \
	VSUBPD  Z3, Z1, Z1; \
	VMOVUPD 16(SI)(BX*8), Z4; \
	VADDPD  (SI)(BX*8), Z4, Z4; \
	VMULPD  Z15, Z4, Z4; \
	VSUBPD  Z4, Z1, Z1; \
	VMOVUPD Z1, 8(DI)(BX*8)

// BLOCK_Y is BLOCK_Z on ymm registers, sites j = BX+1 … BX+4.
#define BLOCK_Y \
	VMOVUPD 8(SI)(BX*8), Y0; \
	VMULPD  Y13, Y0, Y1; \
	VMULPD  Y14, Y0, Y2; \
	VMULPD  Y0, Y2, Y2; \
	VMULPD  Y0, Y2, Y2; \
	VADDPD  Y2, Y1, Y1; \
	VMOVUPD 8(R8)(BX*8), Y3; \
	VADDPD  8(R9)(BX*8), Y3, Y3; \
	VMULPD  Y15, Y3, Y3; \
	VSUBPD  Y3, Y1, Y1; \
	VMOVUPD 16(SI)(BX*8), Y4; \
	VADDPD  (SI)(BX*8), Y4, Y4; \
	VMULPD  Y15, Y4, Y4; \
	VSUBPD  Y4, Y1, Y1; \
	VMOVUPD Y1, 8(DI)(BX*8)

// SITE is BLOCK_Z for one site with scalar instructions: P its value, U and
// D its neighbours x±0̂, R and L its neighbours x±1̂, OUT where its force
// goes.
#define SITE(P, U, D, R, L, OUT) \
	VMOVSD P, X0; \
	VMULSD X13, X0, X1; \
	VMULSD X14, X0, X2; \
	VMULSD X0, X2, X2; \
	VMULSD X0, X2, X2; \
	VADDSD X2, X1, X1; \
	VMOVSD U, X3; \
	VADDSD D, X3, X3; \
	VMULSD X15, X3, X3; \
	VSUBSD X3, X1, X1; \
	VMOVSD R, X4; \
	VADDSD L, X4, X4; \
	VMULSD X15, X4, X4; \
	VSUBSD X4, X1, X1; \
	VMOVSD X1, OUT

// SETUP(W) loads the arguments and the constants and sets up the row
// registers for vectors of W sites.
#define SETUP(W) \
	MOVQ dst+0(FP), DI; \
	MOVQ f+8(FP), SI; \
	MOVQ l0+16(FP), R12; \
	MOVQ l1+24(FP), R11; \
	MOVQ SI, R13; \
	LEAQ -1(R11), R14; \
	SHLQ $3, R14; \
	LEAQ -2-W(R11), CX; \
	SHLQ $3, R11; \
	LEAQ -1(R12), AX; \
	IMULQ R11, AX; \
	ADDQ R13, AX; \
	MOVQ AX, R9; \
	XORQ R10, R10

// ENDS computes the two end sites of the current row: j = 0, with x+1̂ at
// j = 1 and x−1̂ at j = l1−1, and j = l1−1, with x+1̂ at j = 0 and x−1̂ at
// j = l1−2.
#define ENDS \
	SITE((SI), (R8), (R9), 8(SI), (SI)(R14*1), (DI)); \
	SITE((SI)(R14*1), (R8)(R14*1), (R9)(R14*1), (SI), -8(SI)(R14*1), (DI)(R14*1))

// func phi4Grad2Z(dst, f *float64, l0, l1 int, a2, a4, w0 float64)
TEXT ·phi4Grad2Z(SB), NOSPLIT, $0-56
	SETUP(8)
	VBROADCASTSD a2+32(FP), Z13
	VBROADCASTSD a4+40(FP), Z14
	VBROADCASTSD w0+48(FP), Z15

rowZ:
	// R8 = the row above: the next one, or row 0 after the last row.
	LEAQ (SI)(R11*1), R8
	CMPQ SI, AX
	JNE  interiorZ
	MOVQ R13, R8

interiorZ:
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
	ENDS

	// Next row: this one is the row below it.
	MOVQ SI, R9
	ADDQ R11, SI
	ADDQ R11, DI
	INCQ R10
	CMPQ R10, R12
	JLT  rowZ
	VZEROUPPER
	RET

// func phi4Grad2Y(dst, f *float64, l0, l1 int, a2, a4, w0 float64)
TEXT ·phi4Grad2Y(SB), NOSPLIT, $0-56
	SETUP(4)
	VBROADCASTSD a2+32(FP), Y13
	VBROADCASTSD a4+40(FP), Y14
	VBROADCASTSD w0+48(FP), Y15

rowY:
	LEAQ (SI)(R11*1), R8
	CMPQ SI, AX
	JNE  interiorY
	MOVQ R13, R8

interiorY:
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
	ENDS

	MOVQ SI, R9
	ADDQ R11, SI
	ADDQ R11, DI
	INCQ R10
	CMPQ R10, R12
	JLT  rowY
	VZEROUPPER
	RET
