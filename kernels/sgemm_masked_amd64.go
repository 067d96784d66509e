//go:build amd64 && !purego

package kernels

import "unsafe"

// Masked AVX-512 kernels (sgemm_kernel_amd64.s, generated): sgemmAVX512R<rows>V<vectors>
// computes rows×(16·vectors) of C with only the columns set in mask loaded and stored, so a
// partial tile is computed in place with the arithmetic of a full one.

//go:noescape
func sgemmAVX512R1V2(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32, mask uint32)

//go:noescape
func sgemmAVX512R2V2(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32, mask uint32)

//go:noescape
func sgemmAVX512R3V2(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32, mask uint32)

//go:noescape
func sgemmAVX512R4V2(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32, mask uint32)

//go:noescape
func sgemmAVX512R5V2(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32, mask uint32)

//go:noescape
func sgemmAVX512R6V2(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32, mask uint32)

//go:noescape
func sgemmAVX512R7V2(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32, mask uint32)

//go:noescape
func sgemmAVX512R8V2(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32, mask uint32)

//go:noescape
func sgemmAVX512R1V1(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32, mask uint32)

//go:noescape
func sgemmAVX512R2V1(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32, mask uint32)

//go:noescape
func sgemmAVX512R3V1(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32, mask uint32)

//go:noescape
func sgemmAVX512R4V1(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32, mask uint32)

//go:noescape
func sgemmAVX512R5V1(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32, mask uint32)

//go:noescape
func sgemmAVX512R6V1(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32, mask uint32)

//go:noescape
func sgemmAVX512R7V1(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32, mask uint32)

//go:noescape
func sgemmAVX512R8V1(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32, mask uint32)

//go:noescape
func sgemmAVX512R9V1(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32, mask uint32)

//go:noescape
func sgemmAVX512R10V1(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32, mask uint32)

//go:noescape
func sgemmAVX512R11V1(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32, mask uint32)

//go:noescape
func sgemmAVX512R12V1(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32, mask uint32)

//go:noescape
func sgemmAVX512R13V1(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32, mask uint32)

//go:noescape
func sgemmAVX512R14V1(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32, mask uint32)

//go:noescape
func sgemmAVX512R15V1(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32, mask uint32)

//go:noescape
func sgemmAVX512R16V1(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32, mask uint32)

// maskedKernel is the signature of the masked kernels.
type maskedKernel func(kc int, a *float32, rsa, ksa int, b *float32, ksb int, c *float32, ldc int, alpha, beta float32, mask uint32)

// maskedV2 and maskedV1 are the masked kernels by row count (index rows-1) for tiles up to
// 32 and up to 16 columns wide.
var (
	maskedV2 = [8]maskedKernel{sgemmAVX512R1V2, sgemmAVX512R2V2, sgemmAVX512R3V2, sgemmAVX512R4V2, sgemmAVX512R5V2, sgemmAVX512R6V2, sgemmAVX512R7V2, sgemmAVX512R8V2}
	maskedV1 = [16]maskedKernel{sgemmAVX512R1V1, sgemmAVX512R2V1, sgemmAVX512R3V1, sgemmAVX512R4V1, sgemmAVX512R5V1, sgemmAVX512R6V1, sgemmAVX512R7V1, sgemmAVX512R8V1, sgemmAVX512R9V1, sgemmAVX512R10V1, sgemmAVX512R11V1, sgemmAVX512R12V1, sgemmAVX512R13V1, sgemmAVX512R14V1, sgemmAVX512R15V1, sgemmAVX512R16V1}
)

// edgeAVX512 computes a rows×cols tile (rows ≤ 16 when cols ≤ 16, else rows ≤ 8) with the
// masked kernel of that size, reading A, B and C only where the tile lies.
func edgeAVX512(rows, cols, kc int, a []float32, rsa, ksa int, b []float32, ksb int, c []float32, ldc int, alpha, beta float32) {
	_, _ = a[(rows-1)*rsa+(kc-1)*ksa], b[(kc-1)*ksb+cols-1]
	_ = c[(rows-1)*ldc+cols-1]
	mask := uint32(uint64(1)<<cols - 1)
	fn := maskedV1[rows-1]
	if cols > 16 {
		fn = maskedV2[rows-1]
	}
	fn(kc, unsafe.SliceData(a), rsa, ksa, unsafe.SliceData(b), ksb, unsafe.SliceData(c), ldc, alpha, beta, mask)
}

// kernel16x16AVX512 is the full tile of the narrow AVX-512 kernel: 16 rows of one vector,
// for products narrower than the 8×32 tile (N = 10 fills 10 of its 16 lanes, not 10 of 32).
func kernel16x16AVX512(kc int, a []float32, rsa, ksa int, b []float32, ksb int, c []float32, ldc int, alpha, beta float32) {
	edgeAVX512(16, 16, kc, a, rsa, ksa, b, ksb, c, ldc, alpha, beta)
}
