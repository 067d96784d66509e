package kernels

import "math"

// The direct convolution computes a forward product of few input taps (C·R·S small, the
// first layer of an image network) without im2col and SGEMM: for each output row it loads
// each tap's shifted input row straight from the image and accumulates all K channels
// with the SGEMM kernels' arithmetic. At C·R·S+1 = 10 the SGEMM's 8×32 tiles spend more
// on their zeroing, stores and tile loop than on their 10 multiply-adds, and im2col
// copies the image nine times first.
//
// The results are those of the SGEMM path bit for bit: each output starts from +0 and gets
// one fused multiply-add per tap in im2col's order (padding taps multiply a +0, as
// im2col's zeros do), then the bias times 1, and alpha = 1 leaves it as it is. Even which
// NaN survives a NaN weight times a NaN input follows the SGEMM: its 8×32 kernel and its
// two-vector edge kernels keep the weight's, its one-vector edge kernels (tiles of at most
// 16 columns) the input's, by the operand order of their multiply-adds. So outputs past
// the last whole 32-column tile, in the flattened OutH·OutW order, are computed with the
// one-vector kernels' order when that tile is at most 16 columns wide (and all of them
// when OutH·OutW < 32).

// directTaps is the most C·R·S (plus the bias) the direct convolution takes.
const directTaps = 16

// directRows is how many output columns one call computes: two vectors.
const directRows = 32

// convDirectRow computes one chunk of up to 32 columns of one output row for all K
// channels (a multiple of 8): for each tap of the table, a masked load of the image at its
// offset, and one multiply-add per channel with the weight from wt, laid out as
// [K/8][kk][8]; with bias, one more with 1. weightFirst picks the operand order of the
// SGEMM's 8×32 tiles, else its one-vector edge tiles'. nil where the CPU lacks AVX-512.
var convDirectRow func(weightFirst bool, x, taps, wt []float32, ntaps int, bias bool, k int, y []float32, ldy int, outMask uint32)

// directLayout is where a direct forward keeps its tables in the im2col part of scratch,
// which it does not use: the taps of each (output row, chunk), then the weights.
func (c Conv2D) directLayout(kk int) (taps, wt, size int) {
	chunks := (c.OutW() + directRows - 1) / directRows
	taps = c.OutH() * chunks * (c.C * c.R * c.S) * 2
	return taps, c.K * kk, taps + c.K*kk
}

// direct reports whether the forward product of kk taps runs as a direct convolution: the
// CPU has the kernel, stride 1, few taps, K a multiple of 8 (the SGEMM's 8-row tiles are
// then all full, whatever the threads, so their operand order is known) and room for the
// tables in scratch.
func (c Conv2D) direct(kk int) bool {
	_, _, size := c.directLayout(kk)
	return convDirectRow != nil && c.Stride == 1 && kk <= directTaps && c.K%8 == 0 &&
		size <= kk*c.OutH()*c.OutW()
}

// directTables writes the tap table and the regrouped weights into table (the im2col
// part of scratch) and returns the two. A tap is two words: its byte offset in the image
// for this chunk of this output row, and the mask of the 32 lanes that read the image (0
// for a row in the padding); the table holds the float32 slots' raw bits.
func (c Conv2D) directTables(w, bias, table []float32) (taps, wt []float32) {
	kk := c.C * c.R * c.S
	if bias != nil {
		kk++
	}
	nt, nw, _ := c.directLayout(kk)
	taps, wt = table[:nt], table[nt:nt+nw]
	crs, ow := c.C*c.R*c.S, c.OutW()
	i := 0
	for oy := range c.OutH() {
		for ox0 := 0; ox0 < ow; ox0 += directRows {
			cw := min(directRows, ow-ox0)
			for ch := range c.C {
				for r := range c.R {
					iy := oy + r - c.Pad
					for s := range c.S {
						ix := ox0 + s - c.Pad // image column of the chunk's first lane
						var mask uint32
						if iy >= 0 && iy < c.H {
							for l := range cw {
								if ix+l >= 0 && ix+l < c.W {
									mask |= 1 << l
								}
							}
						}
						off := int32(4 * ((ch*c.H+iy)*c.W + ix))
						if mask == 0 {
							off = 0
						}
						taps[i], taps[i+1] = math.Float32frombits(uint32(off)), math.Float32frombits(mask)
						i += 2
					}
				}
			}
		}
	}
	for g := range c.K / 8 {
		for t := range kk {
			for j := range 8 {
				k := 8*g + j
				v := float32(0)
				if t < crs {
					v = w[k*crs+t]
				} else {
					v = bias[k]
				}
				wt[(g*kk+t)*8+j] = v
			}
		}
	}
	return taps, wt
}

// directImage computes one image's output yn (K×OutH·OutW) from xn, row chunk by row
// chunk. Pixels from edge, in the flattened order, take the one-vector edge kernels'
// operand order: a chunk across edge runs twice, the second time storing only those.
func (c Conv2D) directImage(taps, wt []float32, bias bool, xn, yn []float32) {
	oh, ow := c.OutH(), c.OutW()
	crs := c.C * c.R * c.S
	xn = xn[:c.C*c.H*c.W]
	edge := 0 // narrower than 32 columns, the SGEMM runs its 16-column edge kernels only
	if n := oh * ow; n >= 32 {
		edge = n / 32 * 32 // its last partial tile: the one-vector edge kernels up to 16 columns,
		if n%32 > 16 {     // the two-vector ones (the full tile's operand order) beyond
			edge = n
		}
	}
	i := 0
	for oy := range oh {
		for ox0 := 0; ox0 < ow; ox0 += directRows {
			cw := min(directRows, ow-ox0)
			p := oy*ow + ox0
			row := taps[i : i+2*crs]
			i += 2 * crs
			out := uint32(1)<<cw - 1
			y := yn[p:]
			if p < edge {
				convDirectRow(true, xn, row, wt, crs, bias, c.K, y, oh*ow, out)
			}
			if p+cw > edge {
				convDirectRow(false, xn, row, wt, crs, bias, c.K, y, oh*ow, out&^(uint32(1)<<max(0, edge-p)-1))
			}
		}
	}
}
