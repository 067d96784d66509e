package kernels

// The element-wise epilogues and gradients of the dense layers. Each has a Go row
// function with the exact semantics and, on amd64, an AVX2 one that gives the same
// bits (no FMA, comparisons with the same NaN and −0 behaviour); the Go one handles
// every tail. Rows are processed in order, so sums never depend on the thread count.

// BiasActivation adds bias[j] to every row of y (rows of len(bias) values) and, when
// relu is set, clamps to max(v, 0) in the same pass — NaN and −0 become +0, as
// VMAXPS does. It is the dense layers' epilogue after their SGEMM.
func BiasActivation(y, bias []float32, relu bool) {
	n := len(bias)
	if n == 0 {
		return
	}
	for r := 0; r+n <= len(y); r += n {
		rowKernels.biasRow(y[r:r+n:r+n], bias, relu)
	}
}

// ReLUBackward writes dx = dy where y > 0 and +0 elsewhere (y is the ReLU's output).
// The slices may be the same array: ReLUBackward(y, y, y) is the ReLU in place.
func ReLUBackward(y, dy, dx []float32) {
	rowKernels.reluBackward(y, dy[:len(y)], dx[:len(y)])
}

// ColumnSums writes sums[j] = Σ_r x[r·n + j] for the rows of x (n = len(sums)), adding
// the rows in order.
func ColumnSums(x, sums []float32) {
	n := len(sums)
	clear(sums)
	for r := 0; r+n <= len(x); r += n {
		rowKernels.addRow(sums, x[r:r+n:r+n])
	}
}

// rowFuncs is one implementation of the element-wise row kernels, and of the same work on
// a tile of rows ld values apart (an SGEMM tile's epilogue), which loops over the rows
// inside one call: a call per row of a 32-column tile cost more than the row's work
// (the ReLU mask took a third as long as the MLP's 128×256×128 input-gradient product).
type rowFuncs struct {
	name         string
	biasRow      func(row, bias []float32, relu bool)
	reluBackward func(y, dy, dx []float32)
	addRow       func(dst, src []float32)

	biasTile       func(c []float32, ldc, rows int, bias []float32, relu bool)
	reluMaskTile   func(y []float32, ldy int, c []float32, ldc, rows, cols int)
	columnSumsTile func(c []float32, ldc, rows int, sums []float32)
}

var goRowFuncs = rowFuncs{name: "go", biasRow: biasRowGo, reluBackward: reluBackwardGo, addRow: addRowGo,
	biasTile: biasTileGo, reluMaskTile: reluMaskTileGo, columnSumsTile: columnSumsTileGo}

// biasTileGo is biasRowGo on each of rows rows of c, ldc values apart.
func biasTileGo(c []float32, ldc, rows int, bias []float32, relu bool) {
	n := len(bias)
	for r := range rows {
		biasRowGo(c[r*ldc:r*ldc+n:r*ldc+n], bias, relu)
	}
}

// reluMaskTileGo zeroes c where y is not positive, on rows rows of cols values.
func reluMaskTileGo(y []float32, ldy int, c []float32, ldc, rows, cols int) {
	for r := range rows {
		row := c[r*ldc : r*ldc+cols : r*ldc+cols]
		reluBackwardGo(y[r*ldy:r*ldy+cols:r*ldy+cols], row, row)
	}
}

// columnSumsTileGo writes the sums of rows rows of c into sums, adding the rows in order
// to cleared sums.
func columnSumsTileGo(c []float32, ldc, rows int, sums []float32) {
	clear(sums)
	n := len(sums)
	for r := range rows {
		addRowGo(sums, c[r*ldc:r*ldc+n:r*ldc+n])
	}
}

// rowKernels is the fastest implementation this CPU runs.
var rowKernels = rowVersions()[0]

func biasRowGo(row, bias []float32, relu bool) {
	row = row[:len(bias)]
	for j, b := range bias {
		v := row[j] + b
		if relu && !(v > 0) {
			v = 0
		}
		row[j] = v
	}
}

func reluBackwardGo(y, dy, dx []float32) {
	dy, dx = dy[:len(y)], dx[:len(y)]
	for i, v := range y {
		if v > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = 0
		}
	}
}

func addRowGo(dst, src []float32) {
	src = src[:len(dst)]
	for j, v := range src {
		dst[j] += v
	}
}
