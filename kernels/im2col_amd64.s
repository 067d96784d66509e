//go:build amd64 && !purego

#include "textflag.h"

// func im2colChunkAVX512(dst, img *float32, oh, h, w, dy, dx int, masks uint32)
// Fills one 16-wide column chunk of an im2col row for kernel offset (dy, dx): output row oy
// takes image row oy+dy shifted by dx, lanes in the high 16 bits of masks read the image
// (the rest are zero), lanes in the low 16 bits are stored. Rows that read padding get
// zeros. dst and img point at the chunk's first column.
TEXT ·im2colChunkAVX512(SB), NOSPLIT, $0-60
	MOVQ dst+0(FP), DI
	MOVQ img+8(FP), SI
	MOVQ oh+16(FP), R8
	MOVQ h+24(FP), R9
	MOVQ w+32(FP), R10
	MOVQ dy+40(FP), DX
	MOVQ dx+48(FP), AX
	MOVL masks+56(FP), CX
	KMOVW CX, K1
	SHRL $16, CX
	KMOVW CX, K2
	MOVQ DX, CX
	IMULQ R10, CX
	ADDQ AX, CX
	LEAQ (SI)(CX*4), SI // the source of output row 0: masked lanes are never read
	MOVQ R10, R11
	SHLQ $2, R11
	XORQ BX, BX
	VPXORD Z1, Z1, Z1

im2colRow:
	CMPQ BX, R8
	JGE  im2colDone
	CMPQ DX, R9
	JAE  im2colPad // image row dy+oy outside [0, h)
	VMOVUPS.Z (SI), K2, Z0
	VMOVUPS Z0, K1, (DI)
	JMP  im2colNext

im2colPad:
	VMOVUPS Z1, K1, (DI)

im2colNext:
	ADDQ R11, SI
	ADDQ R11, DI
	INCQ BX
	INCQ DX
	JMP  im2colRow

im2colDone:
	VZEROUPPER
	RET

// func col2imChunkAVX512(img, col *float32, hw, w, oh int, taps *shiftTap, ntaps int, store uint32)
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
