package kernels

// A product with one output column (logistic regression's forward, X·wᵀ) fills one lane
// of 16 in each of the micro-kernel's multiply-adds: 128×1×30 took 3,840 of them, as many
// as it has products (1.3 µs on Zen 4, where OpenBLAS takes 1.4; this path takes 0.47-0.63).
// gemvColumn transposes A, 64 rows at a time, so that one multiply-add covers 16 rows, and
// computes each row with exactly the micro-kernels' arithmetic: the same K blocks, the
// same chain, the same operand order (so even which NaN survives is theirs) and the same
// alpha and beta steps. TestGemvColumnMatchesKernels holds it to the kernels bit for bit.

// gemvColumn computes C (m×1, ldc 1) = alpha·A·b + beta·C for a row-major A (lda) and b
// (k values ldb apart); nil where the CPU lacks the kernel.
var gemvColumn func(m, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32)

// gemvFits reports whether Sgemm hands the product to gemvColumn: one output column stored
// contiguously, A not transposed, no epilogue, and small enough to stay on one goroutine
// (where the split would not matter anyway).
func gemvFits(transA bool, m, n, k, ldc int, ep Epilogue) bool {
	return gemvColumn != nil && n == 1 && !transA && (ldc == 1 || m == 1) && ep == nil && m*k < minParallelWork
}
