//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// maxPoolRowAVX512 pools one output row of 2×2 windows, 16 at a time (maxpool_amd64.s).
//
//go:noescape
func maxPoolRowAVX512(r0, r1, y *float32, arg *int32, full int, outMask, in0Mask, in1Mask uint32, i0, w int32)

// poolRowAVX512 pools the output row yo/ao from input rows r0 and r1 (i0 is r0[0]'s index
// in x) with the AVX-512 kernel; the Go version's semantics, 16 windows per step.
func poolRowAVX512(r0, r1, yo []float32, ao []int32, i0, w int) {
	ow := len(yo)
	_, _, _ = r0[2*ow-1], r1[2*ow-1], ao[ow-1]
	t := uint(ow % 16)
	out := uint32(1)<<t - 1
	in := uint32(1)<<(2*t) - 1
	maxPoolRowAVX512(&r0[0], &r1[0], &yo[0], &ao[0], ow/16, out, in&0xffff, in>>16, int32(i0), int32(w))
}

// poolRowVersions lists the max-pool row kernels this CPU runs, fastest first.
func poolRowVersions() []poolRowVersion {
	vs := []poolRowVersion{}
	if cpu.X86.HasAVX512F {
		vs = append(vs, poolRowVersion{"avx512", poolRowAVX512})
	}
	return append(vs, poolRowVersion{"go", poolRowGo})
}
