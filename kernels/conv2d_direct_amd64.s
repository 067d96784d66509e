//go:build amd64 && !purego

#include "textflag.h"

// Kernels of the direct convolution (conv2d_direct.go). Each computes a chunk of up to 32
// columns of one output row (Z0…Z15: two vectors for each of 8 channels at a time) for
// all channels: per tap, the image at the tap's offset under its mask (+0 elsewhere, as
// im2col's padding), times each channel's weight, added with one FMA in tap order; then,
// with a bias, the bias times 1. Accumulators start at +0 and are stored as they are:
// the SGEMM kernels' arithmetic with alpha = 1 and beta = 0.

// ZERO clears the accumulators.
#define ZERO \
	VPXORD Z0, Z0, Z0 \
	VPXORD Z1, Z1, Z1 \
	VPXORD Z2, Z2, Z2 \
	VPXORD Z3, Z3, Z3 \
	VPXORD Z4, Z4, Z4 \
	VPXORD Z5, Z5, Z5 \
	VPXORD Z6, Z6, Z6 \
	VPXORD Z7, Z7, Z7 \
	VPXORD Z8, Z8, Z8 \
	VPXORD Z9, Z9, Z9 \
	VPXORD Z10, Z10, Z10 \
	VPXORD Z11, Z11, Z11 \
	VPXORD Z12, Z12, Z12 \
	VPXORD Z13, Z13, Z13 \
	VPXORD Z14, Z14, Z14 \
	VPXORD Z15, Z15, Z15

// LOAD reads the tap at R13 (byte offset, then the masks of its two vectors) from the
// image at AX into Z16 and Z17.
#define LOAD \
	MOVLQSX   0(R13), R10            \
	KMOVW     4(R13), K1             \
	KMOVW     6(R13), K2             \
	VMOVUPS.Z (AX)(R10*1), K1, Z16   \
	VMOVUPS.Z 64(AX)(R10*1), K2, Z17

// WEIGHTFIRST adds in0 and in1 times the 8 weights at R14 to the accumulators with the
// operand order of the SGEMM's 8×32 and two-vector edge kernels: the broadcast weight in
// a register, the input as the last operand.
#define WEIGHTFIRST(in0, in1) \
	VBROADCASTSS 0(R14), Z18 \
	VFMADD231PS  in0, Z18, Z0 \
	VFMADD231PS  in1, Z18, Z1 \
	VBROADCASTSS 4(R14), Z19 \
	VFMADD231PS  in0, Z19, Z2 \
	VFMADD231PS  in1, Z19, Z3 \
	VBROADCASTSS 8(R14), Z18 \
	VFMADD231PS  in0, Z18, Z4 \
	VFMADD231PS  in1, Z18, Z5 \
	VBROADCASTSS 12(R14), Z19 \
	VFMADD231PS  in0, Z19, Z6 \
	VFMADD231PS  in1, Z19, Z7 \
	VBROADCASTSS 16(R14), Z18 \
	VFMADD231PS  in0, Z18, Z8 \
	VFMADD231PS  in1, Z18, Z9 \
	VBROADCASTSS 20(R14), Z19 \
	VFMADD231PS  in0, Z19, Z10 \
	VFMADD231PS  in1, Z19, Z11 \
	VBROADCASTSS 24(R14), Z18 \
	VFMADD231PS  in0, Z18, Z12 \
	VFMADD231PS  in1, Z18, Z13 \
	VBROADCASTSS 28(R14), Z19 \
	VFMADD231PS  in0, Z19, Z14 \
	VFMADD231PS  in1, Z19, Z15

// INPUTFIRST is WEIGHTFIRST with the operand order of the SGEMM's one-vector edge
// kernels: the input in a register, the weight broadcast from memory as the last operand.
#define INPUTFIRST(in0, in1) \
	VFMADD231PS.BCST 0(R14), in0, Z0 \
	VFMADD231PS.BCST 0(R14), in1, Z1 \
	VFMADD231PS.BCST 4(R14), in0, Z2 \
	VFMADD231PS.BCST 4(R14), in1, Z3 \
	VFMADD231PS.BCST 8(R14), in0, Z4 \
	VFMADD231PS.BCST 8(R14), in1, Z5 \
	VFMADD231PS.BCST 12(R14), in0, Z6 \
	VFMADD231PS.BCST 12(R14), in1, Z7 \
	VFMADD231PS.BCST 16(R14), in0, Z8 \
	VFMADD231PS.BCST 16(R14), in1, Z9 \
	VFMADD231PS.BCST 20(R14), in0, Z10 \
	VFMADD231PS.BCST 20(R14), in1, Z11 \
	VFMADD231PS.BCST 24(R14), in0, Z12 \
	VFMADD231PS.BCST 24(R14), in1, Z13 \
	VFMADD231PS.BCST 28(R14), in0, Z14 \
	VFMADD231PS.BCST 28(R14), in1, Z15

// STORE writes the accumulators to 8 channel rows from R8, ldy (R9 bytes) apart, under
// the output masks K3 and K4, and moves R8 to the next 8 channels.
#define STORE \
	MOVQ    R8, R11 \
	VMOVUPS Z0, K3, (R11) \
	VMOVUPS Z1, K4, 64(R11) \
	ADDQ    R9, R11 \
	VMOVUPS Z2, K3, (R11) \
	VMOVUPS Z3, K4, 64(R11) \
	ADDQ    R9, R11 \
	VMOVUPS Z4, K3, (R11) \
	VMOVUPS Z5, K4, 64(R11) \
	ADDQ    R9, R11 \
	VMOVUPS Z6, K3, (R11) \
	VMOVUPS Z7, K4, 64(R11) \
	ADDQ    R9, R11 \
	VMOVUPS Z8, K3, (R11) \
	VMOVUPS Z9, K4, 64(R11) \
	ADDQ    R9, R11 \
	VMOVUPS Z10, K3, (R11) \
	VMOVUPS Z11, K4, 64(R11) \
	ADDQ    R9, R11 \
	VMOVUPS Z12, K3, (R11) \
	VMOVUPS Z13, K4, 64(R11) \
	ADDQ    R9, R11 \
	VMOVUPS Z14, K3, (R11) \
	VMOVUPS Z15, K4, 64(R11) \
	ADDQ    R9, R11 \
	MOVQ    R11, R8

// func convRowWeightFirstAVX512(x, taps *float32, ntaps int, wt *float32, bias bool, groups int, y *float32, ldy int, outMask uint32)
TEXT ·convRowWeightFirstAVX512(SB), NOSPLIT, $0-68
	MOVQ         x+0(FP), AX
	MOVQ         wt+24(FP), R14
	MOVQ         groups+40(FP), DI
	MOVQ         y+48(FP), R8
	MOVQ         ldy+56(FP), R9
	SHLQ         $2, R9
	MOVL         outMask+64(FP), R10
	KMOVW        R10, K3
	SHRL         $16, R10
	KMOVW        R10, K4
	MOVL         $0x3f800000, R10
	VPBROADCASTD R10, Z31

group:
	ZERO
	MOVQ taps+8(FP), R13
	MOVQ ntaps+16(FP), R12

tap:
	LOAD
	WEIGHTFIRST(Z16, Z17)
	ADDQ $8, R13
	ADDQ $32, R14
	DECQ R12
	JNE  tap
	CMPB bias+32(FP), $0
	JEQ  store
	WEIGHTFIRST(Z31, Z31)
	ADDQ $32, R14

store:
	STORE
	DECQ DI
	JNE  group
	VZEROUPPER
	RET

// func convRowInputFirstAVX512(x, taps *float32, ntaps int, wt *float32, bias bool, groups int, y *float32, ldy int, outMask uint32)
TEXT ·convRowInputFirstAVX512(SB), NOSPLIT, $0-68
	MOVQ         x+0(FP), AX
	MOVQ         wt+24(FP), R14
	MOVQ         groups+40(FP), DI
	MOVQ         y+48(FP), R8
	MOVQ         ldy+56(FP), R9
	SHLQ         $2, R9
	MOVL         outMask+64(FP), R10
	KMOVW        R10, K3
	SHRL         $16, R10
	KMOVW        R10, K4
	MOVL         $0x3f800000, R10
	VPBROADCASTD R10, Z31

group:
	ZERO
	MOVQ taps+8(FP), R13
	MOVQ ntaps+16(FP), R12

tap:
	LOAD
	INPUTFIRST(Z16, Z17)
	ADDQ $8, R13
	ADDQ $32, R14
	DECQ R12
	JNE  tap
	CMPB bias+32(FP), $0
	JEQ  store
	INPUTFIRST(Z31, Z31)
	ADDQ $32, R14

store:
	STORE
	DECQ DI
	JNE  group
	VZEROUPPER
	RET
