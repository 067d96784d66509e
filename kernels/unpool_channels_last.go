package kernels

import "unsafe"

// A first layer's weight gradient reads its output gradient channels-last. Its product,
// dwᵀ ((C·R·S+1)×K) += col_n · dy_nᵀ, takes dy_n as the right operand transposed: with
// dy_n stored K×OutH·OutW, SGEMM packed every image's dy_n into panels through 16×16
// transposes, which on the reference CNN's first layer (K 32, 28×28) cost as much as
// half the product (8 µs instead of 5 µs an image on Zen 4). Unpooled straight into
// [pixel][channel] rows, dy_n is read in place. The pooled gradient and argmax are a
// quarter of dy_n's size; they are transposed instead, and each window's four rows are
// written whole, the channels whose argmax is elsewhere as +0.
//
// Only the layout moves: every element of dwᵀ is the same chain of multiply-adds in the
// same order, so the results are bit for bit those of the K×OutH·OutW path.

// unpoolChannelsLast writes, for each window of win (its top-left pixel), the window's
// four rows of dx ([pixel][k]) from dy and arg ([window][k], arg as raw int32 bits); see
// unpoolChannelsLastAVX512. It returns the number of windows done before one whose argmax
// is neither −1 nor in the window. nil without AVX-512.
var unpoolChannelsLast func(dy, arg, dx []float32, win []int32, k, w, hw int) int

// channelsLast is one backward pass's tables for the channels-last unpooling, in scratch.
type channelsLast struct {
	dy, arg []float32 // one image's pooled gradient and argmax, [window][channel]
	win     []int32   // each window's top-left pixel
}

// channelsLastSize is the scratch the tables take.
func (c Conv2D) channelsLastSize() int {
	q := c.PoolOutH() * c.PoolOutW()
	return 2*c.K*q + q
}

// channelsLastTables lays out the tables in scratch (channelsLastSize values); ok is false
// where the CPU lacks the kernel or K is not a multiple of its 16 lanes.
func (c Conv2D) channelsLastTables(scratch []float32) (t channelsLast, ok bool) {
	if unpoolChannelsLast == nil || c.K%16 != 0 {
		return t, false
	}
	ph, pw := c.PoolOutH(), c.PoolOutW()
	q := ph * pw
	t.dy, t.arg = scratch[:c.K*q], scratch[c.K*q:2*c.K*q]
	t.win = int32View(scratch[2*c.K*q : 2*c.K*q+q])
	for py := range ph {
		for px := range pw {
			t.win[py*pw+px] = int32(2*py*c.OutW() + 2*px)
		}
	}
	return t, true
}

// unpool writes one image's output gradient dyn channels-last ([OutH·OutW][K]) from its
// pooled gradient dp and argmax; false where an argmax lies outside its window, which the
// K×OutH·OutW path then scatters or reports.
func (t channelsLast) unpool(c Conv2D, dp []float32, arg []int32, dyn []float32) bool {
	q := len(t.win)
	t.dy[0] = touch(dp) + touch(float32View(arg)) // kept by the store; overwritten next
	transpose(t.dy, dp, c.K, q)
	transpose(t.arg, float32View(arg), c.K, q)
	oh, ow := c.OutH(), c.OutW()
	if ow%2 == 1 {
		for y := range oh {
			clear(dyn[(y*ow+ow-1)*c.K : (y*ow+ow)*c.K])
		}
	}
	if oh%2 == 1 {
		clear(dyn[(oh-1)*ow*c.K : oh*ow*c.K])
	}
	return unpoolChannelsLast(t.dy, t.arg, dyn, t.win, c.K, ow, oh*ow) == q
}

// float32View views an int32 slice as float32s holding the same bits, for the transpose.
func float32View(x []int32) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(x))), len(x))
}

// int32View views scratch as int32s, for the window table.
func int32View(x []float32) []int32 {
	return unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(x))), len(x))
}

// touch reads one value per cache line of x, in order, and returns their sum. The pooled
// gradient and argmax were written a layer earlier for the whole batch (6 MB on the
// reference CNN) and come from memory: read 16 rows at a time by the transpose, they took
// 4-7.5 µs an image on Zen 4; touched in order first, touch and transpose take about 2.6.
func touch(x []float32) float32 {
	var s float32
	for i := 0; i < len(x); i += 16 {
		s += x[i]
	}
	return s
}
