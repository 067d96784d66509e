//go:build amd64 && !purego

#include "textflag.h"

// laneTimes holds 0…15, each lane's channel within a group of 16.
DATA laneTimes<>+0(SB)/4, $0
DATA laneTimes<>+4(SB)/4, $1
DATA laneTimes<>+8(SB)/4, $2
DATA laneTimes<>+12(SB)/4, $3
DATA laneTimes<>+16(SB)/4, $4
DATA laneTimes<>+20(SB)/4, $5
DATA laneTimes<>+24(SB)/4, $6
DATA laneTimes<>+28(SB)/4, $7
DATA laneTimes<>+32(SB)/4, $8
DATA laneTimes<>+36(SB)/4, $9
DATA laneTimes<>+40(SB)/4, $10
DATA laneTimes<>+44(SB)/4, $11
DATA laneTimes<>+48(SB)/4, $12
DATA laneTimes<>+52(SB)/4, $13
DATA laneTimes<>+56(SB)/4, $14
DATA laneTimes<>+60(SB)/4, $15
GLOBL laneTimes<>(SB), RODATA|NOPTR, $64

// func unpoolChannelsLastAVX512(dy, arg, dx *float32, win *int32, windows, groups, w, hw int) int
// Writes, for each 2×2 window q, the four channels-last rows of dx (16·groups channels
// each) at the window's pixels win[q], +1, +w and +w+1 from dy and arg, which hold the
// window's gradient and argmax for every channel ([window][channel]). A lane gets +0 + dy
// where the argmax is that pixel's index in the channel's plane (channel·hw + pixel), +0
// otherwise. Returns the number of windows done before the first with an argmax neither
// −1 nor one of its four indices (that window's rows are partly written).
TEXT ·unpoolChannelsLastAVX512(SB), NOSPLIT, $0-72
	MOVQ         dy+0(FP), SI
	MOVQ         arg+8(FP), DI
	MOVQ         dx+16(FP), DX
	MOVQ         win+24(FP), R8
	MOVQ         windows+32(FP), R9
	MOVQ         groups+40(FP), R10
	MOVQ         w+48(FP), R11
	MOVQ         hw+56(FP), AX
	VPBROADCASTD AX, Z21
	VPMULLD      laneTimes<>(SB), Z21, Z20 // lane·hw: each lane's plane
	VPSLLD       $4, Z21, Z21              // 16·hw: from one group of channels to the next
	MOVL         $1, AX
	VPBROADCASTD AX, Z22                   // the window's top-right pixel
	VPBROADCASTD R11, Z23                  // bottom-left
	VPADDD       Z22, Z23, Z24             // bottom-right
	VPTERNLOGD   $0xff, Z25, Z25, Z25      // −1
	VPXORD       Z26, Z26, Z26             // +0
	MOVQ         R10, R12
	SHLQ         $6, R12                   // bytes of a dx row
	MOVQ         R11, R13
	IMULQ        R12, R13                  // from a window's top row to its bottom row
	LEAQ         (R13)(R12*1), AX          // and to its bottom-right pixel
	XORQ         BX, BX

window:
	CMPQ         BX, R9
	JGE          done
	MOVLQSX      (R8)(BX*4), CX
	VPBROADCASTD CX, Z27
	VPADDD       Z20, Z27, Z27 // the top-left pixel's index in each lane's plane
	IMULQ        R12, CX
	LEAQ         (DX)(CX*1), R14
	MOVQ         R10, R15

group:
	VMOVDQU32 (DI), Z0
	VMOVUPS   (SI), Z1
	VADDPS    Z26, Z1, Z1
	VPCMPEQD  Z27, Z0, K1
	VPADDD    Z22, Z27, Z2
	VPCMPEQD  Z2, Z0, K2
	VPADDD    Z23, Z27, Z2
	VPCMPEQD  Z2, Z0, K3
	VPADDD    Z24, Z27, Z2
	VPCMPEQD  Z2, Z0, K4
	VPCMPEQD  Z25, Z0, K5
	KORW      K1, K2, K6
	KORW      K3, K4, K7
	KORW      K5, K6, K6
	KORW      K7, K6, K6
	KORTESTW  K6, K6
	JCC       bad
	VMOVAPS.Z Z1, K1, Z3
	VMOVAPS.Z Z1, K2, Z4
	VMOVAPS.Z Z1, K3, Z5
	VMOVAPS.Z Z1, K4, Z6
	VMOVUPS   Z3, (R14)
	VMOVUPS   Z4, (R14)(R12*1)
	VMOVUPS   Z5, (R14)(R13*1)
	VMOVUPS   Z6, (R14)(AX*1)
	ADDQ      $64, SI
	ADDQ      $64, DI
	ADDQ      $64, R14
	VPADDD    Z21, Z27, Z27
	DECQ      R15
	JNE       group
	INCQ      BX
	JMP       window

done:
bad:
	MOVQ       BX, ret+64(FP)
	VZEROUPPER
	RET
