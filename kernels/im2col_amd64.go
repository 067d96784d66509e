//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// im2colChunkAVX512 and col2imChunkAVX512 do one 16-wide column chunk of a shifted-row
// geometry (im2col_amd64.s).
//
//go:noescape
func im2colChunkAVX512(dst, img *float32, oh, h, w, dy, dx int, masks uint32)

//go:noescape
func col2imChunkAVX512(img, col *float32, hw, w, oh int, taps *shiftTap, ntaps int, store uint32)

// shiftedVector says whether Im2col and Col2im use the AVX-512 kernels for shifted-row
// geometries; tests turn it off to check the Go path.
var shiftedVector = cpu.X86.HasAVX512F

// im2colShiftedVector is Im2col for a geometry where shiftedRows holds: each output row of
// each im2col row is a masked load and store per 16 columns, with no copy call or fix-up
// per row. It reports false, doing nothing, when the geometry is too wide for its masks.
func im2colShiftedVector(c Conv2D, x, col []float32) bool {
	var m shiftMasks
	if !shiftedVector || !m.init(c, 1) {
		return false
	}
	oh, w := c.OutH(), c.W
	row := 0
	for ch := range c.C {
		img := x[ch*c.H*w : (ch+1)*c.H*w]
		for r := range c.R {
			for s := range c.S {
				dst := col[row*oh*w : (row+1)*oh*w]
				for k := range m.chunks {
					im2colChunkAVX512(&dst[16*k], &img[16*k], oh, c.H, w, r-c.Pad, s-c.Pad, m.at(s, k))
				}
				row++
			}
		}
	}
	return true
}

// col2imShiftedVector is Col2im for a geometry where shiftedRows holds: each pixel adds its
// channel's entries in the order of col's rows, as Col2im does, but 16 pixels at a time
// and all of a pixel's entries while it is in a register, instead of one pass over the
// image per row of col with the wrapped pixels saved and restored. It reports false, doing
// nothing, when the geometry is too wide or its kernel too large for its tables.
func col2imShiftedVector(c Conv2D, col, dx []float32) bool {
	var m shiftMasks
	if !shiftedVector || c.R*c.S > maxShiftTaps || !m.init(c, -1) {
		return false
	}
	oh, w := c.OutH(), c.W
	var taps [maxShiftTaps]shiftTap
	for k := range m.chunks {
		n := 0
		for r := range c.R {
			for s := range c.S {
				dy, dxo := r-c.Pad, s-c.Pad
				taps[n] = shiftTap{off: n*oh*w - dy*w - dxo, dy: dy, mask: int(m.at(s, k) >> 16)}
				n++
			}
		}
		store := m.at(0, k) & 0xffff
		for ch := range c.C {
			img := dx[ch*c.H*w : (ch+1)*c.H*w]
			rows := col[ch*n*oh*w : (ch+1)*n*oh*w]
			col2imChunkAVX512(&img[16*k], &rows[16*k], c.H*w, w, oh, &taps[0], n, store)
		}
	}
	return true
}
