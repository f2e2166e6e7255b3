//go:build amd64 && !purego

#include "textflag.h"

// SIMD kernels of the flat leapfrog's kick p ← p − c·g and drift
// φ ← φ + c·p (axpy_amd64.go). Each element gets the two operations of the
// Go loop, c·y rounded to float64 by VMULPD and then the sum or difference
// rounded by VADDPD or VSUBPD (no fused multiply-add), so the result is
// bit-identical to the Go code's. The loops run 16 (AVX-512, two zmm) or 8
// (AVX2, two ymm) elements per iteration, then one more vector if there is
// one, and return the elements done: len(x) rounded down to a multiple of
// 8 or 4.
//
// Register use: DI x (updated in place), SI y, CX the elements to do, BX
// the elements done; c broadcast to Z31 (Y15).

// AXPY_Z(OP) runs x[i] = x[i] OP c·y[i] on zmm registers.
#define AXPY_Z(OP) \
	MOVQ x_base+0(FP), DI; \
	MOVQ y_base+24(FP), SI; \
	MOVQ x_len+8(FP), CX; \
	VBROADCASTSD c+48(FP), Z31; \
	ANDQ $-8, CX; \
	XORQ BX, BX; \
	MOVQ CX, DX; \
	ANDQ $-16, DX; \
loop16:; \
	CMPQ BX, DX; \
	JGE  tail8; \
	VMULPD (SI)(BX*8), Z31, Z0; \
	VMULPD 64(SI)(BX*8), Z31, Z1; \
	VMOVUPD (DI)(BX*8), Z2; \
	VMOVUPD 64(DI)(BX*8), Z3; \
	OP Z0, Z2, Z2; \
	OP Z1, Z3, Z3; \
	VMOVUPD Z2, (DI)(BX*8); \
	VMOVUPD Z3, 64(DI)(BX*8); \
	ADDQ $16, BX; \
	JMP  loop16; \
tail8:; \
	CMPQ BX, CX; \
	JGE  done; \
	VMULPD (SI)(BX*8), Z31, Z0; \
	VMOVUPD (DI)(BX*8), Z2; \
	OP Z0, Z2, Z2; \
	VMOVUPD Z2, (DI)(BX*8); \
done:; \
	VZEROUPPER; \
	MOVQ CX, ret+56(FP); \
	RET

// AXPY_Y(OP) is AXPY_Z on ymm registers, 8 and 4 elements.
#define AXPY_Y(OP) \
	MOVQ x_base+0(FP), DI; \
	MOVQ y_base+24(FP), SI; \
	MOVQ x_len+8(FP), CX; \
	VBROADCASTSD c+48(FP), Y15; \
	ANDQ $-4, CX; \
	XORQ BX, BX; \
	MOVQ CX, DX; \
	ANDQ $-8, DX; \
loop8:; \
	CMPQ BX, DX; \
	JGE  tail4; \
	VMULPD (SI)(BX*8), Y15, Y0; \
	VMULPD 32(SI)(BX*8), Y15, Y1; \
	VMOVUPD (DI)(BX*8), Y2; \
	VMOVUPD 32(DI)(BX*8), Y3; \
	OP Y0, Y2, Y2; \
	OP Y1, Y3, Y3; \
	VMOVUPD Y2, (DI)(BX*8); \
	VMOVUPD Y3, 32(DI)(BX*8); \
	ADDQ $8, BX; \
	JMP  loop8; \
tail4:; \
	CMPQ BX, CX; \
	JGE  done; \
	VMULPD (SI)(BX*8), Y15, Y0; \
	VMOVUPD (DI)(BX*8), Y2; \
	OP Y0, Y2, Y2; \
	VMOVUPD Y2, (DI)(BX*8); \
done:; \
	VZEROUPPER; \
	MOVQ CX, ret+56(FP); \
	RET

// func kickZ(x, y []float64, c float64) int
TEXT ·kickZ(SB), NOSPLIT, $0-64
	AXPY_Z(VSUBPD)

// func kickY(x, y []float64, c float64) int
TEXT ·kickY(SB), NOSPLIT, $0-64
	AXPY_Y(VSUBPD)

// func driftZ(x, y []float64, c float64) int
TEXT ·driftZ(SB), NOSPLIT, $0-64
	AXPY_Z(VADDPD)

// func driftY(x, y []float64, c float64) int
TEXT ·driftY(SB), NOSPLIT, $0-64
	AXPY_Y(VADDPD)
