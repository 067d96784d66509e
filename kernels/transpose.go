package kernels

// transpose writes src (rows×cols, row-major) as dst (cols×rows).
func transpose(dst, src []float32, rows, cols int) {
	_, _ = dst[rows*cols-1], src[rows*cols-1]
	transposeBlock(dst, rows, src, cols, rows, cols)
}

// transposeBlock writes the rows×cols block of src (rows ld apart) as dst (cols rows, ldd
// apart): 16 rows at a time through the vector transpose where there is one, a last partial
// run of columns as a 16-wide block overlapping the one before (rewriting the same values),
// and rows past the last 16 one value at a time.
func transposeBlock(dst []float32, ldd int, src []float32, ld, rows, cols int) {
	g := 0
	if transpose16 != nil && cols >= 16 {
		blocks := cols / 16
		for ; g+16 <= rows; g += 16 {
			transpose16(dst[g:], ldd, src[g*ld:], ld, blocks)
			if cols%16 != 0 {
				p := cols - 16
				transpose16(dst[p*ldd+g:], ldd, src[g*ld+p:], ld, 1)
			}
		}
	}
	for r := g; r < rows; r++ {
		for p, v := range src[r*ld : r*ld+cols] {
			dst[p*ldd+r] = v
		}
	}
}
