//go:build amd64 && !purego

package kernels

import (
	"math/bits"

	"golang.org/x/sys/cpu"
)

// convRowWeightFirstAVX512 and convRowInputFirstAVX512 are convDirectRow's kernels
// (conv2d_direct_amd64.s), with the multiply-add operand order of the SGEMM's 8×32 and
// two-vector edge kernels, and of its one-vector edge kernels.
//
//go:noescape
func convRowWeightFirstAVX512(x, taps *float32, ntaps int, wt *float32, bias bool, groups int, y *float32, ldy int, outMask uint32)

//go:noescape
func convRowInputFirstAVX512(x, taps *float32, ntaps int, wt *float32, bias bool, groups int, y *float32, ldy int, outMask uint32)

func init() {
	if cpu.X86.HasAVX512F && bestKernel.family == "fma" {
		convDirectRow = convRowAVX512
	}
}

// convRowAVX512 checks the slices the kernel reads and writes, then calls it.
func convRowAVX512(weightFirst bool, x, taps, wt []float32, ntaps int, bias bool, k int, y []float32, ldy int, outMask uint32) {
	kk := ntaps
	if bias {
		kk++
	}
	_, _ = taps[2*ntaps-1], wt[k*kk-1]
	_ = y[(k-1)*ldy+31-bits.LeadingZeros32(outMask)]
	f := convRowInputFirstAVX512
	if weightFirst {
		f = convRowWeightFirstAVX512
	}
	f(&x[0], &taps[0], ntaps, &wt[0], bias, k/8, &y[0], ldy, outMask)
}
