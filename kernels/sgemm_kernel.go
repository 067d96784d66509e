package kernels

// microKernel is one version of the SGEMM inner kernel plus the blocking that suits it.
// fn computes C[0:mr][0:nr] = alpha * A·B + beta*C for an mr×kc A with A[r][p] at
// a[r*rsa+p*ksa] and a kc×nr B with B[p][j] at b[p*ksb+j]; beta == 0 must not read C.
// Strides let it read packed panels and the caller's matrices alike. kc, mc and nc are the
// cache-blocking sizes (mc a multiple of mr, nc of nr). Every kernel accumulates each element
// in k order, one product at a time, so kernels with the same K blocking agree bit for bit
// when they share the same multiply-add (fused in assembly, separate in Go). edge, when set,
// computes a partial rows×cols tile in place, reading A, B and C only inside it; without it
// partial tiles go through a scratch tile and zero-padded panels.
type microKernel struct {
	name       string
	family     string // kernels of one family give bit-identical results
	mr, nr     int
	kc, mc, nc int
	fn         func(kc int, a []float32, rsa, ksa int, b []float32, ksb int, c []float32, ldc int, alpha, beta float32)
	edge       func(rows, cols, kc int, a []float32, rsa, ksa int, b []float32, ksb int, c []float32, ldc int, alpha, beta float32)
}

// genericKernel is the pure-Go fallback for CPUs without AVX2+FMA.
var genericKernel = microKernel{name: "go", family: "go", mr: 4, nr: 4, kc: 256, mc: 128, nc: 2048, fn: kernel4x4Go}

// kernel4x4Go is the pure-Go micro-kernel: a 4×4 tile in 16 scalar accumulators.
func kernel4x4Go(kc int, a []float32, rsa, ksa int, b []float32, ksb int, c []float32, ldc int, alpha, beta float32) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	for p := range kc {
		ar := a[p*ksa:]
		a0, a1, a2, a3 := ar[0], ar[rsa], ar[2*rsa], ar[3*rsa]
		br := b[p*ksb : p*ksb+4]
		b0, b1, b2, b3 := br[0], br[1], br[2], br[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	acc := [4][4]float32{{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23}, {c30, c31, c32, c33}}
	for i := range 4 {
		row := c[i*ldc : i*ldc+4]
		for j := range 4 {
			if beta == 0 {
				row[j] = alpha * acc[i][j]
			} else {
				row[j] = alpha*acc[i][j] + beta*row[j]
			}
		}
	}
}
