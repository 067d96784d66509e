//go:build amd64 && !purego

#include "textflag.h"

// func sgemvColumnAVX512(kc int, at, b *float32, ldb int, c *float32, alpha, beta float32, rows uint64)
// C[0:64] = alpha·(A·b) + beta·C for 64 rows of A, given transposed (at: kc rows of 64
// values) and the column b (kc values ldb apart); only the lanes set in rows are stored
// (and C read). Each row is the chain the SGEMM micro-kernels compute: from +0, one
// multiply-add per k in order, b's value as the second operand and A's as the third, then
// × alpha and, unless beta is ±0, + beta·C in one rounding.
TEXT ·sgemvColumnAVX512(SB), NOSPLIT, $0-56
	MOVQ kc+0(FP), CX
	MOVQ at+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ ldb+24(FP), R9
	SHLQ $2, R9
	MOVQ c+32(FP), DX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3

loop:
	VBROADCASTSS (BX), Z16
	VFMADD231PS  (AX), Z16, Z0
	VFMADD231PS  64(AX), Z16, Z1
	VFMADD231PS  128(AX), Z16, Z2
	VFMADD231PS  192(AX), Z16, Z3
	ADDQ         $256, AX
	ADDQ         R9, BX
	DECQ         CX
	JNE          loop

	MOVQ         rows+48(FP), R10
	KMOVQ        R10, K1
	KSHIFTRQ     $16, K1, K2
	KSHIFTRQ     $32, K1, K3
	KSHIFTRQ     $48, K1, K4
	VBROADCASTSS alpha+40(FP), Z30
	VMULPS       Z30, Z0, Z0
	VMULPS       Z30, Z1, Z1
	VMULPS       Z30, Z2, Z2
	VMULPS       Z30, Z3, Z3
	MOVL         beta+44(FP), R12
	SHLL         $1, R12
	JEQ          store
	VBROADCASTSS beta+44(FP), Z31
	VFMADD231PS  (DX), Z31, K1, Z0
	VFMADD231PS  64(DX), Z31, K2, Z1
	VFMADD231PS  128(DX), Z31, K3, Z2
	VFMADD231PS  192(DX), Z31, K4, Z3

store:
	VMOVUPS Z0, K1, (DX)
	VMOVUPS Z1, K2, 64(DX)
	VMOVUPS Z2, K3, 128(DX)
	VMOVUPS Z3, K4, 192(DX)
	VZEROUPPER
	RET
