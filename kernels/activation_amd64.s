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

// func biasTileAVX2(c *float32, ldc, rows int, bias *float32, n int, relu bool)
// biasRowAVX2 on rows rows of c, ldc values apart; n is a multiple of 8, rows ≥ 1.
TEXT ·biasTileAVX2(SB), NOSPLIT, $0-41
	MOVQ    c+0(FP), DI
	MOVQ    ldc+8(FP), R8
	SHLQ    $2, R8
	MOVQ    rows+16(FP), R9
	MOVQ    bias+24(FP), SI
	MOVQ    n+32(FP), R10
	MOVBQZX relu+40(FP), AX
	VXORPS  Y0, Y0, Y0

tileRow:
	MOVQ  DI, R11
	MOVQ  SI, R12
	MOVQ  R10, CX
	TESTQ AX, AX
	JZ    tilePlain

tileRelu8:
	VMOVUPS (R11), Y1
	VADDPS  (R12), Y1, Y1
	VMAXPS  Y0, Y1, Y1
	VMOVUPS Y1, (R11)
	ADDQ    $32, R11
	ADDQ    $32, R12
	SUBQ    $8, CX
	JNZ     tileRelu8
	JMP     tileNext

tilePlain:
	VMOVUPS (R11), Y1
	VADDPS  (R12), Y1, Y1
	VMOVUPS Y1, (R11)
	ADDQ    $32, R11
	ADDQ    $32, R12
	SUBQ    $8, CX
	JNZ     tilePlain

tileNext:
	ADDQ R8, DI
	DECQ R9
	JNZ  tileRow
	VZEROUPPER
	RET

// func reluMaskTileAVX2(y *float32, ldy int, c *float32, ldc, rows, n int)
// c = c where y > 0, else +0 (reluBackwardAVX2 in place), on rows rows of y and c;
// n is a multiple of 8, rows ≥ 1.
TEXT ·reluMaskTileAVX2(SB), NOSPLIT, $0-48
	MOVQ   y+0(FP), SI
	MOVQ   ldy+8(FP), R8
	SHLQ   $2, R8
	MOVQ   c+16(FP), DI
	MOVQ   ldc+24(FP), R9
	SHLQ   $2, R9
	MOVQ   rows+32(FP), R10
	MOVQ   n+40(FP), R11
	VXORPS Y0, Y0, Y0

maskRow:
	MOVQ SI, R12
	MOVQ DI, R13
	MOVQ R11, CX

mask8:
	VMOVUPS (R12), Y1
	VCMPPS  $0x1e, Y0, Y1, Y2 // Y2 = Y1 > 0 (GT_OQ)
	VANDPS  (R13), Y2, Y3
	VMOVUPS Y3, (R13)
	ADDQ    $32, R12
	ADDQ    $32, R13
	SUBQ    $8, CX
	JNZ     mask8
	ADDQ    R8, SI
	ADDQ    R9, DI
	DECQ    R10
	JNZ     maskRow
	VZEROUPPER
	RET

// func columnSumsTileAVX2(c *float32, ldc, rows int, sums *float32, n int)
// sums[j] = ((+0 + c[0][j]) + c[1][j]) + … over rows rows of c, the order addRowAVX2
// adds them in from cleared sums; 32 columns at a time (four independent chains), then
// 8; n is a multiple of 8, rows ≥ 1.
TEXT ·columnSumsTileAVX2(SB), NOSPLIT, $0-40
	MOVQ c+0(FP), DI
	MOVQ ldc+8(FP), R8
	SHLQ $2, R8
	MOVQ rows+16(FP), R9
	MOVQ sums+24(FP), SI
	MOVQ n+32(FP), CX

sum32:
	CMPQ   CX, $32
	JLT    sum8
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	MOVQ   DI, R11
	MOVQ   R9, R10

sum32Row:
	VADDPS (R11), Y1, Y1
	VADDPS 32(R11), Y2, Y2
	VADDPS 64(R11), Y3, Y3
	VADDPS 96(R11), Y4, Y4
	ADDQ   R8, R11
	DECQ   R10
	JNZ    sum32Row
	VMOVUPS Y1, (SI)
	VMOVUPS Y2, 32(SI)
	VMOVUPS Y3, 64(SI)
	VMOVUPS Y4, 96(SI)
	ADDQ    $128, DI
	ADDQ    $128, SI
	SUBQ    $32, CX
	JMP     sum32

sum8:
	TESTQ  CX, CX
	JZ     sumDone
	VXORPS Y1, Y1, Y1
	MOVQ   DI, R11
	MOVQ   R9, R10

sum8Row:
	VADDPS (R11), Y1, Y1
	ADDQ   R8, R11
	DECQ   R10
	JNZ    sum8Row
	VMOVUPS Y1, (SI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	SUBQ    $8, CX
	JMP     sum8

sumDone:
	VZEROUPPER
	RET
