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
}

// rowVersions lists the element-wise row kernels this CPU runs, fastest first.
func rowVersions() []rowFuncs {
	if cpu.X86.HasAVX2 {
		return []rowFuncs{avx2RowFuncs, goRowFuncs}
	}
	return []rowFuncs{goRowFuncs}
}
