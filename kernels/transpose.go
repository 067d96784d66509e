package kernels

// transpose writes src (rows×cols, row-major) as dst (cols×rows): 16 rows at a time
// through the vector transpose where there is one, the rest one value at a time.
func transpose(dst, src []float32, rows, cols int) {
	_, _ = dst[rows*cols-1], src[rows*cols-1]
	g := 0
	if transpose16 != nil {
		for ; g+16 <= rows; g += 16 {
			blocks := cols / 16
			transpose16(dst[g:], rows, src[g*cols:], cols, blocks)
			for p := blocks * 16; p < cols; p++ {
				for r := range 16 {
					dst[p*rows+g+r] = src[(g+r)*cols+p]
				}
			}
		}
	}
	for r := g; r < rows; r++ {
		for p, v := range src[r*cols : (r+1)*cols] {
			dst[p*rows+r] = v
		}
	}
}
