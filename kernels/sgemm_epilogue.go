package kernels

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
	bias := e.Bias[n0:n1:n1]
	for r := m0; r < m1; r++ {
		rowKernels.biasRow(c[r*ldc+n0:r*ldc+n1:r*ldc+n1], bias, e.ReLU)
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
	for r := m0; r < m1; r++ {
		row := c[r*ldc+n0 : r*ldc+n1 : r*ldc+n1]
		rowKernels.reluBackward(e.Y[r*e.LDY+n0:r*e.LDY+n1:r*e.LDY+n1], row, row)
	}
}
