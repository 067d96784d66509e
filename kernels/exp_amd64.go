//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// expAVX512 computes math.Exp's ordinary path (see exp_amd64.s) for n values, n a
// multiple of 8.
//
//go:noescape
func expAVX512(dst, src *float64, n int)

// expVectorOK: math.Exp runs its FMA path wherever AVX and FMA are present, and the
// AVX-512 kernel repeats that path, so both must be there.
var expVectorOK = cpu.X86.HasAVX512F && cpu.X86.HasAVX && cpu.X86.HasFMA

// expVector computes the exponentials of the longest prefix of src that the vector
// kernel takes and returns its length.
func expVector(dst, src []float64) int {
	n := len(src) &^ 7
	if !expVectorOK || n == 0 {
		return 0
	}
	expAVX512(&dst[0], &src[0], n)
	return n
}
