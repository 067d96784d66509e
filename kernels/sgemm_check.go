package kernels

import "fmt"

// checkSgemm validates the sizes, leading dimensions and slice lengths of a row-major SGEMM
// call and says which operand is wrong and why.
func checkSgemm(transA, transB bool, m, n, k int, a []float32, lda int,
	b []float32, ldb int, c []float32, ldc int) error {
	if m < 0 || n < 0 || k < 0 {
		return fmt.Errorf("sgemm m=%d n=%d k=%d: negative size: %w", m, n, k, ErrShape)
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	if err := checkMatrix("a", ar, ac, a, lda); err != nil {
		return err
	}
	if err := checkMatrix("b", br, bc, b, ldb); err != nil {
		return err
	}
	return checkMatrix("c", m, n, c, ldc)
}

// checkMatrix validates one row-major rows×cols operand stored with leading dimension ld.
func checkMatrix(name string, rows, cols int, x []float32, ld int) error {
	if ld < max(1, cols) {
		return fmt.Errorf("sgemm operand %s: leading dimension %d < max(1, cols=%d): %w", name, ld, cols, ErrShape)
	}
	if rows == 0 || cols == 0 {
		return nil
	}
	if need := (rows-1)*ld + cols; len(x) < need {
		return fmt.Errorf("sgemm operand %s: %d×%d with ld=%d needs %d elements, has %d: %w",
			name, rows, cols, ld, need, len(x), ErrShape)
	}
	return nil
}
