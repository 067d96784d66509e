//go:build amd64 && !purego

package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// transpose16AVX512 (sgemm_kernel_amd64.s, generated) sets dst[p*ldd+r] = src[r*lds+p] for
// r < 16 and p < 16·blocks with AVX-512 shuffles.
//
//go:noescape
func transpose16AVX512(dst *float32, ldd int, src *float32, lds int, blocks int)

// transpose16 is transpose16Checked, or nil without AVX-512.
var transpose16 = func() func(dst []float32, ldd int, src []float32, lds int, blocks int) {
	if !cpu.X86.HasAVX512F {
		return nil
	}
	return transpose16Checked
}()

// transpose16Checked is transpose16AVX512 with the slice bounds checked.
func transpose16Checked(dst []float32, ldd int, src []float32, lds int, blocks int) {
	if blocks == 0 {
		return
	}
	_, _ = dst[(16*blocks-1)*ldd+15], src[15*lds+16*blocks-1]
	transpose16AVX512(unsafe.SliceData(dst), ldd, unsafe.SliceData(src), lds, blocks)
}
