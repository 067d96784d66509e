//go:build amd64 && !purego

#include "textflag.h"

// Kernels of the direct pooled convolution (conv2d_pool_direct.go).

// func splitRowsAVX512(x *float32, rows, rowXBytes int, masks *float32, chunks, pad int, dst *float32, dstRowBytes int)
// Each row of x, read 32 padded columns at a time under two masks (zeros outside the
// row), goes to dst as its even columns, then (half a dst row later) its odd ones.
TEXT ·splitRowsAVX512(SB), NOSPLIT, $0-64
	MOVQ      x+0(FP), AX
	MOVQ      pad+40(FP), R8
	SHLQ      $2, R8
	SUBQ      R8, AX
	MOVQ      rows+8(FP), CX
	MOVQ      dst+48(FP), DX
	MOVQ      dstRowBytes+56(FP), R9
	MOVQ      R9, R10
	SHRQ      $1, R10
	VMOVDQU32 ·poolEvenLanes(SB), Z28
	VMOVDQU32 ·poolOddLanes(SB), Z29

row:
	MOVQ AX, SI
	MOVQ DX, DI
	MOVQ masks+24(FP), BX
	MOVQ chunks+32(FP), R11

chunk:
	KMOVW     (BX), K1
	KMOVW     4(BX), K2
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z 64(SI), K2, Z1
	VMOVAPS   Z0, Z2
	VPERMT2PS Z1, Z28, Z2
	VPERMT2PS Z1, Z29, Z0
	VMOVUPS   Z2, (DI)
	VMOVUPS   Z0, (DI)(R10*1)
	ADDQ      $128, SI
	ADDQ      $64, DI
	ADDQ      $8, BX
	DECQ      R11
	JNE       chunk
	ADDQ      rowXBytes+16(FP), AX
	ADDQ      R9, DX
	DECQ      CX
	JNE       row
	VZEROUPPER
	RET

// The pooling kernel: one pair of output rows, 16 windows of each, for all channels, four
// at a time. Channel j's accumulators are Z(4j)…Z(4j+3): the windows' top-left, top-right,
// bottom-left and bottom-right elements. They start at +0 and take one FMA per tap, in the
// tap table's order, then the bias.

// TAP adds the tap whose byte offsets (left, right) R13 points at, in both rows (AX, BX),
// times the four channels' weights at R14, to the accumulators.
#define TAP \
	MOVLQSX      (R13), R10        \
	MOVLQSX      4(R13), R11       \
	VMOVUPS      (AX)(R10*1), Z16  \
	VMOVUPS      (AX)(R11*1), Z17  \
	VMOVUPS      (BX)(R10*1), Z18  \
	VMOVUPS      (BX)(R11*1), Z19  \
	VBROADCASTSS 0(R14), Z20     \
	VFMADD231PS  Z16, Z20, Z0 \
	VFMADD231PS  Z17, Z20, Z1 \
	VFMADD231PS  Z18, Z20, Z2 \
	VFMADD231PS  Z19, Z20, Z3 \
	VBROADCASTSS 4(R14), Z21     \
	VFMADD231PS  Z16, Z21, Z4 \
	VFMADD231PS  Z17, Z21, Z5 \
	VFMADD231PS  Z18, Z21, Z6 \
	VFMADD231PS  Z19, Z21, Z7 \
	VBROADCASTSS 8(R14), Z20     \
	VFMADD231PS  Z16, Z20, Z8 \
	VFMADD231PS  Z17, Z20, Z9 \
	VFMADD231PS  Z18, Z20, Z10 \
	VFMADD231PS  Z19, Z20, Z11 \
	VBROADCASTSS 12(R14), Z21     \
	VFMADD231PS  Z16, Z21, Z12 \
	VFMADD231PS  Z17, Z21, Z13 \
	VFMADD231PS  Z18, Z21, Z14 \
	VFMADD231PS  Z19, Z21, Z15

// BIAS adds the four channels' biases at R14: the SGEMM's bias × 1 multiply-add rounds the
// exact sum once, as this addition does.
#define BIAS \
	VBROADCASTSS 0(R14), Z20 \
	VADDPS       Z20, Z0, Z0 \
	VADDPS       Z20, Z1, Z1 \
	VADDPS       Z20, Z2, Z2 \
	VADDPS       Z20, Z3, Z3 \
	VBROADCASTSS 4(R14), Z21 \
	VADDPS       Z21, Z4, Z4 \
	VADDPS       Z21, Z5, Z5 \
	VADDPS       Z21, Z6, Z6 \
	VADDPS       Z21, Z7, Z7 \
	VBROADCASTSS 8(R14), Z20 \
	VADDPS       Z20, Z8, Z8 \
	VADDPS       Z20, Z9, Z9 \
	VADDPS       Z20, Z10, Z10 \
	VADDPS       Z20, Z11, Z11 \
	VBROADCASTSS 12(R14), Z21 \
	VADDPS       Z21, Z12, Z12 \
	VADDPS       Z21, Z13, Z13 \
	VADDPS       Z21, Z14, Z14 \
	VADDPS       Z21, Z15, Z15

// POOL pools one channel's windows (tl, tr, bl, br) with the ReLU, stores the lanes of K6
// at CX and DX, and moves CX, DX and the channel's first index Z31 to the next channel.
// A window is kept (K3) where its four are ordered (no NaN) and their maximum is > 0; then
// its index is that of its first element equal to the maximum: the first strict maximum,
// as MaxPool2x2ReLUForward picks. Elsewhere the output is +0 and −1 whichever element
// MaxPool2x2ReLUForward would pick (a NaN, or a maximum ≤ 0), so it is not worked out.
#define POOL(tl, tr, bl, br) \
	VMAXPS    tl, tr, Z16             \
	VMAXPS    bl, br, Z17             \
	VMAXPS    Z16, Z17, Z18           \
	VCMPPS    $7, tr, tl, K4          \
	VCMPPS    $7, br, bl, K4, K4      \
	VCMPPS    $0x1e, Z23, Z18, K4, K3 \
	VCMPPS    $0, Z18, bl, K1         \
	VCMPPS    $0, Z18, tr, K2         \
	VCMPPS    $0, Z18, tl, K5         \
	VPBLENDMD Z26, Z27, K1, Z19       \
	VPBLENDMD Z25, Z19, K2, Z19       \
	VPBLENDMD Z24, Z19, K5, Z19       \
	VMOVDQA32 Z22, Z20                \
	VPADDD    Z31, Z19, K3, Z20       \
	VMOVAPS.Z Z18, K3, Z18            \
	VMOVUPS   Z18, K6, (CX)           \
	VMOVDQU32 Z20, K6, (DX)           \
	ADDQ      R8, CX                  \
	ADDQ      R8, DX                  \
	VPADDD    Z30, Z31, Z31

// func convPoolRowAVX512(x, offs *float32, ntaps int, wt *float32, bias bool, k, rowBytes int, y *float32, arg *int32, ldp, idx, ldi, ow int, outMask uint32)
// x: the split image at the row pair's first row and window; offs: ntaps pairs of byte
// offsets (int32); wt: per group of four channels, ntaps (and with bias one more) sets of
// four weights; y, arg: channel 0's first pooled output, ldp apart per channel; idx: the
// convolution index of the first window's top-left element, ldi apart per channel; ow:
// the convolution's row length; outMask: the windows to store. Z24…Z27 hold the index,
// less the channel's first, of each window's four elements; Z22 is −1 and Z23 +0.
TEXT ·convPoolRowAVX512(SB), NOSPLIT, $0-108
	MOVQ         x+0(FP), AX
	MOVQ         rowBytes+48(FP), BX
	ADDQ         AX, BX
	MOVQ         wt+24(FP), R14
	MOVQ         k+40(FP), DI
	MOVQ         y+56(FP), CX
	MOVQ         arg+64(FP), DX
	MOVQ         ldp+72(FP), R8
	SHLQ         $2, R8
	MOVQ         idx+80(FP), R9
	VPBROADCASTD R9, Z24
	VPADDD       ·poolEvenLanes(SB), Z24, Z24
	MOVQ         ow+96(FP), R9
	VPBROADCASTD R9, Z26
	VPADDD       Z24, Z26, Z26
	MOVL         $1, R9
	VPBROADCASTD R9, Z21
	VPADDD       Z21, Z24, Z25
	VPADDD       Z21, Z26, Z27
	MOVQ         ldi+88(FP), R9
	VPBROADCASTD R9, Z30
	VPXORD       Z31, Z31, Z31
	VPXORD       Z23, Z23, Z23
	VPTERNLOGD   $0xff, Z22, Z22, Z22
	MOVL         outMask+104(FP), R9
	KMOVW        R9, K6

group:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	MOVQ offs+8(FP), R13
	MOVQ ntaps+16(FP), R12

tap:
	TAP
	ADDQ $8, R13
	ADDQ $16, R14
	DECQ R12
	JNE  tap
	CMPB bias+32(FP), $0
	JEQ  pool
	BIAS
	ADDQ $16, R14

pool:
	POOL(Z0, Z1, Z2, Z3)
	DECQ DI
	JEQ  done
	POOL(Z4, Z5, Z6, Z7)
	DECQ DI
	JEQ  done
	POOL(Z8, Z9, Z10, Z11)
	DECQ DI
	JEQ  done
	POOL(Z12, Z13, Z14, Z15)
	DECQ DI
	JNE  group

done:
	VZEROUPPER
	RET
