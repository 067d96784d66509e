//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// im2colChannelAVX512 and col2imChunkAVX512 do one 16-wide column chunk of a channel of a
// shifted-row geometry (im2col_amd64.s).
//
//go:noescape
func im2colChannelAVX512(dst, img *float32, oh, w int, taps *im2colTap, ntaps int, store uint32)

//go:noescape
func col2imChunkAVX512(img, col *float32, hw, w, oh int, taps *col2imTap, ntaps int, store uint32)

// shiftedVector says whether Im2col and Col2im use the AVX-512 kernels for shifted-row
// geometries; tests turn it off to check the Go path.
var shiftedVector = cpu.X86.HasAVX512F

// col2imTap is one kernel position of col2imChunkAVX512: for the pixel p of an image row
// iy, its entry is col[off + p] when iy−dy is an output row, in the lanes of mask.
type col2imTap struct{ off, dy, mask int }

// maxShiftTaps bounds the vector kernels' tap tables (a kernel of at most 64 positions);
// larger kernels take the Go path.
const maxShiftTaps = 64

// chunkLanes returns, for the 16-wide chunk k of a row of w values, the lanes inside the
// row (the ones a vector kernel stores) and, among them, those whose column shifted by
// shift is inside the row too (the ones it reads from the other layout).
func chunkLanes(w, k, shift int) (store, read uint32) {
	x0 := 16 * k
	store = laneRange(0, w-x0)
	return store, store & laneRange(-shift-x0, w-shift-x0)
}

// laneRange is the mask of lanes [lo, hi) of a 16-lane vector, clamped to it.
func laneRange(lo, hi int) uint32 {
	lo, hi = max(lo, 0), min(hi, 16)
	if lo >= hi {
		return 0
	}
	return (1<<hi - 1) &^ (1<<lo - 1)
}

// im2colTap is one kernel position of im2colChannelAVX512: the im2col row at dst[row]
// takes the image shifted by shift in its output rows [oy0, oy1), in the lanes of mask.
type im2colTap struct{ row, shift, oy0, oy1, mask int }

// im2colShiftedVector is Im2col for a geometry where shiftedRows holds: each output row of
// each im2col row is a masked load and store per 16 columns, a channel's rows in one call,
// with no copy call or fix-up per row. It reports false, doing nothing, when the kernel
// is too large for its table.
func im2colShiftedVector(c Conv2D, x, col []float32) bool {
	if !shiftedVector || c.R*c.S > maxShiftTaps {
		return false
	}
	oh, w := c.OutH(), c.W
	var taps [maxShiftTaps]im2colTap
	var store uint32
	for k := range (w + 15) / 16 {
		n := 0
		for r := range c.R {
			for s := range c.S {
				oy0, oy1, _, _, _, _ := c.shiftedBlock(r-c.Pad, s-c.Pad)
				oy0 = min(oy0, oh)
				var read uint32
				store, read = chunkLanes(w, k, s-c.Pad)
				taps[n] = im2colTap{row: n * oh * w, shift: (r-c.Pad)*w + s - c.Pad, oy0: oy0, oy1: max(oy0, oy1), mask: int(read)}
				n++
			}
		}
		for ch := range c.C {
			im2colChannelAVX512(&col[ch*n*oh*w+16*k], &x[ch*c.H*w+16*k], oh, w, &taps[0], n, store)
		}
	}
	return true
}

// col2imShiftedVector is Col2im for a geometry where shiftedRows holds: each pixel adds its
// channel's entries in the order of col's rows, as Col2im does, but 16 pixels at a time
// and all of a pixel's entries while it is in a register, instead of one pass over the
// image per row of col with the wrapped pixels saved and restored. It reports false, doing
// nothing, when the kernel is too large for its table.
func col2imShiftedVector(c Conv2D, col, dx []float32) bool {
	if !shiftedVector || c.R*c.S > maxShiftTaps {
		return false
	}
	oh, w := c.OutH(), c.W
	var taps [maxShiftTaps]col2imTap
	var store uint32
	for k := range (w + 15) / 16 {
		n := 0
		for r := range c.R {
			for s := range c.S {
				dy, dxo := r-c.Pad, s-c.Pad
				var read uint32
				store, read = chunkLanes(w, k, -dxo) // a pixel takes col's column ix−dx
				taps[n] = col2imTap{off: n*oh*w - dy*w - dxo, dy: dy, mask: int(read)}
				n++
			}
		}
		for ch := range c.C {
			img := dx[ch*c.H*w : (ch+1)*c.H*w]
			rows := col[ch*n*oh*w : (ch+1)*n*oh*w]
			col2imChunkAVX512(&img[16*k], &rows[16*k], c.H*w, w, oh, &taps[0], n, store)
		}
	}
	return true
}
