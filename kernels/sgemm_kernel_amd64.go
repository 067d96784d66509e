//go:build amd64 && !purego

package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

//go:generate go run ./internal/asmgen -out sgemm_kernel_amd64.s

// Assembly micro-kernels (sgemm_kernel_amd64.s, generated). C gets alpha*A·B + beta*C for one tile.
//
//go:noescape
func sgemmKernel8x32AVX512(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernel6x16AVX2(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32)

var (
	avx512Kernel = microKernel{name: "avx512", family: "fma", mr: 8, nr: 32, kc: 256, mc: 128, nc: 2048,
		fn: kernel8x32AVX512, edge: edgeAVX512}
	avx512NarrowKernel = microKernel{name: "avx512n", family: "fma", mr: 16, nr: 16, kc: 256, mc: 128, nc: 2048,
		fn: kernel16x16AVX512, edge: edgeAVX512}
	avx2Kernel = microKernel{name: "avx2", family: "fma", mr: 6, nr: 16, kc: 256, mc: 120, nc: 2048, fn: kernel6x16AVX2}
)

// kernel8x32AVX512 checks the slice bounds once and calls the AVX-512 kernel.
func kernel8x32AVX512(kc int, a []float32, rsa, ksa int, b []float32, ksb int, c []float32, ldc int, alpha, beta float32) {
	_, _ = a[7*rsa+(kc-1)*ksa], b[(kc-1)*ksb+31]
	_ = c[7*ldc+31]
	sgemmKernel8x32AVX512(kc, unsafe.SliceData(a), rsa, ksa, unsafe.SliceData(b), ksb, unsafe.SliceData(c), ldc, alpha, beta)
}

// kernel6x16AVX2 checks the slice bounds once and calls the AVX2+FMA kernel.
func kernel6x16AVX2(kc int, a []float32, rsa, ksa int, b []float32, ksb int, c []float32, ldc int, alpha, beta float32) {
	_, _ = a[5*rsa+(kc-1)*ksa], b[(kc-1)*ksb+15]
	_ = c[5*ldc+15]
	sgemmKernel6x16AVX2(kc, unsafe.SliceData(a), rsa, ksa, unsafe.SliceData(b), ksb, unsafe.SliceData(c), ldc, alpha, beta)
}

// availableKernels lists the versions this CPU runs, fastest first.
func availableKernels() []microKernel {
	var ks []microKernel
	if cpu.X86.HasAVX512F {
		ks = append(ks, avx512Kernel, avx512NarrowKernel)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, avx2Kernel)
	}
	return append(ks, genericKernel)
}
