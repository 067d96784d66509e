//go:build amd64 && !purego

package kernels

import (
	"math"
	"math/bits"

	"golang.org/x/sys/cpu"
)

// convPoolRowAVX512 and splitRowsAVX512 are convPoolRow's and splitRows' kernels
// (conv2d_pool_direct_amd64.s).
//
//go:noescape
func convPoolRowAVX512(x, offs *float32, ntaps int, wt *float32, bias bool, k, rowBytes int, y *float32, arg *int32, ldp, idx, ldi, ow int, outMask uint32)

//go:noescape
func splitRowsAVX512(x *float32, rows, rowXBytes int, masks *float32, chunks, pad int, dst *float32, dstRowBytes int)

func init() {
	if cpu.X86.HasAVX512F && bestKernel.family == "fma" {
		convPoolRow, splitRows = convPoolRowChecked, splitRowsChecked
	}
}

// convPoolRowChecked checks what the kernel reads and writes, then calls it. Its loads
// reach 16 values past the last tap's offsets (the largest) in the pair's second row; its
// stores, channel k−1's last output lane.
func convPoolRowChecked(x, offs, wt []float32, bias bool, k, rowLen int, y []float32, arg []int32, ldp, idx, ldi, ow int, outMask uint32) {
	ntaps := len(offs) / 2
	kk := ntaps
	if bias {
		kk++
	}
	groups := (k + poolDirectGroup - 1) / poolDirectGroup
	_ = wt[groups*poolDirectGroup*kk-1]
	last := max(int32(math.Float32bits(offs[2*ntaps-2])), int32(math.Float32bits(offs[2*ntaps-1]))) / 4
	_ = x[int(last)+rowLen+poolDirectWindows-1]
	lane := 31 - bits.LeadingZeros32(outMask)
	_, _ = y[(k-1)*ldp+lane], arg[(k-1)*ldp+lane]
	convPoolRowAVX512(&x[0], &offs[0], ntaps, &wt[0], bias, k, 4*rowLen, &y[0], &arg[0], ldp, idx, ldi, ow, outMask)
}

// splitRowsChecked checks what the kernel writes, then calls it; its loads stay inside
// x's rows by their masks.
func splitRowsChecked(x []float32, rows, rowX int, masks []float32, pad int, dst []float32, dstRow int) {
	_ = x[rows*rowX-1]
	_ = dst[rows*dstRow-1]
	_ = masks[dstRow/16-1]
	splitRowsAVX512(&x[0], rows, 4*rowX, &masks[0], dstRow/32, pad, &dst[0], 4*dstRow)
}
