package kernels

// Im2col lays one image x (C×H×W) out as col, a (C·R·S)×(OutH·OutW) row-major matrix whose
// column p holds the receptive field of output pixel p, so that the convolution becomes
// W(K×CRS) · col. Padding positions are zero.
func Im2col(c Conv2D, x, col []float32) {
	oh, ow := c.OutH(), c.OutW()
	x = x[:c.C*c.H*c.W]
	col = col[:c.ColSize()]
	shifted := c.shiftedRows()
	if shifted && (flatShifted(c, false, x, col) || im2colShiftedVector(c, x, col)) {
		return
	}
	row := 0
	for ch := range c.C {
		img := x[ch*c.H*c.W : (ch+1)*c.H*c.W]
		for r := range c.R {
			for s := range c.S {
				dst := col[row*oh*ow : (row+1)*oh*ow]
				if shifted {
					im2colShifted(c, img, dst, r-c.Pad, s-c.Pad)
				} else {
					im2colRow(c, img, dst, r, s)
				}
				row++
			}
		}
	}
}

// shiftedRows reports whether each row of the im2col matrix is its channel shifted by a
// constant offset: stride 1 and an output as wide as the input ("same" padding, the usual
// 3×3 pad 1 layer). Then a row is one copy and a few zeroed border entries, instead of a
// copy per output row.
func (c Conv2D) shiftedRows() bool { return c.Stride == 1 && c.OutW() == c.W }

// shiftedBlock returns, for the kernel offset (dy, dx), the output rows [oy0, oy1) that read
// the image, the columns [lo, hi) of each that do, and where the block starts: output index
// j reads image index j+shift. ok is false when no output reads the image.
func (c Conv2D) shiftedBlock(dy, dx int) (oy0, oy1, lo, hi, shift int, ok bool) {
	oy0, oy1 = max(0, -dy), min(c.OutH(), c.H-dy)
	lo, hi = max(0, -dx), min(c.W, c.W-dx)
	return oy0, oy1, lo, hi, dy*c.W + dx, oy0 < oy1 && lo < hi
}

// im2colShifted fills one row of the im2col matrix for kernel offset (dy, dx) when
// shiftedRows holds: one copy of the block of outputs that read the image, then zeros
// where a row of the block wrapped into its neighbour, and for the rows and columns that
// read padding.
func im2colShifted(c Conv2D, img, dst []float32, dy, dx int) {
	w := c.W
	oy0, oy1, lo, hi, shift, ok := c.shiftedBlock(dy, dx)
	if !ok {
		clear(dst)
		return
	}
	first, last := oy0*w+lo, (oy1-1)*w+hi
	clear(dst[:first])
	copy(dst[first:last], img[first+shift:last+shift])
	clear(dst[last:])
	// At most a few entries a row (|dx| of them): stores, not a clear call each.
	for oy := oy0; oy < oy1; oy++ {
		row := dst[oy*w : (oy+1)*w]
		for ox := range lo {
			row[ox] = 0
		}
		for ox := hi; ox < w; ox++ {
			row[ox] = 0
		}
	}
}

// im2colRow fills one row of the im2col matrix for kernel position (r, s), output row by
// output row: the general case of any stride and padding.
func im2colRow(c Conv2D, img, dst []float32, r, s int) {
	oh, ow := c.OutH(), c.OutW()
	lo, hi := validRange(ow, c.W, c.Stride, s-c.Pad)
	for oy := range oh {
		iy := oy*c.Stride - c.Pad + r
		d := dst[oy*ow : (oy+1)*ow]
		if iy < 0 || iy >= c.H || lo >= hi {
			clear(d)
			continue
		}
		src := img[iy*c.W : (iy+1)*c.W]
		clear(d[:lo])
		clear(d[hi:])
		if c.Stride == 1 {
			copy(d[lo:hi], src[lo+s-c.Pad:])
			continue
		}
		for ox := lo; ox < hi; ox++ {
			d[ox] = src[ox*c.Stride+s-c.Pad]
		}
	}
}

// Col2im is the adjoint of Im2col: it adds each entry of col ((C·R·S)×(OutH·OutW)) into the
// input pixel it was copied from, accumulating into dx (C×H×W). Entries from padding are
// dropped. The rows of col are added in order and each adds at most once into a pixel, so
// every pixel sums its entries in the same order whichever path runs: the result is
// deterministic and the same as adding entry by entry.
func Col2im(c Conv2D, col, dx []float32) {
	oh, ow := c.OutH(), c.OutW()
	dx = dx[:c.C*c.H*c.W]
	col = col[:c.ColSize()]
	shifted := c.shiftedRows()
	if shifted && (flatShifted(c, true, dx, col) || col2imShiftedVector(c, col, dx)) {
		return
	}
	row := 0
	for ch := range c.C {
		img := dx[ch*c.H*c.W : (ch+1)*c.H*c.W]
		for r := range c.R {
			for s := range c.S {
				src := col[row*oh*ow : (row+1)*oh*ow]
				if shifted {
					col2imShifted(c, src, img, r-c.Pad, s-c.Pad)
				} else {
					col2imRow(c, src, img, r, s)
				}
				row++
			}
		}
	}
}

// col2imSaved is how many pixels col2imShifted saves on the stack per vector pass: a row
// of the block wraps |dx| entries into its neighbour, so a pass covers col2imSaved/|dx|
// rows (at least one, which wraps nothing).
const col2imSaved = 64

// col2imShifted adds one row of col into the image for kernel offset (dy, dx) when
// shiftedRows holds: one vector add over each band of the block, with the image pixels
// that wrapped entries would touch saved before and restored after, so that they get
// exactly nothing added.
func col2imShifted(c Conv2D, src, img []float32, dy, dx int) {
	w := c.W
	oy0, oy1, lo, hi, shift, ok := c.shiftedBlock(dy, dx)
	if !ok {
		return
	}
	band := oy1 - oy0
	if dx != 0 {
		band = max(1, col2imSaved/abs(dx))
	}
	var saved [col2imSaved]float32
	var at [col2imSaved]int
	for b0 := oy0; b0 < oy1; b0 += band {
		b1 := min(oy1, b0+band)
		first, last := b0*w+lo, (b1-1)*w+hi
		// Wrapped entries lie in [first, last) at columns outside [lo, hi): the left
		// ones of every row after the band's first, the right ones of every row before
		// its last. The pixels they would touch are saved, and restored after the add.
		n := 0
		for oy := b0; oy < b1; oy++ {
			if oy > b0 {
				for ox := range lo {
					at[n] = oy*w + ox + shift
					n++
				}
			}
			if oy < b1-1 {
				for ox := hi; ox < w; ox++ {
					at[n] = oy*w + ox + shift
					n++
				}
			}
		}
		for i, j := range at[:n] {
			saved[i] = img[j]
		}
		rowKernels.addRow(img[first+shift:last+shift], src[first:last])
		for i, j := range at[:n] {
			img[j] = saved[i]
		}
	}
}

// col2imRow adds one row of col for kernel position (r, s) into the image, output row by
// output row: the general case of any stride and padding.
func col2imRow(c Conv2D, src, img []float32, r, s int) {
	oh, ow := c.OutH(), c.OutW()
	lo, hi := validRange(ow, c.W, c.Stride, s-c.Pad)
	if lo >= hi {
		return
	}
	for oy := range oh {
		iy := oy*c.Stride - c.Pad + r
		if iy < 0 || iy >= c.H {
			continue
		}
		d := img[iy*c.W : (iy+1)*c.W]
		sr := src[oy*ow+lo : oy*ow+hi]
		if c.Stride == 1 {
			d = d[lo+s-c.Pad : hi+s-c.Pad]
			for i, v := range sr {
				d[i] += v
			}
			continue
		}
		for i, v := range sr {
			d[(lo+i)*c.Stride+s-c.Pad] += v
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// validRange returns the outputs [lo,hi) of a row of outw whose input column
// o*stride+off falls inside [0, inw); the rest read padding.
func validRange(outw, inw, stride, off int) (lo, hi int) {
	if off < 0 {
		lo = (-off + stride - 1) / stride
	}
	if last := inw - 1 - off; last >= 0 {
		hi = min(outw, last/stride+1)
	}
	return lo, max(lo, hi)
}
