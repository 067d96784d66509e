//go:build amd64 && !purego

#include "go_asm.h"
#include "textflag.h"

// Lane j of poolEvenLanes / poolOddLanes takes element 2j / 2j+1 of a 32-float pair of
// vectors; as integers, poolEvenLanes is also the offset of 2×2 window j's left element in
// its row. The unpooling and the direct pooled convolution share them.
DATA ·poolEvenLanes+0(SB)/4, $0
DATA ·poolEvenLanes+4(SB)/4, $2
DATA ·poolEvenLanes+8(SB)/4, $4
DATA ·poolEvenLanes+12(SB)/4, $6
DATA ·poolEvenLanes+16(SB)/4, $8
DATA ·poolEvenLanes+20(SB)/4, $10
DATA ·poolEvenLanes+24(SB)/4, $12
DATA ·poolEvenLanes+28(SB)/4, $14
DATA ·poolEvenLanes+32(SB)/4, $16
DATA ·poolEvenLanes+36(SB)/4, $18
DATA ·poolEvenLanes+40(SB)/4, $20
DATA ·poolEvenLanes+44(SB)/4, $22
DATA ·poolEvenLanes+48(SB)/4, $24
DATA ·poolEvenLanes+52(SB)/4, $26
DATA ·poolEvenLanes+56(SB)/4, $28
DATA ·poolEvenLanes+60(SB)/4, $30
GLOBL ·poolEvenLanes(SB), RODATA|NOPTR, $64

DATA ·poolOddLanes+0(SB)/4, $1
DATA ·poolOddLanes+4(SB)/4, $3
DATA ·poolOddLanes+8(SB)/4, $5
DATA ·poolOddLanes+12(SB)/4, $7
DATA ·poolOddLanes+16(SB)/4, $9
DATA ·poolOddLanes+20(SB)/4, $11
DATA ·poolOddLanes+24(SB)/4, $13
DATA ·poolOddLanes+28(SB)/4, $15
DATA ·poolOddLanes+32(SB)/4, $17
DATA ·poolOddLanes+36(SB)/4, $19
DATA ·poolOddLanes+40(SB)/4, $21
DATA ·poolOddLanes+44(SB)/4, $23
DATA ·poolOddLanes+48(SB)/4, $25
DATA ·poolOddLanes+52(SB)/4, $27
DATA ·poolOddLanes+56(SB)/4, $29
DATA ·poolOddLanes+60(SB)/4, $31
GLOBL ·poolOddLanes(SB), RODATA|NOPTR, $64

// WINS sets k to the lanes where c wins over b, which comes first in the window: c > b,
// or c is NaN (PyTorch's rule: the first strict maximum, or the last NaN). K0 is scratch.
#define WINS(c, b, k) \
	VCMPPS $0x1e, b, c, k \
	VCMPPS $3, c, c, K0   \
	KORW   K0, k, k

// BLOCK pools 16 windows from rows Z0:Z1 (top) and Z2:Z3 (bottom), permuted by pe and po
// to each window's left and right elements, into Z4 (max) and Z5 (index); Z28 holds the
// windows' top-left indices. Each row's pair is reduced first, then the two winners: the
// same result as scanning the four in order (a later NaN still wins, a tie still keeps
// the earlier), on a shorter dependency chain.
#define BLOCK(pe, po) \
	VMOVAPS   Z0, Z4          \
	VPERMT2PS Z1, pe, Z4      \
	VPERMT2PS Z1, po, Z0      \
	VMOVAPS   Z2, Z6          \
	VPERMT2PS Z3, pe, Z6      \
	VPERMT2PS Z3, po, Z2      \
	VPADDD    Z26, Z28, Z8    \
	VPADDD    Z25, Z28, Z9    \
	VPADDD    Z24, Z28, Z10   \
	WINS(Z0, Z4, K1)          \
	WINS(Z2, Z6, K2)          \
	VBLENDMPS Z0, Z4, K1, Z4  \
	VPBLENDMD Z8, Z28, K1, Z5 \
	VBLENDMPS Z2, Z6, K2, Z6  \
	VPBLENDMD Z10, Z9, K2, Z7 \
	WINS(Z6, Z4, K1)          \
	VBLENDMPS Z6, Z4, K1, Z4  \
	VPBLENDMD Z7, Z5, K1, Z5

// RELU zeroes the outputs in Z4 that are not > 0 (NaN and −0 included) and sets their
// index in Z5 to −1, unless K7 (keepAll) keeps every lane: the pooling without the ReLU.
#define RELU \
	VCMPPS    $0x1e, Z23, Z4, K3 \
	KORW      K7, K3, K3         \
	VMOVAPS.Z Z4, K3, Z4         \
	VPBLENDMD Z5, Z22, K3, Z5

// MASKED pools the masked block of the group whose top input row starts at AX (bottom
// row: BX); K4 and K5 select the inputs of its two vectors, K6 its outputs.
#define MASKED \
	VMOVUPS.Z (AX), K4, Z0       \
	VMOVUPS.Z (AX)(R12*1), K5, Z1 \
	VMOVUPS.Z (BX), K4, Z2       \
	VMOVUPS.Z (BX)(R12*1), K5, Z3 \
	VPADDD    Z17, Z16, Z28      \
	BLOCK(Z19, Z18)              \
	RELU                         \
	VMOVUPS   Z4, K6, (CX)       \
	VMOVDQU32 Z5, K6, (DX)

// func maxPoolPlanesAVX512(x, y *float32, arg *int32, pl *poolPlan, planes, i0 int)
// Pools planes of x into the contiguous outputs y and arg, group by group as pl describes
// (newPoolPlan). i0 is the index in x of x[0]; Z16 holds each group's first index.
TEXT ·maxPoolPlanesAVX512(SB), NOSPLIT, $0-48
	MOVQ         x+0(FP), R9
	MOVQ         y+8(FP), CX
	MOVQ         arg+16(FP), DX
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
	VMOVDQU32    ·poolOddLanes(SB), Z29
	VMOVDQU32    poolPlan_perm0(DI), Z19
	VMOVDQU32    poolPlan_perm1(DI), Z18
	VMOVDQU32    poolPlan_lane(DI), Z17
	VPBROADCASTD poolPlan_rowStep(DI), Z15
	VPBROADCASTD poolPlan_planeSkip(DI), Z14
	MOVL         $32, R8
	VPBROADCASTD R8, Z27
	MOVL         $1, R8
	VPBROADCASTD R8, Z26
	VPADDD       Z26, Z25, Z24
	VPXORD       Z23, Z23, Z23
	VPTERNLOGD   $0xff, Z22, Z22, Z22
	KMOVW        poolPlan_in0(DI), K4
	KMOVW        poolPlan_in1(DI), K5
	KMOVW        poolPlan_out(DI), K6
	KMOVW        poolPlan_keepAll(DI), K7

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

loop:
	VMOVUPS   (AX), Z0
	VMOVUPS   64(AX), Z1
	VMOVUPS   (BX), Z2
	VMOVUPS   64(BX), Z3
	BLOCK(Z30, Z29)
	RELU
	VMOVUPS   Z4, (CX)
	VMOVDQU32 Z5, (DX)
	ADDQ      $128, AX
	ADDQ      $128, BX
	ADDQ      $64, CX
	ADDQ      $64, DX
	VPADDD    Z27, Z28, Z28
	DECQ      R11
	JNE       loop

tail:
	TESTQ R14, R14
	JEQ   next
	MASKED
	ADDQ  R14, CX
	ADDQ  R14, DX

next:
	MOVQ   poolPlan_rowStep(DI), R8
	LEAQ   (R9)(R8*4), R9
	VPADDD Z15, Z16, Z16
	DECQ   SI
	JNE    group

last:
	CMPQ  poolPlan_odd(DI), $0
	JEQ   skip
	MOVQ  R9, AX
	LEAQ  (R9)(R13*1), BX
	KMOVW poolPlan_lastIn1(DI), K5
	KMOVW poolPlan_lastOut(DI), K6
	MASKED
	KMOVW poolPlan_in1(DI), K5
	KMOVW poolPlan_out(DI), K6
	MOVQ  poolPlan_lastBytes(DI), R8
	ADDQ  R8, CX
	ADDQ  R8, DX

skip:
	MOVQ   poolPlan_planeSkip(DI), R8
	LEAQ   (R9)(R8*4), R9
	VPADDD Z14, Z16, Z16
	DECQ   R10
	JNE    plane
	VZEROUPPER
	RET
