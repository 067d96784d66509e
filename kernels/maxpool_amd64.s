//go:build amd64 && !purego

#include "textflag.h"

// Lane j of an even/odd permutation takes element 2j / 2j+1 of the 32-float pair (Z0:Z1).
DATA evenIdx<>+0(SB)/4, $0
DATA evenIdx<>+4(SB)/4, $2
DATA evenIdx<>+8(SB)/4, $4
DATA evenIdx<>+12(SB)/4, $6
DATA evenIdx<>+16(SB)/4, $8
DATA evenIdx<>+20(SB)/4, $10
DATA evenIdx<>+24(SB)/4, $12
DATA evenIdx<>+28(SB)/4, $14
DATA evenIdx<>+32(SB)/4, $16
DATA evenIdx<>+36(SB)/4, $18
DATA evenIdx<>+40(SB)/4, $20
DATA evenIdx<>+44(SB)/4, $22
DATA evenIdx<>+48(SB)/4, $24
DATA evenIdx<>+52(SB)/4, $26
DATA evenIdx<>+56(SB)/4, $28
DATA evenIdx<>+60(SB)/4, $30
GLOBL evenIdx<>(SB), RODATA|NOPTR, $64

DATA oddIdx<>+0(SB)/4, $1
DATA oddIdx<>+4(SB)/4, $3
DATA oddIdx<>+8(SB)/4, $5
DATA oddIdx<>+12(SB)/4, $7
DATA oddIdx<>+16(SB)/4, $9
DATA oddIdx<>+20(SB)/4, $11
DATA oddIdx<>+24(SB)/4, $13
DATA oddIdx<>+28(SB)/4, $15
DATA oddIdx<>+32(SB)/4, $17
DATA oddIdx<>+36(SB)/4, $19
DATA oddIdx<>+40(SB)/4, $21
DATA oddIdx<>+44(SB)/4, $23
DATA oddIdx<>+48(SB)/4, $25
DATA oddIdx<>+52(SB)/4, $27
DATA oddIdx<>+56(SB)/4, $29
DATA oddIdx<>+60(SB)/4, $31
GLOBL oddIdx<>(SB), RODATA|NOPTR, $64

// CAND folds candidate c (index offset off from the window's top-left) into best Z4 and
// index Z5: it wins when c > best or c is NaN, as in the Go version and PyTorch.
#define CAND(c, off) \
	VCMPPS    $0x1e, Z4, c, K1 \
	VCMPPS    $3, c, c, K2     \
	KORW      K2, K1, K1       \
	VPADDD    off, Z28, Z7     \
	VBLENDMPS c, Z4, K1, Z4    \
	VPBLENDMD Z7, Z5, K1, Z5

// BLOCK pools 16 windows from rows Z0:Z1 (top) and Z2:Z3 (bottom) into Z4 (max), Z5 (index).
#define BLOCK \
	VMOVAPS   Z0, Z4       \
	VPERMT2PS Z1, Z30, Z4  \
	VPERMT2PS Z1, Z29, Z0  \
	VMOVAPS   Z2, Z6       \
	VPERMT2PS Z3, Z30, Z6  \
	VPERMT2PS Z3, Z29, Z2  \
	VMOVDQA32 Z28, Z5      \
	CAND(Z0, Z26)          \
	CAND(Z6, Z25)          \
	CAND(Z2, Z24)

// func maxPoolRowAVX512(r0, r1, y *float32, arg *int32, full int, outMask, in0Mask, in1Mask uint32, i0, w int32)
// Pools one output row: full blocks of 16 windows, then a masked block of the remainder
// (outMask selects its outputs; in0Mask and in1Mask the 2·remainder inputs of each row).
// i0 is the index in x of r0[0]; w the input width.
TEXT ·maxPoolRowAVX512(SB), NOSPLIT, $0-60
	MOVQ         r0+0(FP), AX
	MOVQ         r1+8(FP), BX
	MOVQ         y+16(FP), CX
	MOVQ         arg+24(FP), DX
	MOVQ         full+32(FP), SI
	VMOVDQU32    evenIdx<>(SB), Z30
	VMOVDQU32    oddIdx<>(SB), Z29
	MOVL         i0+52(FP), R8
	VPBROADCASTD R8, Z28
	VPADDD       Z30, Z28, Z28
	MOVL         $32, R8
	VPBROADCASTD R8, Z27
	MOVL         $1, R8
	VPBROADCASTD R8, Z26
	MOVL         w+56(FP), R8
	VPBROADCASTD R8, Z25
	VPADDD       Z26, Z25, Z24
	TESTQ        SI, SI
	JEQ          tail

loop:
	VMOVUPS   (AX), Z0
	VMOVUPS   64(AX), Z1
	VMOVUPS   (BX), Z2
	VMOVUPS   64(BX), Z3
	BLOCK
	VMOVUPS   Z4, (CX)
	VMOVDQU32 Z5, (DX)
	ADDQ      $128, AX
	ADDQ      $128, BX
	ADDQ      $64, CX
	ADDQ      $64, DX
	VPADDD    Z27, Z28, Z28
	DECQ      SI
	JNE       loop

tail:
	MOVL      outMask+40(FP), R8
	TESTL     R8, R8
	JEQ       done
	KMOVW     R8, K6
	MOVL      in0Mask+44(FP), R8
	KMOVW     R8, K4
	MOVL      in1Mask+48(FP), R8
	KMOVW     R8, K5
	VMOVUPS.Z (AX), K4, Z0
	VMOVUPS.Z 64(AX), K5, Z1
	VMOVUPS.Z (BX), K4, Z2
	VMOVUPS.Z 64(BX), K5, Z3
	BLOCK
	VMOVUPS   Z4, K6, (CX)
	VMOVDQU32 Z5, K6, (DX)

done:
	VZEROUPPER
	RET
