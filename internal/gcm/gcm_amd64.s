#include "textflag.h"
#include "go_asm.h"

// Byte reversal of each 128-bit lane (VPSHUFB mask): blocks to the reflected
// field representation and counter blocks to little-endian integers.
DATA ·byteReverse+0(SB)/8, $0x08090a0b0c0d0e0f
DATA ·byteReverse+8(SB)/8, $0x0001020304050607
GLOBL ·byteReverse(SB), RODATA|NOPTR, $16

// The reduction constant (field.go's reducer in the high qword, 1 in the low).
DATA ·reduction+0(SB)/8, $0x0000000000000001
DATA ·reduction+8(SB)/8, $0xc200000000000000
GLOBL ·reduction(SB), RODATA|NOPTR, $16

// Counter offsets of the four lanes of a vector, and the step between vectors.
DATA ·laneCounters+0(SB)/8, $0
DATA ·laneCounters+8(SB)/8, $0
DATA ·laneCounters+16(SB)/8, $1
DATA ·laneCounters+24(SB)/8, $0
DATA ·laneCounters+32(SB)/8, $2
DATA ·laneCounters+40(SB)/8, $0
DATA ·laneCounters+48(SB)/8, $3
DATA ·laneCounters+56(SB)/8, $0
GLOBL ·laneCounters(SB), RODATA|NOPTR, $64

DATA ·counterStep+0(SB)/8, $4
DATA ·counterStep+8(SB)/8, $0
GLOBL ·counterStep(SB), RODATA|NOPTR, $16

// Register conventions of the 16-block loops: Z0 the next four counter blocks
// (little-endian, see laneCounters), Z1-Z4 the AES blocks, Z5-Z8 the blocks being
// hashed, Z9 (X9) or Z0 the GHASH state, Z10-Z16 GHASH scratch, Z31 byteReverse,
// X30 the reduction constant; BX the powers and DX the Karatsuba middles.

// COUNTER_LOAD reads the counter block at ctr into Z0 as four little-endian lanes
// of consecutive counters (ctr+0 … ctr+3), with the byte-reversal mask in Z31 and
// the step of four counters in step.
#define COUNTER_LOAD(ctr, step) \
	VBROADCASTI32X4 ·byteReverse(SB), Z31 \
	VBROADCASTI32X4 ·counterStep(SB), step \
	VBROADCASTI32X4 ctr, Z0 \
	VPSHUFB         Z31, Z0, Z0 \
	VPADDD          ·laneCounters(SB), Z0, Z0

// ROUND_KEYS_1_9 loads the broadcast round keys 1-9 from keys (vectorKeys_rk4) into
// Z17-Z25, where both loops keep them.
#define ROUND_KEYS_1_9(keys) \
	VMOVDQU64 64(keys), Z17 \
	VMOVDQU64 128(keys), Z18 \
	VMOVDQU64 192(keys), Z19 \
	VMOVDQU64 256(keys), Z20 \
	VMOVDQU64 320(keys), Z21 \
	VMOVDQU64 384(keys), Z22 \
	VMOVDQU64 448(keys), Z23 \
	VMOVDQU64 512(keys), Z24 \
	VMOVDQU64 576(keys), Z25

// COUNTER_SAVE writes the next unused counter block, lane 0 of Z0, back to ctr.
#define COUNTER_SAVE(ctr) \
	VPSHUFB X31, X0, X0 \
	VMOVDQU X0, ctr

// COUNTER_BLOCKS puts the next 16 counter blocks, big-endian again and XORed with
// the first round key rk0, in Z1-Z4, and steps Z0 by step (counterStep).
#define COUNTER_BLOCKS(step, rk0) \
	VPSHUFB Z31, Z0, Z1 \
	VPADDD  step, Z0, Z0 \
	VPSHUFB Z31, Z0, Z2 \
	VPADDD  step, Z0, Z0 \
	VPSHUFB Z31, Z0, Z3 \
	VPADDD  step, Z0, Z0 \
	VPSHUFB Z31, Z0, Z4 \
	VPADDD  step, Z0, Z0 \
	VPXORQ  rk0, Z1, Z1 \
	VPXORQ  rk0, Z2, Z2 \
	VPXORQ  rk0, Z3, Z3 \
	VPXORQ  rk0, Z4, Z4

#define ROUND(k) \
	VAESENC k, Z1, Z1 \
	VAESENC k, Z2, Z2 \
	VAESENC k, Z3, Z3 \
	VAESENC k, Z4, Z4

#define LASTROUND(k) \
	VAESENCLAST k, Z1, Z1 \
	VAESENCLAST k, Z2, Z2 \
	VAESENCLAST k, Z3, Z3 \
	VAESENCLAST k, Z4, Z4

// XOR_STORE XORs the keystream in Z1-Z4 with 256 bytes at SI into DI, and
// advances both.
#define XOR_STORE \
	VPXORQ    0(SI), Z1, Z1 \
	VPXORQ    64(SI), Z2, Z2 \
	VPXORQ    128(SI), Z3, Z3 \
	VPXORQ    192(SI), Z4, Z4 \
	VMOVDQU64 Z1, 0(DI) \
	VMOVDQU64 Z2, 64(DI) \
	VMOVDQU64 Z3, 128(DI) \
	VMOVDQU64 Z4, 192(DI) \
	ADDQ      $256, SI \
	ADDQ      $256, DI

// LOAD_HASHED loads the 16 blocks at ptr into Z5-Z8 in the reflected
// representation and adds the state x (a register whose upper lanes are zero)
// into the first.
#define LOAD_HASHED(ptr, x) \
	VMOVDQU64 0(ptr), Z5 \
	VMOVDQU64 64(ptr), Z6 \
	VMOVDQU64 128(ptr), Z7 \
	VMOVDQU64 192(ptr), Z8 \
	VPSHUFB   Z31, Z5, Z5 \
	VPSHUFB   Z31, Z6, Z6 \
	VPSHUFB   Z31, Z7, Z7 \
	VPSHUFB   Z31, Z8, Z8 \
	VPXORQ    x, Z5, Z5

// GHASH_FIRST and GHASH_MORE multiply the four blocks in d by the powers at
// off(BX), Karatsuba style (lo·lo, hi·hi and (lo⊕hi)·(lo⊕hi), the middle factors
// at off(DX)), into Z10 (lo), Z11 (hi) and Z12 (middle): FIRST sets them, MORE adds.
#define GHASH_FIRST(d, off) \
	VPSHUFD    $0x4e, d, Z13 \
	VPXORQ     d, Z13, Z13 \
	VPCLMULQDQ $0x00, off(BX), d, Z10 \
	VPCLMULQDQ $0x11, off(BX), d, Z11 \
	VPCLMULQDQ $0x00, off(DX), Z13, Z12

#define GHASH_MORE(d, off) \
	VPSHUFD    $0x4e, d, Z16 \
	VPXORQ     d, Z16, Z16 \
	VPCLMULQDQ $0x00, off(BX), d, Z13 \
	VPCLMULQDQ $0x11, off(BX), d, Z14 \
	VPCLMULQDQ $0x00, off(DX), Z16, Z15 \
	VPXORQ     Z13, Z10, Z10 \
	VPXORQ     Z14, Z11, Z11 \
	VPXORQ     Z15, Z12, Z12

// SUM_LANES_HALF and SUM_LANES_QUARTER sum the four lanes of Z10-Z12 into X10-X12;
// the second also recovers the Karatsuba middle term (products are linear, so it
// can wait until after the sums).
#define SUM_LANES_HALF \
	VEXTRACTI64X4 $1, Z10, Y13 \
	VEXTRACTI64X4 $1, Z11, Y14 \
	VEXTRACTI64X4 $1, Z12, Y15 \
	VPXORQ        Y13, Y10, Y10 \
	VPXORQ        Y14, Y11, Y11 \
	VPXORQ        Y15, Y12, Y12

#define SUM_LANES_QUARTER \
	VEXTRACTI32X4 $1, Y10, X13 \
	VEXTRACTI32X4 $1, Y11, X14 \
	VEXTRACTI32X4 $1, Y12, X15 \
	VPXORQ        X13, X10, X10 \
	VPXORQ        X14, X11, X11 \
	VPTERNLOGD    $0x96, X15, X10, X12 \
	VPXORQ        X11, X12, X12

// REDUCE folds the 256-bit product lo ⊕ mi·x⁶⁴ ⊕ hi·x¹²⁸ (reflected) into hi,
// using poly (·reduction) and t as scratch (field.go's mul, after the products),
// in two folds that the stitched loop places between AES rounds.
#define REDUCE_FOLD(lo, mi, poly, t) \
	VPCLMULQDQ $0x10, poly, lo, t \
	VPSHUFD    $0x4e, lo, lo \
	VPTERNLOGD $0x96, t, lo, mi

#define REDUCE(lo, mi, hi, poly, t) \
	REDUCE_FOLD(lo, mi, poly, t) \
	REDUCE_FOLD(mi, hi, poly, t)

// func ctrAVX512(k *vectorKeys, ctr *[16]byte, dst, src *byte, n int)
// XORs n bytes (a multiple of 256) of src with the AES-CTR keystream from the
// counter block *ctr into dst, and leaves *ctr at the next unused block. Only the
// counter's last 32 bits count (inc32); the caller keeps a message below 2³²
// blocks.
TEXT ·ctrAVX512(SB), NOSPLIT, $0-40
	MOVQ k+0(FP), AX
	MOVQ ctr+8(FP), BX
	MOVQ dst+16(FP), DI
	MOVQ src+24(FP), SI
	MOVQ n+32(FP), CX
	MOVQ vectorKeys_rounds(AX), R8
	LEAQ vectorKeys_rk4(AX), AX

	COUNTER_LOAD((BX), Z15)

	VMOVDQU64 0(AX), Z16
	ROUND_KEYS_1_9(AX)
	VMOVDQU64 640(AX), Z26
	VMOVDQU64 704(AX), Z27
	VMOVDQU64 768(AX), Z28
	VMOVDQU64 832(AX), Z29
	VMOVDQU64 896(AX), Z30

	TESTQ CX, CX
	JZ    ctrDone

ctrLoop:
	COUNTER_BLOCKS(Z15, Z16)
	ROUND(Z17)
	ROUND(Z18)
	ROUND(Z19)
	ROUND(Z20)
	ROUND(Z21)
	ROUND(Z22)
	ROUND(Z23)
	ROUND(Z24)
	ROUND(Z25)
	CMPQ R8, $12
	JB   ctrLast10
	ROUND(Z26)
	ROUND(Z27)
	JE   ctrLast12
	ROUND(Z28)
	ROUND(Z29)
	LASTROUND(Z30)
	JMP  ctrXor

ctrLast12:
	LASTROUND(Z28)
	JMP ctrXor

ctrLast10:
	LASTROUND(Z26)

ctrXor:
	XOR_STORE
	SUBQ $256, CX
	JNZ  ctrLoop

ctrDone:
	COUNTER_SAVE((BX))
	VZEROUPPER
	RET

// func ghashAVX512(x *fieldElem, k *vectorKeys, src *byte, n int)
// Folds n bytes (a multiple of 256) of src into the GHASH state *x, sixteen
// blocks at a time: x' = (x ⊕ b₀)·H¹⁶ ⊕ b₁·H¹⁵ ⊕ … ⊕ b₁₅·H, with one reduction.
TEXT ·ghashAVX512(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), AX
	MOVQ k+8(FP), BX
	MOVQ src+16(FP), SI
	MOVQ n+24(FP), CX
	LEAQ vectorKeys_middles(BX), DX
	LEAQ vectorKeys_powers(BX), BX

	VBROADCASTI32X4 ·byteReverse(SB), Z31
	VMOVDQU64       ·reduction(SB), X30
	VMOVDQU         (AX), X9

	TESTQ CX, CX
	JZ    ghashDone

ghashLoop:
	LOAD_HASHED(SI, Z9)
	GHASH_FIRST(Z5, 0)
	GHASH_MORE(Z6, 64)
	GHASH_MORE(Z7, 128)
	GHASH_MORE(Z8, 192)
	SUM_LANES_HALF
	SUM_LANES_QUARTER
	REDUCE(X10, X12, X11, X30, X13)
	VMOVDQA64 X11, X9
	ADDQ      $256, SI
	SUBQ      $256, CX
	JNZ       ghashLoop

ghashDone:
	VMOVDQU X9, (AX)
	VZEROUPPER
	RET

// func ghashBlocks(x *fieldElem, key *fieldElem, src *byte, n int)
// Folds n bytes (a multiple of 16) of src into *x one block at a time: for the
// additional data, a message's last blocks and the lengths block.
TEXT ·ghashBlocks(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), AX
	MOVQ key+8(FP), BX
	MOVQ src+16(FP), SI
	MOVQ n+24(FP), CX

	VMOVDQU ·byteReverse(SB), X9
	VMOVDQU ·reduction(SB), X8
	VMOVDQU (AX), X0
	VMOVDQU (BX), X5

	TESTQ CX, CX
	JZ    blocksDone

blocksLoop:
	VMOVDQU    (SI), X1
	VPSHUFB    X9, X1, X1
	VPXOR      X0, X1, X1
	VPCLMULQDQ $0x00, X5, X1, X2
	VPCLMULQDQ $0x11, X5, X1, X0
	VPCLMULQDQ $0x01, X5, X1, X3
	VPCLMULQDQ $0x10, X5, X1, X4
	VPXOR      X4, X3, X3
	REDUCE(X2, X3, X0, X8, X4)
	ADDQ       $16, SI
	SUBQ       $16, CX
	JNZ        blocksLoop

blocksDone:
	VMOVDQU X0, (AX)
	VZEROUPPER
	RET

// func ctrHashAVX512(k *vectorKeys, ctr *[16]byte, x *fieldElem, dst, src, hashed *byte, n int)
// Encrypts n bytes (a multiple of 256) of src into dst in CTR mode, as
// ctrAVX512, and in the same loop folds n bytes from hashed into the GHASH
// state, as ghashAVX512: the GHASH steps sit between the AES rounds so that each
// hides the other's latency. Opening hashes src itself; sealing hashes the
// ciphertext one step behind (hashed = dst-256).
TEXT ·ctrHashAVX512(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), AX
	MOVQ ctr+8(FP), R10
	MOVQ x+16(FP), R11
	MOVQ dst+24(FP), DI
	MOVQ src+32(FP), SI
	MOVQ hashed+40(FP), R9
	MOVQ n+48(FP), CX
	MOVQ vectorKeys_rounds(AX), R8
	LEAQ vectorKeys_powers(AX), BX
	LEAQ vectorKeys_middles(AX), DX
	LEAQ vectorKeys_rk4(AX), AX

	COUNTER_LOAD((R10), Z29)
	VMOVDQU64 ·reduction(SB), X30
	VMOVDQU   (R11), X9
	ROUND_KEYS_1_9(AX)
	VMOVDQU64 0(AX), Z26

	TESTQ CX, CX
	JZ    stitchDone

stitchLoop:
	COUNTER_BLOCKS(Z29, Z26)
	LOAD_HASHED(R9, Z9)
	ROUND(Z17)
	GHASH_FIRST(Z5, 0)
	ROUND(Z18)
	GHASH_MORE(Z6, 64)
	ROUND(Z19)
	GHASH_MORE(Z7, 128)
	ROUND(Z20)
	GHASH_MORE(Z8, 192)
	ROUND(Z21)
	SUM_LANES_HALF
	ROUND(Z22)
	SUM_LANES_QUARTER
	ROUND(Z23)
	REDUCE_FOLD(X10, X12, X30, X13)
	ROUND(Z24)
	REDUCE_FOLD(X12, X11, X30, X13)
	VMOVDQA64 X11, X9
	ROUND(Z25)
	// Rounds 10-13 and the last: the keys not held in registers (Z27, Z28 free).
	CMPQ R8, $12
	JB   stitchLast10
	VMOVDQU64 640(AX), Z27
	VMOVDQU64 704(AX), Z28
	ROUND(Z27)
	ROUND(Z28)
	JE   stitchLast12
	VMOVDQU64 768(AX), Z27
	VMOVDQU64 832(AX), Z28
	ROUND(Z27)
	ROUND(Z28)
	VMOVDQU64 896(AX), Z27
	LASTROUND(Z27)
	JMP  stitchXor

stitchLast12:
	VMOVDQU64 768(AX), Z27
	LASTROUND(Z27)
	JMP stitchXor

stitchLast10:
	VMOVDQU64 640(AX), Z27
	LASTROUND(Z27)

stitchXor:
	XOR_STORE
	ADDQ $256, R9
	SUBQ $256, CX
	JNZ  stitchLoop

stitchDone:
	COUNTER_SAVE((R10))
	VMOVDQU X9, (R11)
	VZEROUPPER
	RET

// func encryptBlock(k *vectorKeys, dst, src *[16]byte)
// One block of AES: the tag's mask E(K, J0).
TEXT ·encryptBlock(SB), NOSPLIT, $0-24
	MOVQ    k+0(FP), AX
	MOVQ    dst+8(FP), DI
	MOVQ    src+16(FP), SI
	MOVQ    vectorKeys_rounds(AX), R8
	LEAQ    vectorKeys_rk4(AX), AX
	VMOVDQU (SI), X0
	VPXOR   (AX), X0, X0
	MOVQ    $1, CX

blockRound:
	ADDQ    $64, AX
	VAESENC (AX), X0, X0
	INCQ    CX
	CMPQ    CX, R8
	JB      blockRound
	VAESENCLAST 64(AX), X0, X0
	VMOVDQU X0, (DI)
	RET
