//go:build amd64 && !purego

package kernels

import (
	"sync"
	"sync/atomic"
)

// The flat im2col and col2im treat a channel's plane as one run of OutH·W values (when
// shiftedRows holds, output pixel p of kernel offset (dy, dx) reads input pixel p + dy·W +
// dx) and move 16 values a vector, whatever the width: on the reference CNN's 14-wide
// second layer the per-row kernels moved 14 of 16 lanes a row, each store split across two
// cache lines, with the loop's bookkeeping per row. Which lanes read padding (a row above
// or below the image, or a column that wrapped into the next row) is a mask per tap and
// chunk, computed once per shape. One image, 32×14×14, 3×3 pad 1, on Zen 4: col2im 7.0-9.6
// → 4.6-5.4 µs, im2col 4.4 → 4.0 µs (225 KB written: bound by the stores to L2).

//go:noescape
func im2colFlatAVX512(dst, img *float32, ld int, taps *flatTap, ntaps, chunks int, last uint32, channels, plane int)

//go:noescape
func col2imFlatAVX512(img, col *float32, ld int, taps *flatTap, ntaps, chunks int, last uint32, channels, plane int)

// flatMaxChunks and flatMaxTaps bound the flat kernels' tables (planes of up to 1024
// values, kernels of up to 16 positions); larger shapes take the per-row kernels.
const (
	flatMaxChunks = 64
	flatMaxTaps   = 16
)

// flatTap is one kernel position of the flat kernels: its shift dy·W + dx and, per chunk of
// 16 values, the lanes that read the image (im2col: outputs; col2im: input pixels).
type flatTap struct {
	shift int
	masks [flatMaxChunks]uint16
}

// shiftedFlat says whether Im2col and Col2im use the flat kernels where they fit; tests turn
// it off to check the per-row kernels.
var shiftedFlat = true

// flatFits reports whether the flat kernels take the shape (shiftedRows holds).
func (c Conv2D) flatFits() bool {
	return shiftedVector && shiftedFlat && c.R*c.S <= flatMaxTaps && c.OutH()*c.W <= 16*flatMaxChunks && c.H*c.W <= 16*flatMaxChunks
}

// flatTable is one shape's taps for one direction; flatTables keeps them: computing one
// took longer than the kernel it serves.
type flatTable struct {
	key          flatKey
	taps         [flatMaxTaps]flatTap
	ntaps, chunk int
	last         uint32 // the last chunk's lanes inside the run
}

// flatKey is what a flatTable depends on.
type flatKey struct {
	h, w, oh, r, s, pad int
	col2im              bool
}

// flatTables caches the tables of the shapes seen last: reads are lock-free and allocate
// nothing; a new shape takes the next slot in turn.
var flatTables struct {
	slots [16]atomic.Pointer[flatTable]
	mu    sync.Mutex
	next  int
}

// flatTableFor returns the shape's table for the direction.
func (c Conv2D) flatTableFor(col2im bool) *flatTable {
	k := flatKey{h: c.H, w: c.W, oh: c.OutH(), r: c.R, s: c.S, pad: c.Pad, col2im: col2im}
	for i := range flatTables.slots {
		if t := flatTables.slots[i].Load(); t != nil && t.key == k {
			return t
		}
	}
	t := &flatTable{key: k}
	t.ntaps, t.chunk, t.last = c.flatTaps(&t.taps, col2im)
	flatTables.mu.Lock()
	flatTables.slots[flatTables.next].Store(t)
	flatTables.next = (flatTables.next + 1) % len(flatTables.slots)
	flatTables.mu.Unlock()
	return t
}

// flatTaps fills taps with each kernel position's shift and lane masks, over the outputs
// (col2im false) or over the input pixels (col2im true).
func (c Conv2D) flatTaps(taps *[flatMaxTaps]flatTap, col2im bool) (ntaps, chunks int, last uint32) {
	oh, w := c.OutH(), c.W
	n := oh * w
	if col2im {
		n = c.H * w
	}
	chunks = (n + 15) / 16
	for r := range c.R {
		for s := range c.S {
			dy, dx := r-c.Pad, s-c.Pad
			t := &taps[ntaps]
			t.shift = dy*w + dx
			for j := range chunks {
				var m uint16
				for l := range 16 {
					p := 16*j + l
					if p >= n {
						break
					}
					o := p // the output pixel
					if col2im {
						o = p - t.shift
					}
					oy, ox := o/w, o%w
					if o >= 0 && o < oh*w && oy+dy >= 0 && oy+dy < c.H && ox+dx >= 0 && ox+dx < w {
						m |= 1 << l
					}
				}
				t.masks[j] = m
			}
			ntaps++
		}
	}
	return ntaps, chunks, uint32(laneRange(0, n-16*(chunks-1)))
}

// flatShifted is Im2col (col2im false: img is x, written into col) or Col2im (col2im
// true: col added into img, which is dx) by the flat kernels; false, doing nothing, where
// they do not fit.
func flatShifted(c Conv2D, col2im bool, img, col []float32) bool {
	if !c.flatFits() {
		return false
	}
	t := c.flatTableFor(col2im)
	ld := c.OutH() * c.W
	_, _ = img[c.C*c.H*c.W-1], col[c.C*t.ntaps*ld-1]
	if col2im {
		col2imFlatAVX512(&img[0], &col[0], ld, &t.taps[0], t.ntaps, t.chunk, t.last, c.C, c.H*c.W)
	} else {
		im2colFlatAVX512(&col[0], &img[0], ld, &t.taps[0], t.ntaps, t.chunk, t.last, c.C, c.H*c.W)
	}
	return true
}
