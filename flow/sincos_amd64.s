//go:build amd64 && !purego

#include "textflag.h"

// SIMD kernels of sincosScaled and sincosSumCos (sincos.go), 8 elements per
// loop iteration: one zmm register of 8 float64 lanes (AVX-512F), or two
// ymm registers of 4 lanes (AVX2), lanes 0–3 and 4–7. Each lane computes
// exactly what sincosGo computes for its element, operation by operation in
// the same order and association, every operation rounded once to float64:
//
//	y = w x,   t = y·scale + rnd,   k = t − rnd,   j = bits(t) & (N−1),
//	(S, C) = tab[j]   (two gathers, at byte offsets 16 j and 16 j + 8),
//	r = ((y − k·A) − k·B) − k·C,   z = r·r,
//	s = r + (r·z)·(S3 + z·S5),   cm1 = z·(−1/2 + z·(C4 + z·C6)),
//	sin = S + (S·cm1 + C·s),   cos = C + (C·cm1 − S·s),
//
// with separate VMULPD, VADDPD and VSUBPD (no fused multiply-add), so the
// results are bit-identical to the Go code's: IEEE addition and
// multiplication are correctly rounded and commutative, whichever operand
// comes first. A block holding a lane with !(|y| ≤ cnfSincosMax) (the
// unordered compare predicate NLE_UQ also catches NaN) ends the loop before
// anything of it is written; the kernel returns the elements done, and the
// Go wrapper runs that block with math.Sincos where needed.
//
// Register use: SI x, DI sn, DX cs, R8 the table, R9 the partial sums, CX
// len(x) (a multiple of 8), BX the elements done.

// The constants of sincosConsts (sincos_amd64.go), 32 bytes apart.
#define C_ABS ·sincosConsts+0(SB)
#define C_MAX ·sincosConsts+32(SB)
#define C_SCALE ·sincosConsts+64(SB)
#define C_RND ·sincosConsts+96(SB)
#define C_TABA ·sincosConsts+128(SB)
#define C_TABB ·sincosConsts+160(SB)
#define C_TABC ·sincosConsts+192(SB)
#define C_S3 ·sincosConsts+224(SB)
#define C_S5 ·sincosConsts+256(SB)
#define C_C4 ·sincosConsts+288(SB)
#define C_C6 ·sincosConsts+320(SB)
#define C_HALF ·sincosConsts+352(SB)
#define C_IDX ·sincosConsts+384(SB)

// AVX-512: the constants in Z16–Z28, w in Z29, the partial sums in Z30.
#define LOAD_CONSTS_Z \
	VBROADCASTSD C_ABS, Z16; \
	VBROADCASTSD C_MAX, Z17; \
	VBROADCASTSD C_SCALE, Z18; \
	VBROADCASTSD C_RND, Z19; \
	VBROADCASTSD C_TABA, Z20; \
	VBROADCASTSD C_TABB, Z21; \
	VBROADCASTSD C_TABC, Z22; \
	VBROADCASTSD C_S3, Z23; \
	VBROADCASTSD C_S5, Z24; \
	VBROADCASTSD C_C4, Z25; \
	VBROADCASTSD C_C6, Z26; \
	VBROADCASTSD C_HALF, Z27; \
	VBROADCASTSD C_IDX, Z28

// SINCOS_Z takes y in Z0 and leaves sin in Z10, cos in Z11. Z1 = t, Z2 = k,
// Z3 = 2j (the table index in float64 units), Z4 = S, Z5 = C, Z6 = r,
// Z7 = z, Z9 = s, Z8 = cm1. KXNORW sets all mask bits before each gather
// (a gather clears them as it loads).
#define SINCOS_Z \
	VMULPD Z18, Z0, Z1; \
	VADDPD Z19, Z1, Z1; \
	VSUBPD Z19, Z1, Z2; \
	VPANDQ Z28, Z1, Z3; \
	VPSLLQ $1, Z3, Z3; \
	KXNORW K2, K2, K2; \
	VGATHERQPD (R8)(Z3*8), K2, Z4; \
	KXNORW K3, K3, K3; \
	VGATHERQPD 8(R8)(Z3*8), K3, Z5; \
	VMULPD Z20, Z2, Z6; \
	VSUBPD Z6, Z0, Z6; \
	VMULPD Z21, Z2, Z7; \
	VSUBPD Z7, Z6, Z6; \
	VMULPD Z22, Z2, Z7; \
	VSUBPD Z7, Z6, Z6; \
	VMULPD Z6, Z6, Z7; \
	VMULPD Z24, Z7, Z8; \
	VADDPD Z23, Z8, Z8; \
	VMULPD Z7, Z6, Z9; \
	VMULPD Z8, Z9, Z9; \
	VADDPD Z9, Z6, Z9; \
	VMULPD Z26, Z7, Z8; \
	VADDPD Z25, Z8, Z8; \
	VMULPD Z8, Z7, Z8; \
	VADDPD Z27, Z8, Z8; \
	VMULPD Z8, Z7, Z8; \
	VMULPD Z8, Z4, Z10; \
	VMULPD Z9, Z5, Z11; \
	VADDPD Z11, Z10, Z10; \
	VADDPD Z10, Z4, Z10; \
	VMULPD Z8, Z5, Z11; \
	VMULPD Z9, Z4, Z12; \
	VSUBPD Z12, Z11, Z11; \
	VADDPD Z11, Z5, Z11

// LOAD_Y_Z loads y = w x of the block at BX into Z0 and jumps to done if a
// lane is out of range (K1 = !(|y| ≤ cnfSincosMax)).
#define LOAD_Y_Z \
	VMULPD (SI)(BX*8), Z29, Z0; \
	VPANDQ Z16, Z0, Z1; \
	VCMPPD $0x16, Z17, Z1, K1; \
	KORTESTW K1, K1; \
	JNE done

// func sincosZ(tab *[cnfTabN][2]float64, w float64, x, sn, cs []float64) int
TEXT ·sincosZ(SB), NOSPLIT, $0-96
	MOVQ tab+0(FP), R8
	VBROADCASTSD w+8(FP), Z29
	MOVQ x_base+16(FP), SI
	MOVQ x_len+24(FP), CX
	MOVQ sn_base+40(FP), DI
	MOVQ cs_base+64(FP), DX
	LOAD_CONSTS_Z
	XORQ BX, BX

loop:
	CMPQ BX, CX
	JGE  done
	LOAD_Y_Z
	SINCOS_Z
	VMOVUPD Z10, (DI)(BX*8)
	VMOVUPD Z11, (DX)(BX*8)
	ADDQ $8, BX
	JMP  loop

done:
	MOVQ BX, ret+88(FP)
	VZEROUPPER
	RET

// func sincosSumZ(tab *[cnfTabN][2]float64, w float64, x, sn []float64, p *[8]float64) int
TEXT ·sincosSumZ(SB), NOSPLIT, $0-80
	MOVQ tab+0(FP), R8
	VBROADCASTSD w+8(FP), Z29
	MOVQ x_base+16(FP), SI
	MOVQ x_len+24(FP), CX
	MOVQ sn_base+40(FP), DI
	MOVQ p+64(FP), R9
	LOAD_CONSTS_Z
	VMOVUPD (R9), Z30
	XORQ BX, BX

loop:
	CMPQ BX, CX
	JGE  done
	LOAD_Y_Z
	SINCOS_Z
	VMOVUPD Z10, (DI)(BX*8)
	VADDPD Z11, Z30, Z30
	ADDQ $8, BX
	JMP  loop

done:
	VMOVUPD Z30, (R9)
	MOVQ BX, ret+72(FP)
	VZEROUPPER
	RET

// AVX2: 16 ymm registers, so the constants stay in memory (4 lanes each);
// w in Y13, the partial sums of lanes 0–3 and 4–7 in Y14 and Y15.

// SINCOS_Y takes y in register y and leaves sin in Y10, cos in Y11. Y2 = t,
// Y3 = k, Y4 = 2j, Y5 the gather mask (all ones, set by VPCMPEQQ before each
// gather), Y6 = S, Y7 = C, Y8 = r then s, Y9 = z then cm1.
#define SINCOS_Y(y) \
	VMULPD C_SCALE, y, Y2; \
	VADDPD C_RND, Y2, Y2; \
	VSUBPD C_RND, Y2, Y3; \
	VANDPD C_IDX, Y2, Y4; \
	VPSLLQ $1, Y4, Y4; \
	VPCMPEQQ Y5, Y5, Y5; \
	VGATHERQPD Y5, (R8)(Y4*8), Y6; \
	VPCMPEQQ Y5, Y5, Y5; \
	VGATHERQPD Y5, 8(R8)(Y4*8), Y7; \
	VMULPD C_TABA, Y3, Y8; \
	VSUBPD Y8, y, Y8; \
	VMULPD C_TABB, Y3, Y9; \
	VSUBPD Y9, Y8, Y8; \
	VMULPD C_TABC, Y3, Y9; \
	VSUBPD Y9, Y8, Y8; \
	VMULPD Y8, Y8, Y9; \
	VMULPD C_S5, Y9, Y10; \
	VADDPD C_S3, Y10, Y10; \
	VMULPD Y9, Y8, Y11; \
	VMULPD Y10, Y11, Y11; \
	VADDPD Y11, Y8, Y8; \
	VMULPD C_C6, Y9, Y10; \
	VADDPD C_C4, Y10, Y10; \
	VMULPD Y10, Y9, Y10; \
	VADDPD C_HALF, Y10, Y10; \
	VMULPD Y10, Y9, Y9; \
	VMULPD Y9, Y6, Y10; \
	VMULPD Y8, Y7, Y11; \
	VADDPD Y11, Y10, Y10; \
	VADDPD Y10, Y6, Y10; \
	VMULPD Y9, Y7, Y11; \
	VMULPD Y8, Y6, Y12; \
	VSUBPD Y12, Y11, Y11; \
	VADDPD Y11, Y7, Y11

// LOAD_Y_Y loads y = w x of the block at BX into Y0 (lanes 0–3) and Y1
// (lanes 4–7) and jumps to done if a lane is out of range.
#define LOAD_Y_Y \
	VMULPD (SI)(BX*8), Y13, Y0; \
	VMULPD 32(SI)(BX*8), Y13, Y1; \
	VANDPD C_ABS, Y0, Y2; \
	VANDPD C_ABS, Y1, Y3; \
	VCMPPD $0x16, C_MAX, Y2, Y2; \
	VCMPPD $0x16, C_MAX, Y3, Y3; \
	VORPD Y3, Y2, Y2; \
	VMOVMSKPD Y2, AX; \
	TESTL AX, AX; \
	JNE done

// func sincosY(tab *[cnfTabN][2]float64, w float64, x, sn, cs []float64) int
TEXT ·sincosY(SB), NOSPLIT, $0-96
	MOVQ tab+0(FP), R8
	VBROADCASTSD w+8(FP), Y13
	MOVQ x_base+16(FP), SI
	MOVQ x_len+24(FP), CX
	MOVQ sn_base+40(FP), DI
	MOVQ cs_base+64(FP), DX
	XORQ BX, BX

loop:
	CMPQ BX, CX
	JGE  done
	LOAD_Y_Y
	SINCOS_Y(Y0)
	VMOVUPD Y10, (DI)(BX*8)
	VMOVUPD Y11, (DX)(BX*8)
	SINCOS_Y(Y1)
	VMOVUPD Y10, 32(DI)(BX*8)
	VMOVUPD Y11, 32(DX)(BX*8)
	ADDQ $8, BX
	JMP  loop

done:
	MOVQ BX, ret+88(FP)
	VZEROUPPER
	RET

// func sincosSumY(tab *[cnfTabN][2]float64, w float64, x, sn []float64, p *[8]float64) int
TEXT ·sincosSumY(SB), NOSPLIT, $0-80
	MOVQ tab+0(FP), R8
	VBROADCASTSD w+8(FP), Y13
	MOVQ x_base+16(FP), SI
	MOVQ x_len+24(FP), CX
	MOVQ sn_base+40(FP), DI
	MOVQ p+64(FP), R9
	VMOVUPD (R9), Y14
	VMOVUPD 32(R9), Y15
	XORQ BX, BX

loop:
	CMPQ BX, CX
	JGE  done
	LOAD_Y_Y
	SINCOS_Y(Y0)
	VMOVUPD Y10, (DI)(BX*8)
	VADDPD Y11, Y14, Y14
	SINCOS_Y(Y1)
	VMOVUPD Y10, 32(DI)(BX*8)
	VADDPD Y11, Y15, Y15
	ADDQ $8, BX
	JMP  loop

done:
	VMOVUPD Y14, (R9)
	VMOVUPD Y15, 32(R9)
	MOVQ BX, ret+72(FP)
	VZEROUPPER
	RET
