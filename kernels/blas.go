package kernels

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// BLAS is gonum's pure-Go BLAS with Sgemm replaced by this package's fast, thread-count
// independent one. It satisfies blas.Float32, blas.Float64, blas.Complex64 and
// blas.Complex128, which is what gorgonia.Use and tensor.Use take.
type BLAS struct {
	gonum.Implementation
}

// Sgemm computes C = alpha*op(A)*op(B) + beta*C in gonum's row-major convention. It panics
// on a bad transpose flag or on sizes that do not fit the slices, as gonum's does.
func (BLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	Sgemm(isTrans(tA, "a"), isTrans(tB, "b"), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// isTrans maps a BLAS transpose flag of a real matrix to a bool.
func isTrans(t blas.Transpose, operand string) bool {
	switch t {
	case blas.NoTrans:
		return false
	case blas.Trans, blas.ConjTrans:
		return true
	}
	panic(fmt.Errorf("sgemm operand %s: transpose flag %d is not NoTrans, Trans or ConjTrans: %w", operand, t, ErrShape))
}
