//go:build amd64 && !purego

#include "textflag.h"

// func im2colChannelAVX512(dst, img *float32, oh, w int, taps *im2colTap, ntaps int, store uint32)
// Fills one 16-wide column chunk of a channel's im2col rows, tap by tap: tap (row, shift,
// oy0, oy1, mask) writes the im2col row starting at dst[row]; its output rows [oy0, oy1)
// take the image shifted by shift (lanes in mask, the rest zero) and the others read
// padding and get zeros. Lanes in store are stored. dst and img point at the chunk's first
// column.
TEXT ·im2colChannelAVX512(SB), NOSPLIT, $0-52
	MOVQ dst+0(FP), DI
	MOVQ img+8(FP), SI
	MOVQ oh+16(FP), R8
	MOVQ w+24(FP), R10
	SHLQ $2, R10 // bytes per row
	MOVQ taps+32(FP), R11
	MOVQ ntaps+40(FP), R12
	IMULQ $40, R12
	ADDQ R11, R12
	MOVL store+48(FP), AX
	KMOVW AX, K1
	VPXORD Z1, Z1, Z1

im2colTap:
	CMPQ R11, R12
	JGE  im2colDone
	MOVQ 0(R11), R13
	LEAQ (DI)(R13*4), R13 // the tap's output row 0
	MOVQ 8(R11), R14
	LEAQ (SI)(R14*4), R14 // its source: lanes outside mask are never read
	MOVQ 16(R11), BX      // oy0
	MOVQ 24(R11), DX      // oy1
	MOVQ 32(R11), AX
	KMOVW AX, K2
	XORQ CX, CX

im2colTop:
	CMPQ CX, BX
	JGE  im2colBody
	VMOVUPS Z1, K1, (R13)
	ADDQ R10, R13
	ADDQ R10, R14
	INCQ CX
	JMP  im2colTop

im2colBody:
	CMPQ CX, DX
	JGE  im2colBottom
	VMOVUPS.Z (R14), K2, Z0
	VMOVUPS Z0, K1, (R13)
	ADDQ R10, R13
	ADDQ R10, R14
	INCQ CX
	JMP  im2colBody

im2colBottom:
	CMPQ CX, R8
	JGE  im2colNext
	VMOVUPS Z1, K1, (R13)
	ADDQ R10, R13
	INCQ CX
	JMP  im2colBottom

im2colNext:
	ADDQ $40, R11
	JMP  im2colTap

im2colDone:
	VZEROUPPER
	RET

// func col2imChunkAVX512(img, col *float32, hw, w, oh int, taps *col2imTap, ntaps int, store uint32)
// Adds into one 16-wide column chunk of an image plane every entry of its channel's im2col
// rows, pixel by pixel, tap after tap in the taps' order: a tap (off, dy, mask) adds
// col[off + p] at pixel p of image row iy when iy−dy is an output row, in the lanes of
// mask. Lanes in store are loaded and stored. img and col point at the chunk's first
// column.
TEXT ·col2imChunkAVX512(SB), NOSPLIT, $0-60
	MOVQ img+0(FP), DI
	MOVQ col+8(FP), SI
	MOVQ hw+16(FP), R8
	MOVQ w+24(FP), R9
	MOVQ oh+32(FP), R10
	MOVQ taps+40(FP), R11
	MOVQ ntaps+48(FP), R12
	IMULQ $24, R12
	ADDQ R11, R12
	MOVL store+56(FP), AX
	KMOVW AX, K1
	XORQ BX, BX // image row iy
	XORQ DX, DX // p = iy·w

col2imRow:
	CMPQ DX, R8
	JGE  col2imDone
	VMOVUPS.Z (DI)(DX*4), K1, Z0
	MOVQ R11, AX

col2imTap:
	CMPQ AX, R12
	JGE  col2imStore
	MOVQ BX, CX
	SUBQ 8(AX), CX
	CMPQ CX, R10
	JAE  col2imSkip // output row iy−dy outside [0, oh)
	MOVQ 16(AX), R13
	KMOVW R13, K2
	MOVQ (AX), R13
	ADDQ DX, R13
	VMOVUPS.Z (SI)(R13*4), K2, Z1
	VADDPS Z1, Z0, K2, Z0

col2imSkip:
	ADDQ $24, AX
	JMP  col2imTap

col2imStore:
	VMOVUPS Z0, K1, (DI)(DX*4)
	ADDQ R9, DX
	INCQ BX
	JMP  col2imRow

col2imDone:
	VZEROUPPER
	RET
