//go:build amd64 && !purego

#include "go_asm.h"
#include "textflag.h"

// func im2colFlatAVX512(dst, img *float32, ld int, taps *flatTap, ntaps, chunks int, last uint32, channels, plane int)
// Writes the im2col rows of channels channels, 16 outputs at a time along the flattened
// output (no row structure): tap t's row at dst + t·ld takes, in chunk j, the image at
// outputs + shift[t] in the lanes of masks[t][j] and +0 in the others. Every chunk is
// stored whole but the last, stored in the lanes of last. Channel c reads img + c·plane
// and writes dst + c·ntaps·ld.
TEXT ·im2colFlatAVX512(SB), NOSPLIT, $0-72
	MOVQ  dst+0(FP), DI
	MOVQ  img+8(FP), SI
	MOVQ  ld+16(FP), R8
	SHLQ  $2, R8
	MOVQ  ntaps+32(FP), R9
	MOVQ  chunks+40(FP), R10
	DECQ  R10 // the full chunks of a row
	MOVL  last+48(FP), AX
	KMOVW AX, K1
	MOVQ  channels+56(FP), R12
	MOVQ  plane+64(FP), R13
	SHLQ  $2, R13

channel:
	MOVQ taps+24(FP), R11
	MOVQ R9, R14
	MOVQ DI, DX

tap:
	MOVQ flatTap_shift(R11), AX
	LEAQ (SI)(AX*4), BX // this tap's source for output 0
	LEAQ flatTap_masks(R11), CX // its masks
	MOVQ DX, AX
	MOVQ R10, R15
	TESTQ R15, R15
	JEQ  tapLast

chunk:
	KMOVW     (CX), K2
	VMOVUPS.Z (BX), K2, Z0
	VMOVUPS   Z0, (AX)
	ADDQ      $2, CX
	ADDQ      $64, BX
	ADDQ      $64, AX
	DECQ      R15
	JNE       chunk

tapLast:
	KMOVW     (CX), K2
	VMOVUPS.Z (BX), K2, Z0
	VMOVUPS   Z0, K1, (AX)
	ADDQ      $flatTap__size, R11
	ADDQ      R8, DX
	DECQ      R14
	JNE       tap
	MOVQ      DX, DI
	ADDQ      R13, SI
	DECQ      R12
	JNE       channel
	VZEROUPPER
	RET

// func col2imFlatAVX512(img, col *float32, ld int, taps *flatTap, ntaps, chunks int, last uint32, channels, plane int)
// The adjoint: adds into img, 16 pixels at a time along the flattened plane, every tap's
// entry in taps' order, tap t's from its row at col + t·ld at pixels − shift[t], in the
// lanes of masks[t][j]; the other lanes keep their sum. Each pixel's sum starts from img's
// value; only the last chunk's lanes in last are loaded and stored.
TEXT ·col2imFlatAVX512(SB), NOSPLIT, $0-72
	MOVQ  img+0(FP), DI
	MOVQ  col+8(FP), SI
	MOVQ  ld+16(FP), R8
	SHLQ  $2, R8
	MOVQ  ntaps+32(FP), R9
	MOVQ  chunks+40(FP), R10
	MOVL  last+48(FP), AX
	KMOVW AX, K1
	KXNORW K3, K3, K3
	MOVQ  channels+56(FP), R12
	MOVQ  plane+64(FP), R13
	SHLQ  $2, R13

c2iChannel:
	XORQ R15, R15 // chunk index
	MOVQ DI, DX

c2iChunk:
	KMOVW     K3, K4
	LEAQ      1(R15), AX
	CMPQ      AX, R10
	JNE       c2iLoad
	KMOVW     K1, K4

c2iLoad:
	VMOVUPS.Z (DX), K4, Z0
	MOVQ      taps+24(FP), R11
	MOVQ      R9, R14
	MOVQ      SI, BX

c2iTap:
	MOVQ      flatTap_shift(R11), AX
	NEGQ      AX
	LEAQ      (BX)(AX*4), CX // this tap's row at pixel 0 − shift
	MOVQ      R15, AX
	SHLQ      $6, AX
	ADDQ      AX, CX
	LEAQ      flatTap_masks(R11)(R15*2), AX
	KMOVW     (AX), K2
	VADDPS    (CX), Z0, K2, Z0
	ADDQ      $flatTap__size, R11
	ADDQ      R8, BX
	DECQ      R14
	JNE       c2iTap
	VMOVUPS   Z0, K4, (DX)
	ADDQ      $64, DX
	INCQ      R15
	CMPQ      R15, R10
	JNE       c2iChunk
	ADDQ      R13, DI
	MOVQ      R9, AX
	IMULQ     R8, AX
	ADDQ      AX, SI
	DECQ      R12
	JNE       c2iChannel
	VZEROUPPER
	RET
