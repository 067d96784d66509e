package kernels

// SgemmReference computes C = alpha*op(A)*op(B) + beta*C for row-major matrices with a plain
// triple loop. op(A) is m×k, op(B) is k×n, C is m×n; transA/transB select the transposes.
// It is the reference every fast version is tested against: slow, obvious, and like BLAS it
// ignores the old contents of C (including NaNs) when beta is zero.
func SgemmReference(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	if err := checkSgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc); err != nil {
		panic(err)
	}
	for i := range m {
		for j := range n {
			var sum float32
			for p := range k {
				sum += opAt(a, lda, transA, i, p) * opAt(b, ldb, transB, p, j)
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * sum
			} else {
				c[i*ldc+j] = alpha*sum + beta*c[i*ldc+j]
			}
		}
	}
}

// opAt returns op(X)[r][col] of a row-major X with leading dimension ld.
func opAt(x []float32, ld int, trans bool, r, col int) float32 {
	if trans {
		return x[col*ld+r]
	}
	return x[r*ld+col]
}
