//go:build amd64 && !purego

#include "textflag.h"

// expAVX512 is Go's math.Exp for amd64 (src/math/exp_amd64.s, the path taken when AVX and
// FMA are present) on eight float64 lanes: the same operations on the same constants in
// the same order, so every lane rounds as the scalar code does. Only its ordinary path
// (no overflow, underflow, subnormal or non-finite input): Exp recomputes the other
// inputs with math.Exp. The reduction rounds x·log2(e) to an integer with the MXCSR
// mode (round to nearest, as CVTSD2SL does), and the result is scaled by 2^k built from k's bits.

DATA expc<>+0(SB)/8, $1.4426950408889634073599246810018920        // log2(e)
DATA expc<>+8(SB)/8, $0.69314718055966295651160180568695068359375 // upper half of ln 2
DATA expc<>+16(SB)/8, $0.28235290563031577122588448175013436025525412068e-12 // lower half
DATA expc<>+24(SB)/8, $0.0625
DATA expc<>+32(SB)/8, $2.4801587301587301587e-5
DATA expc<>+40(SB)/8, $1.9841269841269841270e-4
DATA expc<>+48(SB)/8, $1.3888888888888888889e-3
DATA expc<>+56(SB)/8, $8.3333333333333333333e-3
DATA expc<>+64(SB)/8, $4.1666666666666666667e-2
DATA expc<>+72(SB)/8, $1.6666666666666666667e-1
DATA expc<>+80(SB)/8, $0.5
DATA expc<>+88(SB)/8, $1.0
DATA expc<>+96(SB)/8, $2.0
DATA expc<>+104(SB)/8, $0x3ff
GLOBL expc<>(SB), RODATA, $112

// func expAVX512(dst, src *float64, n int)
TEXT ·expAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSD expc<>+0(SB), Z20
	VBROADCASTSD expc<>+8(SB), Z21
	VBROADCASTSD expc<>+16(SB), Z22
	VBROADCASTSD expc<>+24(SB), Z23
	VBROADCASTSD expc<>+32(SB), Z24
	VBROADCASTSD expc<>+40(SB), Z25
	VBROADCASTSD expc<>+48(SB), Z26
	VBROADCASTSD expc<>+56(SB), Z27
	VBROADCASTSD expc<>+64(SB), Z28
	VBROADCASTSD expc<>+72(SB), Z29
	VBROADCASTSD expc<>+80(SB), Z30
	VBROADCASTSD expc<>+88(SB), Z31
	VBROADCASTSD expc<>+96(SB), Z19
	VPBROADCASTQ expc<>+104(SB), Z18

loop:
	CMPQ CX, $0
	JLE  done
	VMOVUPD (SI), Z0
	// k = round(x·log2 e); r = (x − k·ln2_hi − k·ln2_lo) / 16
	VMULPD       Z20, Z0, Z1
	VCVTPD2DQ    Z1, Y2
	VCVTDQ2PD    Y2, Z1
	VFNMADD231PD Z21, Z1, Z0
	VFNMADD231PD Z22, Z1, Z0
	VMULPD       Z23, Z0, Z0
	// Taylor series of e^r − 1 over r, by Horner
	VMOVAPD     Z24, Z1
	VFMADD213PD Z25, Z0, Z1
	VFMADD213PD Z26, Z0, Z1
	VFMADD213PD Z27, Z0, Z1
	VFMADD213PD Z28, Z0, Z1
	VFMADD213PD Z29, Z0, Z1
	VFMADD213PD Z30, Z0, Z1
	VFMADD213PD Z31, Z0, Z1
	VMULPD      Z1, Z0, Z0
	// squared four times: (e^r − 1) → (e^(2r) − 1) = y·(y + 2)
	VADDPD      Z19, Z0, Z1
	VMULPD      Z1, Z0, Z0
	VADDPD      Z19, Z0, Z1
	VMULPD      Z1, Z0, Z0
	VADDPD      Z19, Z0, Z1
	VMULPD      Z1, Z0, Z0
	VADDPD      Z19, Z0, Z1
	VFMADD213PD Z31, Z1, Z0
	// × 2^k
	VPMOVSXDQ Y2, Z3
	VPADDQ    Z18, Z3, Z3
	VPSLLQ    $52, Z3, Z3
	VMULPD    Z3, Z0, Z0
	VMOVUPD   Z0, (DI)
	ADDQ      $64, SI
	ADDQ      $64, DI
	SUBQ      $8, CX
	JMP       loop

done:
	VZEROUPPER
	RET
