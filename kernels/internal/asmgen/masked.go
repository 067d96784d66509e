package main

import (
	"bytes"
	"fmt"
)

// maskedSpec is one AVX-512 kernel for a tile of rows×(nvec·16) with the columns cut by an
// opmask: K1 (and K2) select the columns B loads, C loads and C stores touch, so a partial
// tile is computed in place, without a scratch tile or zero-padded panels. Every element
// gets the arithmetic of the full kernels (one FMA per k in k order, then alpha and beta
// alike), so results are bit-identical to theirs.
type maskedSpec struct{ rows, nvec int }

// maskedSpecs are the row counts of the 8×32 kernel's edges with two and one vectors, and
// the 16×16 kernel's, whose rows reach 16.
func maskedSpecs() []maskedSpec {
	var s []maskedSpec
	for r := 1; r <= 8; r++ {
		s = append(s, maskedSpec{r, 2})
	}
	for r := 1; r <= 16; r++ {
		s = append(s, maskedSpec{r, 1})
	}
	return s
}

func (s maskedSpec) name() string { return fmt.Sprintf("sgemmAVX512R%dV%d", s.rows, s.nvec) }

// maskedRowAddr addresses A[r][p] for r < 16: rows 0–7 from AX = &A[0][p], rows 8–15 from
// SI = &A[8][p], with R11 = rsa, R12 = 3·rsa, R13 = 5·rsa and DI = 7·rsa in bytes.
func maskedRowAddr(r int) string {
	base := "AX"
	if r >= 8 {
		base = "SI"
	}
	return fmt.Sprintf([]string{"(%s)", "(%s)(R11*1)", "(%s)(R11*2)", "(%s)(R12*1)", "(%s)(R11*4)",
		"(%s)(R13*1)", "(%s)(R12*2)", "(%s)(DI*1)"}[r%8], base)
}

func (s maskedSpec) write(b *bytes.Buffer) {
	o := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	acc := func(r, v int) string { return fmt.Sprintf("Z%d", r*s.nvec+v) }
	bregs := []string{"Z16", "Z17"}
	masks := []string{"K1", "K2"}
	o("// func %s(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32, mask uint32)", s.name())
	o("// C[0:%d][j] = alpha * A·B + beta*C for the columns j < %d whose bit is set in mask.", s.rows, s.nvec*16)
	o("TEXT ·%s(SB), NOSPLIT, $0-76", s.name())
	o("\tMOVQ kc+0(FP), CX")
	o("\tMOVQ a+8(FP), AX")
	o("\tMOVQ rsa+16(FP), R11")
	o("\tSHLQ $2, R11")
	o("\tMOVQ ksa+24(FP), R10")
	o("\tSHLQ $2, R10")
	o("\tMOVQ b+32(FP), BX")
	o("\tMOVQ ksb+40(FP), R9")
	o("\tSHLQ $2, R9")
	o("\tMOVQ c+48(FP), DX")
	o("\tMOVQ ldc+56(FP), R8")
	o("\tSHLQ $2, R8")
	o("\tMOVL mask+72(FP), R12")
	o("\tKMOVW R12, K1")
	if s.nvec > 1 {
		o("\tSHRL $16, R12")
		o("\tKMOVW R12, K2")
	}
	o("\tLEAQ (R11)(R11*2), R12")
	o("\tLEAQ (R11)(R11*4), R13")
	o("\tLEAQ (R12)(R11*4), DI")
	if s.rows > 8 {
		o("\tLEAQ (AX)(R11*8), SI")
	}
	for r := range s.rows {
		for v := range s.nvec {
			o("\tVPXORD %s, %s, %s", acc(r, v), acc(r, v), acc(r, v))
		}
	}
	step := func() {
		for v := range s.nvec {
			o("\tVMOVUPS.Z %d(BX), %s, %s", v*64, masks[v], bregs[v])
		}
		for r := range s.rows {
			addr := maskedRowAddr(r)
			if s.nvec == 1 {
				o("\tVFMADD231PS.BCST %s, %s, %s", addr, bregs[0], acc(r, 0))
				continue
			}
			bc := fmt.Sprintf("Z%d", 18+r%8)
			o("\tVBROADCASTSS %s, %s", addr, bc)
			for v := range s.nvec {
				o("\tVFMADD231PS %s, %s, %s", bregs[v], bc, acc(r, v))
			}
		}
		o("\tADDQ R10, AX")
		if s.rows > 8 {
			o("\tADDQ R10, SI")
		}
		o("\tADDQ R9, BX")
	}
	o("\tSUBQ $%d, CX", unroll)
	o("\tJLT tail")
	o("loop:")
	for range unroll {
		step()
	}
	o("\tSUBQ $%d, CX", unroll)
	o("\tJGE loop")
	o("tail:")
	o("\tADDQ $%d, CX", unroll)
	o("\tJEQ store")
	o("tailloop:")
	step()
	o("\tDECQ CX")
	o("\tJNE tailloop")
	o("store:")
	o("\tVBROADCASTSS alpha+64(FP), Z30")
	for r := range s.rows {
		for v := range s.nvec {
			o("\tVMULPS Z30, %s, %s", acc(r, v), acc(r, v))
		}
	}
	o("\tMOVL beta+68(FP), R12")
	o("\tSHLL $1, R12") // drops the sign bit: +0 and -0 both mean zero
	o("\tJEQ storezero")
	o("\tVBROADCASTSS beta+68(FP), Z31")
	s.stores(o, acc, masks, true)
	o("storezero:")
	s.stores(o, acc, masks, false)
}

// stores writes the tile's selected columns to C row by row, adding beta*C first when withBeta.
func (s maskedSpec) stores(o func(string, ...any), acc func(r, v int) string, masks []string, withBeta bool) {
	for r := range s.rows {
		for v := range s.nvec {
			if withBeta {
				o("\tVFMADD231PS %d(DX), Z31, %s, %s", v*64, masks[v], acc(r, v))
			}
			o("\tVMOVUPS %s, %s, %d(DX)", acc(r, v), masks[v], v*64)
		}
		if r < s.rows-1 {
			o("\tADDQ R8, DX")
		}
	}
	o("\tVZEROUPPER")
	o("\tRET")
}
