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

// maxShiftTaps and maxShiftMasks bound the tables of the vector kernels; wider geometries
// take the Go path.
const (
	maxShiftTaps  = 64
	maxShiftMasks = 256
)

// shiftMasks holds, for each kernel column s and each 16-wide chunk of a row, the lanes a
// vector kernel stores (low 16 bits: those inside the row) and those that read the other
// layout (high 16 bits: those whose column shifted by sign·(s−Pad) is inside the row too).
type shiftMasks struct {
	chunks int
	masks  [maxShiftMasks]uint32
}

// init fills the masks for c, sign 1 for Im2col (an output reads column ox+dx of the
// image) and −1 for Col2im (a pixel takes column ix−dx of col); false when they do not fit.
func (m *shiftMasks) init(c Conv2D, sign int) bool {
	m.chunks = (c.W + 15) / 16
	if m.chunks*c.S > maxShiftMasks {
		return false
	}
	for s := range c.S {
		shift := sign * (s - c.Pad)
		for k := range m.chunks {
			var store, read uint32
			for j := range 16 {
				if x := 16*k + j; x < c.W {
					store |= 1 << j
					if y := x + shift; y >= 0 && y < c.W {
						read |= 1 << j
					}
				}
			}
			m.masks[s*m.chunks+k] = store | read<<16
		}
	}
	return true
}

// at is the masks of kernel column s in chunk k.
func (m *shiftMasks) at(s, k int) uint32 { return m.masks[s*m.chunks+k] }

// im2colTap is one kernel position of im2colChannelAVX512: the im2col row at dst[row]
// takes the image shifted by shift in its output rows [oy0, oy1), in the lanes of mask.
type im2colTap struct{ row, shift, oy0, oy1, mask int }

// im2colShiftedVector is Im2col for a geometry where shiftedRows holds: each output row of
// each im2col row is a masked load and store per 16 columns, a channel's rows in one call,
// with no copy call or fix-up per row. It reports false, doing nothing, when the geometry
// is too wide or its kernel too large for its tables.
func im2colShiftedVector(c Conv2D, x, col []float32) bool {
	var m shiftMasks
	if !shiftedVector || c.R*c.S > maxShiftTaps || !m.init(c, 1) {
		return false
	}
	oh, w := c.OutH(), c.W
	var taps [maxShiftTaps]im2colTap
	for k := range m.chunks {
		n := 0
		for r := range c.R {
			for s := range c.S {
				oy0, oy1, _, _, _, _ := c.shiftedBlock(r-c.Pad, s-c.Pad)
				oy0 = min(oy0, oh)
				taps[n] = im2colTap{row: n * oh * w, shift: (r-c.Pad)*w + s - c.Pad, oy0: oy0, oy1: max(oy0, oy1), mask: int(m.at(s, k) >> 16)}
				n++
			}
		}
		store := m.at(0, k) & 0xffff
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
// nothing, when the geometry is too wide or its kernel too large for its tables.
func col2imShiftedVector(c Conv2D, col, dx []float32) bool {
	var m shiftMasks
	if !shiftedVector || c.R*c.S > maxShiftTaps || !m.init(c, -1) {
		return false
	}
	oh, w := c.OutH(), c.W
	var taps [maxShiftTaps]col2imTap
	for k := range m.chunks {
		n := 0
		for r := range c.R {
			for s := range c.S {
				dy, dxo := r-c.Pad, s-c.Pad
				taps[n] = col2imTap{off: n*oh*w - dy*w - dxo, dy: dy, mask: int(m.at(s, k) >> 16)}
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
