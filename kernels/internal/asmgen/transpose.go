package main

import (
	"bytes"
	"fmt"
)

// writeTranspose writes transpose16AVX512, which transposes 16 rows at a time (packing a
// transposed operand, and kernels' other transposes): it moves data without arithmetic,
// so only speed depends on it. The 16×16 transpose
// is the usual three rounds of AVX-512 shuffles (pairs of elements, then of 64-bit pairs,
// then two rounds of 128-bit lanes).
func writeTranspose(b *bytes.Buffer) {
	o := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	r := func(i int) string { return fmt.Sprintf("Z%d", i) }
	t := func(i int) string { return fmt.Sprintf("Z%d", 16+i) }
	o("// func transpose16AVX512(dst *float32, ldd int, src *float32, lds int, blocks int)")
	o("// dst[p*ldd+r] = src[r*lds+p] for r < 16 and p < 16·blocks.")
	o("TEXT ·transpose16AVX512(SB), NOSPLIT, $0-40")
	o("\tMOVQ dst+0(FP), DX")
	o("\tMOVQ ldd+8(FP), R8")
	o("\tSHLQ $2, R8")
	o("\tMOVQ src+16(FP), AX")
	o("\tMOVQ lds+24(FP), R11")
	o("\tSHLQ $2, R11")
	o("\tMOVQ blocks+32(FP), CX")
	o("\tLEAQ (R11)(R11*2), R12")
	o("\tLEAQ (R11)(R11*4), R13")
	o("\tLEAQ (R12)(R11*4), DI")
	o("\tLEAQ (AX)(R11*8), SI")
	o("\tLEAQ (R8)(R8*2), R9")
	o("\tLEAQ (R8)(R8*4), R10")
	o("\tLEAQ (R9)(R8*4), BX")
	o("\tTESTQ CX, CX")
	o("\tJEQ done")
	o("loop:")
	for i := range 16 {
		o("\tVMOVUPS %s, %s", maskedRowAddr(i), r(i))
	}
	// Round 1: t[2k], t[2k+1] interleave the 32-bit elements of rows 2k and 2k+1.
	for k := 0; k < 16; k += 2 {
		o("\tVUNPCKLPS %s, %s, %s", r(k+1), r(k), t(k))
		o("\tVUNPCKHPS %s, %s, %s", r(k+1), r(k), t(k+1))
	}
	// Round 2: 64-bit pairs of t[4k..4k+3] give four rows holding 4×4 transposed blocks.
	for k := 0; k < 16; k += 4 {
		o("\tVSHUFPS $0x44, %s, %s, %s", t(k+2), t(k), r(k))
		o("\tVSHUFPS $0xEE, %s, %s, %s", t(k+2), t(k), r(k+1))
		o("\tVSHUFPS $0x44, %s, %s, %s", t(k+3), t(k+1), r(k+2))
		o("\tVSHUFPS $0xEE, %s, %s, %s", t(k+3), t(k+1), r(k+3))
	}
	// Rounds 3 and 4: 128-bit lanes across groups of four, then of eight, rows.
	for h := 0; h < 16; h += 8 {
		for k := range 4 {
			o("\tVSHUFF32X4 $0x88, %s, %s, %s", r(h+k+4), r(h+k), t(h+k))
			o("\tVSHUFF32X4 $0xDD, %s, %s, %s", r(h+k+4), r(h+k), t(h+k+4))
		}
	}
	for k := range 8 {
		o("\tVSHUFF32X4 $0x88, %s, %s, %s", t(k+8), t(k), r(k))
		o("\tVSHUFF32X4 $0xDD, %s, %s, %s", t(k+8), t(k), r(k+8))
	}
	dstAddr := []string{"(DX)", "(DX)(R8*1)", "(DX)(R8*2)", "(DX)(R9*1)", "(DX)(R8*4)", "(DX)(R10*1)", "(DX)(R9*2)", "(DX)(BX*1)"}
	for i := range 16 {
		if i == 8 {
			o("\tLEAQ (DX)(R8*8), DX")
		}
		o("\tVMOVUPS %s, %s", r(i), dstAddr[i%8])
	}
	o("\tLEAQ (DX)(R8*8), DX")
	o("\tADDQ $64, AX")
	o("\tADDQ $64, SI")
	o("\tDECQ CX")
	o("\tJNE loop")
	o("done:")
	o("\tVZEROUPPER")
	o("\tRET")
}
