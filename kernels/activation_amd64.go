//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// The AVX2 row kernels (activation_amd64.s) process the first n rounded down to 8
// elements; the Go functions finish the tail.

//go:noescape
func biasRowAVX2(row, bias *float32, n int, relu bool)

//go:noescape
func reluBackwardAVX2(y, dy, dx *float32, n int)

//go:noescape
func addRowAVX2(dst, src *float32, n int)

//go:noescape
func biasTileAVX2(c *float32, ldc, rows int, bias *float32, n int, relu bool)

//go:noescape
func reluMaskTileAVX2(y *float32, ldy int, c *float32, ldc, rows, n int)

//go:noescape
func columnSumsTileAVX2(c *float32, ldc, rows int, sums *float32, n int)

var avx2RowFuncs = rowFuncs{
	name: "avx2",
	biasRow: func(row, bias []float32, relu bool) {
		n := len(bias)
		row = row[:n]
		if v := n &^ 7; v > 0 {
			biasRowAVX2(&row[0], &bias[0], v, relu)
		}
		biasRowGo(row[n&^7:], bias[n&^7:], relu)
	},
	reluBackward: func(y, dy, dx []float32) {
		n := len(y)
		dy, dx = dy[:n], dx[:n]
		if v := n &^ 7; v > 0 {
			reluBackwardAVX2(&y[0], &dy[0], &dx[0], v)
		}
		reluBackwardGo(y[n&^7:], dy[n&^7:], dx[n&^7:])
	},
	addRow: func(dst, src []float32) {
		n := len(dst)
		src = src[:n]
		if v := n &^ 7; v > 0 {
			addRowAVX2(&dst[0], &src[0], v)
		}
		addRowGo(dst[n&^7:], src[n&^7:])
	},
	biasTile: func(c []float32, ldc, rows int, bias []float32, relu bool) {
		n := len(bias)
		if rows <= 0 || n == 0 {
			return
		}
		_ = c[(rows-1)*ldc+n-1]
		if v := n &^ 7; v > 0 {
			biasTileAVX2(&c[0], ldc, rows, &bias[0], v, relu)
		}
		if n&7 != 0 {
			biasTileGo(c[n&^7:], ldc, rows, bias[n&^7:], relu)
		}
	},
	reluMaskTile: func(y []float32, ldy int, c []float32, ldc, rows, cols int) {
		if rows <= 0 || cols <= 0 {
			return
		}
		_, _ = y[(rows-1)*ldy+cols-1], c[(rows-1)*ldc+cols-1]
		if v := cols &^ 7; v > 0 {
			reluMaskTileAVX2(&y[0], ldy, &c[0], ldc, rows, v)
		}
		if cols&7 != 0 {
			reluMaskTileGo(y[cols&^7:], ldy, c[cols&^7:], ldc, rows, cols&7)
		}
	},
	columnSumsTile: func(c []float32, ldc, rows int, sums []float32) {
		n := len(sums)
		if rows <= 0 || n == 0 {
			clear(sums)
			return
		}
		_ = c[(rows-1)*ldc+n-1]
		if v := n &^ 7; v > 0 {
			columnSumsTileAVX2(&c[0], ldc, rows, &sums[0], v)
		}
		if n&7 != 0 {
			columnSumsTileGo(c[n&^7:], ldc, rows, sums[n&^7:])
		}
	},
}

// rowVersions lists the element-wise row kernels this CPU runs, fastest first.
func rowVersions() []rowFuncs {
	if cpu.X86.HasAVX2 {
		return []rowFuncs{avx2RowFuncs, goRowFuncs}
	}
	return []rowFuncs{goRowFuncs}
}
