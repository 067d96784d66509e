package kernels

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"
)

// MaxPool2x2Forward pools each 2×2 window (stride 2) of x (N×C×H×W, NCHW) into y
// (N×C×⌊H/2⌋×⌊W/2⌋), as PyTorch's MaxPool2d(2): a trailing odd row or column is dropped,
// the first of equal maxima wins and a NaN wins (the last NaN of a window, like PyTorch). argmax (same length as y) receives the
// index into x of each chosen element, for MaxPool2x2Backward. Planes are split over
// Threads() goroutines; each output depends on its window only, so threads change nothing.
func MaxPool2x2Forward(n, c, h, w int, x, y []float32, argmax []int32) error {
	return maxPool2x2Forward(n, c, h, w, x, y, argmax, false)
}

// MaxPool2x2ReLUForward is MaxPool2x2Forward followed by a ReLU on y, the pooling of a
// layer whose ReLU comes before it: max commutes with the ReLU, so pooling first gives the
// same y as maxpool(relu(x)) on a quarter of the values (with a NaN in a window, y is 0
// here and the window's other maximum there). An output the ReLU zeroes gets argmax −1:
// no gradient flows through it, which is the ReLU's gradient.
func MaxPool2x2ReLUForward(n, c, h, w int, x, y []float32, argmax []int32) error {
	return maxPool2x2Forward(n, c, h, w, x, y, argmax, true)
}

func maxPool2x2Forward(n, c, h, w int, x, y []float32, argmax []int32, relu bool) error {
	if err := checkPool(n, c, h, w, x, len(y), len(argmax)); err != nil {
		return err
	}
	p := poolCalls.Get().(*poolCall)
	p.poolArgs = poolArgs{planes: n * c, h: h, w: w, relu: relu, x: x, y: y, arg: argmax, v: pool}
	p.run()
	p.poolArgs = poolArgs{}
	poolCalls.Put(p)
	return nil
}

// MaxPool2x2ReLUBackward is MaxPool2x2Backward for MaxPool2x2ReLUForward: an argmax of −1
// passes no gradient.
func MaxPool2x2ReLUBackward(n, c, h, w int, dy []float32, argmax []int32, dx []float32) error {
	return maxPool2x2Backward(n, c, h, w, dy, argmax, dx, true)
}

// MaxPool2x2Backward overwrites dx (N×C×H×W) with the gradient of the pooling whose argmax
// MaxPool2x2Forward recorded: each dy element goes to the input element it was taken from,
// which must lie in the same plane.
func MaxPool2x2Backward(n, c, h, w int, dy []float32, argmax []int32, dx []float32) error {
	return maxPool2x2Backward(n, c, h, w, dy, argmax, dx, false)
}

func maxPool2x2Backward(n, c, h, w int, dy []float32, argmax []int32, dx []float32, relu bool) error {
	if err := checkPool(n, c, h, w, dx, len(dy), len(argmax)); err != nil {
		return err
	}
	p := poolCalls.Get().(*poolCall)
	p.poolArgs = poolArgs{planes: n * c, h: h, w: w, backward: true, relu: relu, dy: dy, dx: dx, arg: argmax, v: pool}
	p.bad.Store(0)
	p.run()
	bad := int(p.bad.Load()) - 1
	p.poolArgs = poolArgs{}
	poolCalls.Put(p)
	if bad >= 0 {
		return fmt.Errorf("maxpool backward: argmax[%d] = %d lies outside its %d×%d input plane: %w", bad, argmax[bad], h, w, ErrShape)
	}
	return nil
}

// poolCall is one max-pool pass, forward or backward, shared by the goroutines working on
// it; pooled so that a call allocates nothing.
type poolCall struct {
	poolArgs
	parts
	bad atomic.Int64 // 1 + index of the first argmax outside its plane, or 0
}

// poolArgs is one max-pool pass as its parts see it.
type poolArgs struct {
	chunks, per  int // number of parts, planes per part
	planes, h, w int
	backward     bool
	relu         bool // a ReLU after the pooling: zero outputs get argmax −1 and pass no gradient
	v            poolVersion
	x, y, dy, dx []float32
	arg          []int32
}

// poolVersion is one implementation of the 2×2 max-pool's loops over whole planes.
type poolVersion struct {
	name string
	// forward pools the planes [lo,hi) of p.x into p.y and p.arg, with the ReLU if p.relu.
	forward func(p *poolArgs, lo, hi int)
	// unpoolReLU writes p.dx of the planes [lo,hi) of a pooling with the ReLU, in order,
	// from each element's window: dy where the window's argmax is that element, else +0.
	// It returns hi, or the first plane it leaves to the scatter (one with an argmax that
	// is neither −1 nor in its own window). The scatter added dy to a cleared plane, so a
	// chosen element must get +0 + dy (−0 becomes +0, a signalling NaN quiet).
	unpoolReLU func(p *poolArgs, lo, hi int) int
}

// pool is the fastest version this CPU runs.
var pool = poolVersions()[0]

var poolCalls = sync.Pool{New: func() any { return new(poolCall) }}

// minParallelPool is the input size below which pooling stays on the calling goroutine.
const minParallelPool = 1 << 16

func (p *poolCall) run() {
	threads := Threads()
	if p.planes*p.h*p.w < minParallelPool {
		threads = 1
	}
	p.chunks = min(p.planes, threads*tilesPerThread)
	p.per = (p.planes + p.chunks - 1) / p.chunks
	p.chunks = (p.planes + p.per - 1) / p.per
	runParallel(p, &p.parts, p.chunks, min(threads, p.chunks)-1)
}

// help pools unclaimed groups of planes until none is left.
func (p *poolCall) help(g int, _ *packBuf) {
	for {
		i, ok := p.claim(g)
		if !ok {
			return
		}
		p.planeRange(i*p.per, min(p.planes, (i+1)*p.per))
	}
}

// planeRange pools or unpools the planes [lo,hi).
func (p *poolCall) planeRange(lo, hi int) {
	if p.backward {
		p.backwardPlanes(lo, hi)
	} else {
		p.v.forward(&p.poolArgs, lo, hi)
	}
}

// backwardPlanes writes dx for the planes [lo,hi). With the ReLU, the version's unpooling
// does the planes whose argmax all lie in their own windows (or are −1), as the forward
// leaves them; a plane with any other argmax takes the scatter below, which adds up
// whatever in-plane indices it finds and reports the first outside its plane (which also
// keeps goroutines on disjoint parts of dx).
func (p *poolCall) backwardPlanes(lo, hi int) {
	hw, ohw := p.h*p.w, (p.h/2)*(p.w/2)
	for plane := lo; plane < hi; plane++ {
		if p.relu {
			if plane = p.v.unpoolReLU(&p.poolArgs, plane, hi); plane == hi {
				return
			}
		}
		dx := p.dx[plane*hw : (plane+1)*hw]
		clear(dx)
		base := plane * hw
		if p.relu {
			p.backwardReLUPlane(plane, dx)
			continue
		}
		for i := plane * ohw; i < (plane+1)*ohw; i++ {
			j := int(p.arg[i]) - base
			if j < 0 || j >= hw {
				p.bad.CompareAndSwap(0, int64(i)+1)
				continue
			}
			dx[j] += p.dy[i]
		}
	}
}

// backwardReLUPlane is backwardPlanes' loop for one plane of a pooling with a ReLU, where
// an argmax of −1 passes no gradient. Branch-free like reluPooled: such an output adds +0
// to the plane's first element instead of being skipped, which changes no bits there (the
// plane starts at +0 and a sum from +0 is never −0, so adding +0 is exact).
func (p *poolCall) backwardReLUPlane(plane int, dx []float32) {
	hw, ohw := p.h*p.w, (p.h/2)*(p.w/2)
	base := plane * hw
	for i := plane * ohw; i < (plane+1)*ohw; i++ {
		a := p.arg[i]
		dead := a >> 31 // all ones for −1
		j := int(a&^dead) - base&^int(dead)
		if j < 0 || j >= hw || a < -1 {
			p.bad.CompareAndSwap(0, int64(i)+1)
			continue
		}
		dx[j] += math.Float32frombits(math.Float32bits(p.dy[i]) &^ uint32(dead))
	}
}

// checkPool validates the sizes of a 2×2 max-pool over an N×C×H×W tensor.
func checkPool(n, c, h, w int, x []float32, lenY, lenArg int) error {
	if n < 1 || c < 1 || h < 2 || w < 2 {
		return fmt.Errorf("maxpool 2x2 input %d×%d×%d×%d: batch and channels at least 1, height and width at least 2: %w", n, c, h, w, ErrShape)
	}
	if n*c*h*w > math.MaxInt32 {
		return fmt.Errorf("maxpool 2x2 input %d×%d×%d×%d: more elements than int32 argmax indices reach: %w", n, c, h, w, ErrShape)
	}
	if len(x) != n*c*h*w {
		return fmt.Errorf("maxpool 2x2 input: length %d, want %d: %w", len(x), n*c*h*w, ErrShape)
	}
	if want := n * c * (h / 2) * (w / 2); lenY != want || lenArg != want {
		return fmt.Errorf("maxpool 2x2 output and argmax: lengths %d and %d, want %d: %w", lenY, lenArg, want, ErrShape)
	}
	return nil
}

// MaxPoolReference is the generic max-pool (any window and stride, no padding) that the
// 2×2 version is tested against; it returns y (N×C×OH×OW) and, for the backward reference,
// the index of each maximum, found by scanning the window row by row with PyTorch's rule:
// a later element wins if it is greater or NaN.
func MaxPoolReference(n, c, h, w, window, stride int, x []float32) (y []float32, argmax []int) {
	oh, ow := (h-window)/stride+1, (w-window)/stride+1
	y = make([]float32, n*c*oh*ow)
	argmax = make([]int, len(y))
	for plane := range n * c {
		for oy := range oh {
			for ox := range ow {
				bi := -1
				for dy := range window {
					for dx := range window {
						i := plane*h*w + (oy*stride+dy)*w + ox*stride + dx
						if bi < 0 || x[i] > x[bi] || x[i] != x[i] {
							bi = i
						}
					}
				}
				o := (plane*oh+oy)*ow + ox
				y[o], argmax[o] = x[bi], bi
			}
		}
	}
	return y, argmax
}
