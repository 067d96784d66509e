//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// sgemvColumnAVX512 computes 64 rows of a one-column product (sgemv_amd64.s).
//
//go:noescape
func sgemvColumnAVX512(kc int, at, b *float32, ldb int, c *float32, alpha, beta float32, rows uint64)

// gemvRows is how many rows sgemvColumnAVX512 computes at a time: four accumulator chains
// hide the multiply-add's latency.
const gemvRows = 64

func init() {
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && narrowKernel.family == "fma" {
		gemvColumn = gemvColumnAVX512
	}
}

// gemvColumnAVX512 is gemvColumn: A is transposed into the pack buffer 64 rows and one K
// block at a time, so that each vector multiply-add covers 16 rows of the column.
func gemvColumnAVX512(m, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32) {
	_, _, _ = a[(m-1)*lda+k-1], b[(k-1)*ldb], c[m-1]
	kcb := kBlock(k, narrowKernel.kc)
	buf := getBuf()
	defer putBuf(buf)
	if n := gemvRows * kcb; len(buf.a) < n {
		buf.a = make([]float32, n)
	}
	for i0 := 0; i0 < m; i0 += gemvRows {
		rows := min(gemvRows, m-i0)
		mask := uint64(1)<<rows - 1 // all ones for 64 rows: Go's 1<<64 is 0
		for pc := 0; pc < k; pc += kcb {
			kc := min(kcb, k-pc)
			at := buf.a[:gemvRows*kc]
			transposeBlock(at, gemvRows, a[i0*lda+pc:], lda, rows, kc)
			be := beta
			if pc > 0 {
				be = 1
			}
			sgemvColumnAVX512(kc, &at[0], &b[pc*ldb], ldb, &c[i0], alpha, be, mask)
		}
	}
}
