package kernels

import "math"

// The direct pooled convolution is Conv2DPoolForward for few taps (C·R·S small, the first
// layer of an image network) without the convolution output: for each pair of output
// rows it computes both rows' convolution for a group of channels in registers, pools
// each 2×2 window with the ReLU there and writes only the pooled values and their argmax.
// On the reference CNN's first layer the other path writes 100 KB of convolution output
// an image and reads it back to keep a quarter of it.
//
// The image is first copied zero-padded and split into its even and odd padded columns,
// so that one vector load of a tap gives the left (or the right) element of 16 windows:
// the pooling then compares whole registers, with no shuffles.
//
// Its results are the other path's bit for bit. Each convolution value is the SGEMM's
// chain of fused multiply-adds: +0, one per tap in im2col's order (padding taps multiply
// a +0 from the padded copy, as im2col's zeros do, so an infinite weight still gives NaN
// there), then the bias, added as the SGEMM's bias × 1 multiply-add is (one rounding of
// the exact sum). Nothing else of the SGEMM's kernels shows through the pooling: the
// operand order of a multiply-add decides only which NaN survives, and the sign of a zero
// partial sum at most the sign of a zero result, while the pooling compares zeros as
// equal and, with the ReLU, writes +0 and −1 for any NaN or zero it picks. So, unlike an
// unpooled direct convolution (which would have to follow the SGEMM's kernel for each
// column), one kernel serves every column and K need not fill the SGEMM's tiles.

// poolDirectTaps is the most C·R·S (plus the bias) the direct pooled convolution takes:
// its weights for a group of channels stay in registers.
const poolDirectTaps = 16

// poolDirectGroup is how many channels the kernel computes at a time: 4 channels × 2 rows
// × 2 vectors (the windows' left and right columns) fill 16 of the 32 vector registers
// with accumulators.
const poolDirectGroup = 4

// poolDirectWindows is how many windows of a row one kernel call covers: one vector.
const poolDirectWindows = 16

// convPoolRow pools one pair of convolution rows, 16 windows from x (the split image at
// the pair's first row and window) for all k channels and writes their values and argmax
// under outMask; see convPoolRowAVX512. nil where the CPU lacks AVX-512 (and for the tests
// that turn it off): then Conv2DPoolForward convolves and pools as two steps.
var convPoolRow func(x, offs, wt []float32, bias bool, k, rowLen int, y []float32, arg []int32, ldp, idx, ldi, ow int, outMask uint32)

// splitRows writes each of the rows of x (rowX values apart) into dst (dstRow apart) as
// the even, then the odd columns of the row padded with pad zeros on the left and zeros
// on the right, each half dstRow/2 values long. masks holds the 16-lane masks of the
// padded columns that lie in the row, one per 16 columns. Set with convPoolRow.
var splitRows func(x []float32, rows, rowX int, masks []float32, pad int, dst []float32, dstRow int)

// poolDirect is one direct pooled forward's tables in scratch.
type poolDirect struct {
	img    []float32 // the image split, [channel][padded row][even, odd][half]
	offs   []float32 // per tap, the byte offsets of its left and right loads, as raw int32 bits
	wt     []float32 // the weights as [channel group][tap, then the bias][poolDirectGroup]
	masks  []float32 // splitRows' masks, as raw bits
	hp     int       // padded rows
	half   int       // values of each half of a split row: the padded width's half, rounded up to 16
	bias   bool
	imgLen int // the split image without its slack
}

// poolDirectLayout is the size of a poolDirect's img, offs, wt and masks for kk taps.
// The split image is followed by a row's worth of slack: the kernel's loads for the last
// rows reach past its end in the lanes it does not store.
func (c Conv2D) poolDirectLayout(kk int) (img, offs, wt, masks int) {
	hp, half := c.poolDirectRows()
	groups := (c.K + poolDirectGroup - 1) / poolDirectGroup
	return c.C*hp*2*half + 2*half, 2 * c.C * c.R * c.S, groups * poolDirectGroup * kk, half / 8
}

// poolDirectRows is the split image's rows and half-row length.
func (c Conv2D) poolDirectRows() (hp, half int) {
	wp := c.W + 2*c.Pad
	return c.H + 2*c.Pad, (wp + 31) / 32 * 16
}

// poolDirectFits reports whether Conv2DPoolForward of kk taps (C·R·S, plus one for the
// bias) runs as a direct pooled convolution: the CPU has the kernels, stride 1 (a row's
// taps are then its neighbours), at most poolDirectTaps taps and room for the tables in
// scratch, which only images of a few pixels lack.
func (c Conv2D) poolDirectFits(kk int) bool {
	img, offs, wt, masks := c.poolDirectLayout(kk)
	return convPoolRow != nil && c.Stride == 1 && kk <= poolDirectTaps && img+offs+wt+masks <= c.PoolScratchSize()
}

// poolDirectForward is Conv2DPoolForward's direct pooled convolution on checked buffers;
// false, having done nothing, where the shape or the CPU does not take it.
func (c Conv2D) poolDirectForward(x, w, bias, pooled []float32, argmax []int32, scratch []float32) bool {
	kk := c.C * c.R * c.S
	if bias != nil {
		kk++
	}
	if !c.poolDirectFits(kk) {
		return false
	}
	d := c.poolDirectTables(w, bias, scratch)
	per := c.K * c.PoolOutH() * c.PoolOutW()
	for n := range c.N {
		d.image(c, x[n*c.C*c.H*c.W:(n+1)*c.C*c.H*c.W], pooled[n*per:(n+1)*per], argmax[n*per:(n+1)*per])
	}
	return true
}

// poolDirectTables lays out the tables in scratch: the split image cleared (its padding
// rows stay zero), the tap offsets in im2col's order, the weights and the masks.
func (c Conv2D) poolDirectTables(w, bias, scratch []float32) poolDirect {
	crs := c.C * c.R * c.S
	kk := crs
	if bias != nil {
		kk++
	}
	ni, no, nw, nm := c.poolDirectLayout(kk)
	d := poolDirect{img: scratch[:ni], offs: scratch[ni : ni+no], wt: scratch[ni+no : ni+no+nw],
		masks: scratch[ni+no+nw : ni+no+nw+nm], bias: bias != nil}
	d.hp, d.half = c.poolDirectRows()
	d.imgLen = c.C * d.hp * 2 * d.half
	clear(d.img)
	t := 0
	for ch := range c.C {
		for r := range c.R {
			row := (ch*d.hp + r) * 2 * d.half
			for s := range c.S {
				// Window j's left element in this tap is padded column 2j+s, its right 2j+s+1.
				left, right := row+s%2*d.half+s/2, row+(s+1)%2*d.half+(s+1)/2
				d.offs[t] = math.Float32frombits(uint32(int32(4 * left)))
				d.offs[t+1] = math.Float32frombits(uint32(int32(4 * right)))
				t += 2
			}
		}
	}
	for k := range nw / kk {
		g, j := k/poolDirectGroup, k%poolDirectGroup
		for t := range kk {
			v := float32(0) // the channels past K of the last group: computed, not stored
			switch {
			case k >= c.K:
			case t < crs:
				v = w[k*crs+t]
			default:
				v = bias[k]
			}
			d.wt[(g*kk+t)*poolDirectGroup+j] = v
		}
	}
	for i := range nm {
		var m uint32
		for l := range 16 {
			if col := 16*i + l - c.Pad; col >= 0 && col < c.W {
				m |= 1 << l
			}
		}
		d.masks[i] = math.Float32frombits(m)
	}
	return d
}

// image writes one image's pooled output and argmax (K×PoolOutH×PoolOutW) from xn.
func (d poolDirect) image(c Conv2D, xn, pooled []float32, argmax []int32) {
	for ch := range c.C {
		splitRows(xn[ch*c.H*c.W:(ch+1)*c.H*c.W], c.H, c.W, d.masks, c.Pad, d.img[(ch*d.hp+c.Pad)*2*d.half:d.imgLen], 2*d.half)
	}
	oh, ow := c.OutH(), c.OutW()
	ph, pw := oh/2, ow/2
	for py := range ph {
		for px := 0; px < pw; px += poolDirectWindows {
			out := uint32(1)<<min(poolDirectWindows, pw-px) - 1
			convPoolRow(d.img[2*py*2*d.half+px:], d.offs, d.wt, d.bias, c.K, 2*d.half,
				pooled[py*pw+px:], argmax[py*pw+px:], ph*pw, 2*py*ow+2*px, oh*ow, ow, out)
		}
	}
}
