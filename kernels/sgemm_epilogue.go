package kernels

import "fmt"

// An Epilogue is element-wise work on C that Sgemm does on each tile of C as soon as the
// tile is complete, on the goroutine that computed it, while the tile is still in cache:
// a layer's bias and activation, or the ReLU mask of a gradient. Before, each was a
// separate serial pass over C after the product, with the other threads waiting.
//
// Apply is called once for every element of C, on tiles whose bounds depend on the
// thread count, so it must compute each element from that element alone: then results
// do not depend on how C was split.
type Epilogue interface {
	Apply(c []float32, ldc, m0, m1, n0, n1 int)
}

// SgemmThen is Sgemm followed by ep on every element of C, tile by tile (ep may be nil).
func SgemmThen(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int, ep Epilogue) {
	sgemmThreads(Threads(), CutAuto, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep)
}

// SgemmCut is SgemmThen with C divided among the threads as cut says.
func SgemmCut(cut Cut, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int, ep Epilogue) {
	sgemmThreads(Threads(), cut, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep)
}

// BiasActivationEpilogue adds Bias[j] to column j of C and, with ReLU, clamps as
// BiasActivation does: the dense layers' forward epilogue.
type BiasActivationEpilogue struct {
	Bias []float32
	ReLU bool
}

func (e *BiasActivationEpilogue) Apply(c []float32, ldc, m0, m1, n0, n1 int) {
	if m1 > m0 {
		rowKernels.biasTile(c[m0*ldc+n0:], ldc, m1-m0, e.Bias[n0:n1:n1], e.ReLU)
	}
}

// ReLUMaskEpilogue zeroes C where the ReLU output Y (rows of LDY values) is not
// positive, as ReLUBackward(Y, C, C) does: the gradient through a ReLU, applied to the
// product that computes the gradient of its output.
type ReLUMaskEpilogue struct {
	Y   []float32
	LDY int
}

func (e *ReLUMaskEpilogue) Apply(c []float32, ldc, m0, m1, n0, n1 int) {
	if m1 > m0 {
		rowKernels.reluMaskTile(e.Y[m0*e.LDY+n0:], e.LDY, c[m0*ldc+n0:], ldc, m1-m0, n1-n0)
	}
}

// ColumnSumsEpilogue runs Then (if any) on each tile and then writes Sums[j], for the
// tile's columns j, as ColumnSums does: a dense layer's bias gradient, summed from the
// input-gradient product's tiles while they are in cache instead of in a pass that
// reads dZ back (5.3 µs for the MLP's 128×256 on one core, half of it in the other
// core's cache). It needs every tile to hold whole columns, rows 0 to Rows: use it with
// CutColumns, or on a product small enough to be one tile; it panics on a tile that
// holds part of a column.
type ColumnSumsEpilogue struct {
	Then Epilogue
	Sums []float32
	Rows int
}

func (e *ColumnSumsEpilogue) Apply(c []float32, ldc, m0, m1, n0, n1 int) {
	if e.Then != nil {
		e.Then.Apply(c, ldc, m0, m1, n0, n1)
	}
	if m0 != 0 || m1 != e.Rows {
		panic(fmt.Errorf("column sums of a tile of rows %d to %d, want whole columns of %d rows (cut C into columns): %w", m0, m1, e.Rows, ErrShape))
	}
	rowKernels.columnSumsTile(c[n0:], ldc, e.Rows, e.Sums[n0:n1:n1])
}
