package kernels

import "math"

// goPool is the portable version.
var goPool = poolVersion{"go", poolForwardGo, unpoolReLUGo}

// poolForwardGo pools row by row with poolRowGo, then applies reluPooled.
func poolForwardGo(p *poolArgs, lo, hi int) {
	h, w := p.h, p.w
	oh, ow := h/2, w/2
	for plane := lo; plane < hi; plane++ {
		xp := p.x[plane*h*w : (plane+1)*h*w]
		for oy := range oh {
			o := (plane*oh + oy) * ow
			yo, ao := p.y[o:o+ow], p.arg[o:o+ow]
			poolRowGo(xp[2*oy*w:(2*oy+1)*w], xp[(2*oy+1)*w:(2*oy+2)*w], yo, ao, plane*h*w+2*oy*w, w)
			if p.relu {
				reluPooled(yo, ao)
			}
		}
	}
}

// poolRowGo pools one output row: yo[j] and ao[j] get the maximum of r0[2j], r0[2j+1],
// r1[2j], r1[2j+1] and its index in x, where r0[0] is x[i0] and r1 starts w elements later.
func poolRowGo(r0, r1, yo []float32, ao []int32, i0, w int) {
	ao = ao[:len(yo)]
	r0, r1 = r0[:2*len(yo)], r1[:2*len(yo)]
	for ox := range yo {
		// Branch-free selects: on random data a branch per comparison mispredicts half the
		// time. max keeps a NaN; the index follows the first strict maximum or the last
		// NaN, PyTorch's rule (val > maxval || isnan(val)).
		j := i0 + 2*ox
		best, idx := r0[2*ox], j
		v := r0[2*ox+1]
		idx = pick(b2u(v > best)|b2u(v != v), j+1, idx)
		best = max(best, v)
		v = r1[2*ox]
		idx = pick(b2u(v > best)|b2u(v != v), j+w, idx)
		best = max(best, v)
		v = r1[2*ox+1]
		idx = pick(b2u(v > best)|b2u(v != v), j+w+1, idx)
		best = max(best, v)
		yo[ox], ao[ox] = best, int32(idx)
	}
}

// reluPooled applies the ReLU to a row of pooled outputs (NaN and −0 to +0, as
// ReLUBackward(y, y, y) does) and marks each zeroed output's argmax −1.
// Branch-free: on real activations the sign is a coin toss, and a branch mispredicted
// half the time cost as much as the pooling itself.
func reluPooled(yo []float32, ao []int32) {
	ao = ao[:len(yo)]
	for j, v := range yo {
		keep := -int32(b2u(v > 0)) // all ones to keep, zero to drop
		yo[j] = math.Float32frombits(math.Float32bits(v) & uint32(keep))
		ao[j] |= ^keep
	}
}

// unpoolReLUGo leaves every plane to the scatter: in Go, writing each dx element from its
// window's argmax (the AVX-512 version's way) took 1.6 times as long as the scatter.
func unpoolReLUGo(_ *poolArgs, lo, _ int) int { return lo }

// pick returns a if c is 1, else b; the compiler turns it into a conditional move.
func pick(c uint8, a, b int) int {
	if c != 0 {
		return a
	}
	return b
}

// b2u is a comparison result as 0 or 1, without a branch.
func b2u(c bool) uint8 {
	var u uint8
	if c {
		u = 1
	}
	return u
}
