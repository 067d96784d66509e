//go:build amd64 && !purego

#include "textflag.h"

// func biasRowAVX2(row, bias *float32, n int, relu bool)
// row[j] = row[j] + bias[j], then max(v, +0) when relu (VMAXPS returns its second
// operand, +0, for NaN and for −0), 8 at a time; n is a multiple of 8.
TEXT ·biasRowAVX2(SB), NOSPLIT, $0-25
	MOVQ   row+0(FP), DI
	MOVQ   bias+8(FP), SI
	MOVQ   n+16(FP), CX
	MOVBQZX relu+24(FP), AX
	VXORPS Y0, Y0, Y0
	TESTQ  AX, AX
	JZ     plain

relu8:
	VMOVUPS (DI), Y1
	VADDPS  (SI), Y1, Y1
	VMAXPS  Y0, Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	SUBQ    $8, CX
	JNZ     relu8
	VZEROUPPER
	RET

plain:
	VMOVUPS (DI), Y1
	VADDPS  (SI), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	SUBQ    $8, CX
	JNZ     plain
	VZEROUPPER
	RET

// func reluBackwardAVX2(y, dy, dx *float32, n int)
// dx = dy where y > 0 (ordered compare: false for NaN and −0), else +0.
TEXT ·reluBackwardAVX2(SB), NOSPLIT, $0-32
	MOVQ   y+0(FP), SI
	MOVQ   dy+8(FP), DX
	MOVQ   dx+16(FP), DI
	MOVQ   n+24(FP), CX
	VXORPS Y0, Y0, Y0

loop8:
	VMOVUPS (SI), Y1
	VCMPPS  $0x1e, Y0, Y1, Y2 // Y2 = Y1 > 0 (GT_OQ)
	VANDPS  (DX), Y2, Y3
	VMOVUPS Y3, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     loop8
	VZEROUPPER
	RET

// func addRowAVX2(dst, src *float32, n int)
// dst[j] += src[j], 8 at a time.
TEXT ·addRowAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

add8:
	VMOVUPS (DI), Y1
	VADDPS  (SI), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	SUBQ    $8, CX
	JNZ     add8
	VZEROUPPER
	RET
