//go:build amd64 && !purego

#include "go_asm.h"
#include "textflag.h"

// zipLo and zipHi interleave two 16-float vectors A and B: (A0 B0 … A7 B7), (A8 B8 … A15 B15).
DATA zipLo<>+0(SB)/4, $0
DATA zipLo<>+4(SB)/4, $16
DATA zipLo<>+8(SB)/4, $1
DATA zipLo<>+12(SB)/4, $17
DATA zipLo<>+16(SB)/4, $2
DATA zipLo<>+20(SB)/4, $18
DATA zipLo<>+24(SB)/4, $3
DATA zipLo<>+28(SB)/4, $19
DATA zipLo<>+32(SB)/4, $4
DATA zipLo<>+36(SB)/4, $20
DATA zipLo<>+40(SB)/4, $5
DATA zipLo<>+44(SB)/4, $21
DATA zipLo<>+48(SB)/4, $6
DATA zipLo<>+52(SB)/4, $22
DATA zipLo<>+56(SB)/4, $7
DATA zipLo<>+60(SB)/4, $23
GLOBL zipLo<>(SB), RODATA|NOPTR, $64

DATA zipHi<>+0(SB)/4, $8
DATA zipHi<>+4(SB)/4, $24
DATA zipHi<>+8(SB)/4, $9
DATA zipHi<>+12(SB)/4, $25
DATA zipHi<>+16(SB)/4, $10
DATA zipHi<>+20(SB)/4, $26
DATA zipHi<>+24(SB)/4, $11
DATA zipHi<>+28(SB)/4, $27
DATA zipHi<>+32(SB)/4, $12
DATA zipHi<>+36(SB)/4, $28
DATA zipHi<>+40(SB)/4, $13
DATA zipHi<>+44(SB)/4, $29
DATA zipHi<>+48(SB)/4, $14
DATA zipHi<>+52(SB)/4, $30
DATA zipHi<>+56(SB)/4, $15
DATA zipHi<>+60(SB)/4, $31
GLOBL zipHi<>(SB), RODATA|NOPTR, $64

// UNPOOL selects 16 windows' gradients into their input rows, interleaved by za and zb
// into the block's two halves: Z14 and Z10 (top row), Z15 and Z12 (bottom row). kv marks
// the windows to do; Z28 holds their top-left indices. dy is summed with +0, as the
// scatter did into a cleared dx. A window whose argmax is neither −1 nor one of its four
// indices jumps to bad.
#define UNPOOL(kv, za, zb) \
	VMOVDQU32.Z (DX), kv, Z0   \
	VMOVUPS.Z   (CX), kv, Z1   \
	VADDPS      Z1, Z23, Z1    \
	VPCMPEQD    Z28, Z0, kv, K1 \
	VPADDD      Z26, Z28, Z7   \
	VPCMPEQD    Z7, Z0, kv, K2 \
	VPADDD      Z25, Z28, Z7   \
	VPCMPEQD    Z7, Z0, kv, K3 \
	VPADDD      Z24, Z28, Z7   \
	VPCMPEQD    Z7, Z0, kv, K4 \
	VPCMPEQD    Z22, Z0, kv, K5 \
	KORW        K1, K2, K6     \
	KORW        K3, K5, K5     \
	KORW        K4, K6, K6     \
	KORW        K5, K6, K6     \
	KANDNW      kv, K6, K6     \
	KORTESTW    K6, K6         \
	JNE         bad            \
	VMOVAPS.Z   Z1, K1, Z10    \
	VMOVAPS.Z   Z1, K2, Z11    \
	VMOVAPS.Z   Z1, K3, Z12    \
	VMOVAPS.Z   Z1, K4, Z13    \
	VMOVAPS     Z10, Z14       \
	VPERMT2PS   Z11, za, Z14   \
	VPERMT2PS   Z11, zb, Z10   \
	VMOVAPS     Z12, Z15       \
	VPERMT2PS   Z13, za, Z15   \
	VPERMT2PS   Z13, zb, Z12

// MASKED unpools the masked block of the group whose top dx row starts at AX (bottom
// row: BX) into the block's lanes of both rows, its second half R12 bytes on; K7 marks
// its windows, stMask (poolPlan_st1 or poolPlan_lastSt1) the dx lanes of its second half.
#define MASKED(stMask) \
	VPADDD  Z17, Z16, Z28          \
	UNPOOL(K7, Z19, Z18)           \
	KMOVW   poolPlan_st0(DI), K5   \
	KMOVW   stMask(DI), K6         \
	VMOVUPS Z14, K5, (AX)          \
	VMOVUPS Z10, K6, (AX)(R12*1)   \
	VMOVUPS Z15, K5, (BX)          \
	VMOVUPS Z12, K6, (BX)(R12*1)

// func unpoolReLUAVX512(dy *float32, arg *int32, dx *float32, pl *poolPlan, planes, i0 int) int
// Writes dx of planes from the contiguous dy and arg, group by group as pl describes
// (newPoolPlan), all but a trailing odd row of each plane. i0 is the index of dx[0]; Z16
// holds each group's first index. Returns the number of planes done before the first
// with a bad argmax, whose rows are partly written.
TEXT ·unpoolReLUAVX512(SB), NOSPLIT, $0-56
	MOVQ         dy+0(FP), CX
	MOVQ         arg+8(FP), DX
	MOVQ         dx+16(FP), R9
	MOVQ         pl+24(FP), DI
	MOVQ         planes+32(FP), R10
	MOVQ         i0+40(FP), R8
	VPBROADCASTD R8, Z16
	MOVQ         poolPlan_w(DI), R13
	VPBROADCASTD R13, Z25
	SHLQ         $2, R13
	MOVQ         poolPlan_second(DI), R12
	MOVQ         poolPlan_tailBytes(DI), R14
	VMOVDQU32    ·poolEvenLanes(SB), Z30
	VMOVDQU32    zipLo<>(SB), Z21
	VMOVDQU32    zipHi<>(SB), Z20
	VMOVDQU32    poolPlan_perm0(DI), Z19
	VMOVDQU32    poolPlan_perm1(DI), Z18
	VMOVDQU32    poolPlan_lane(DI), Z17
	VPBROADCASTD poolPlan_rowStep(DI), Z29
	VPBROADCASTD poolPlan_planeSkip(DI), Z31
	MOVL         $32, R8
	VPBROADCASTD R8, Z27
	MOVL         $1, R8
	VPBROADCASTD R8, Z26
	VPADDD       Z26, Z25, Z24
	VPXORD       Z23, Z23, Z23
	VPTERNLOGD   $0xff, Z22, Z22, Z22

plane:
	MOVQ  poolPlan_groups(DI), SI
	TESTQ SI, SI
	JEQ   last

group:
	MOVQ   R9, AX
	LEAQ   (R9)(R13*1), BX
	VPADDD Z30, Z16, Z28
	MOVQ   poolPlan_full(DI), R11
	TESTQ  R11, R11
	JEQ    tail
	KXNORW K7, K7, K7

loop:
	UNPOOL(K7, Z21, Z20)
	VMOVUPS Z14, (AX)
	VMOVUPS Z10, 64(AX)
	VMOVUPS Z15, (BX)
	VMOVUPS Z12, 64(BX)
	ADDQ    $128, AX
	ADDQ    $128, BX
	ADDQ    $64, CX
	ADDQ    $64, DX
	VPADDD  Z27, Z28, Z28
	DECQ    R11
	JNE     loop

tail:
	CMPQ  poolPlan_st0(DI), $0
	JEQ   next
	KMOVW poolPlan_out(DI), K7
	MASKED(poolPlan_st1)
	ADDQ  R14, CX
	ADDQ  R14, DX

next:
	MOVQ   poolPlan_rowStep(DI), R8
	LEAQ   (R9)(R8*4), R9
	VPADDD Z29, Z16, Z16
	DECQ   SI
	JNE    group

last:
	CMPQ  poolPlan_odd(DI), $0
	JEQ   skip
	MOVQ  R9, AX
	LEAQ  (R9)(R13*1), BX
	KMOVW poolPlan_lastOut(DI), K7
	MASKED(poolPlan_lastSt1)
	MOVQ  poolPlan_lastBytes(DI), R8
	ADDQ  R8, CX
	ADDQ  R8, DX

skip:
	MOVQ   poolPlan_planeSkip(DI), R8
	LEAQ   (R9)(R8*4), R9
	VPADDD Z31, Z16, Z16
	DECQ   R10
	JNE    plane
	MOVQ   planes+32(FP), AX
	MOVQ   AX, ret+48(FP)
	VZEROUPPER
	RET

bad:
	MOVQ planes+32(FP), AX
	SUBQ R10, AX
	MOVQ AX, ret+48(FP)
	VZEROUPPER
	RET
