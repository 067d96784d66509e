package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/dxtrain/dxtrain/kernels"
)

// Conv2D is y = act(conv(x, w) + b) over NCHW float32 tensors as one gorgonia op, by
// kernels.Conv2DForward: im2col and our SGEMM, the bias folded into the product and, when
// relu is set, the ReLU applied to each image's output while it is in cache. x is
// [N, C, H, W], w is [K, C, R, S], b holds K values in any shape ([K] or [1, K, 1, 1]);
// stride and pad apply to both directions. It replaces gorgonia's Conv2d, BroadcastAdd
// and Rectify, which each allocate and sweep the activations every step. Its gradient is
// one backward op per layer (see conv_grad.go).
func Conv2D(x, w, b *G.Node, pad, stride int, relu bool) (*G.Node, error) {
	return conv2D(x, w, b, pad, stride, relu, false)
}

// Conv2DReLUPool is Conv2D with the ReLU followed by 2×2 max-pooling with stride 2, the
// CNN's block, as one op: y = maxpool2x2(relu(conv(x, w) + b)), [N, K, ⌊OutH/2⌋, ⌊OutW/2⌋].
// kernels.Conv2DPoolForward pools each image's convolution output right after its product
// (and the backward unpools each image's gradient right before its products), while they
// are in cache; the results are those of Conv2D and MaxPool2x2 bit for bit.
func Conv2DReLUPool(x, w, b *G.Node, pad, stride int) (*G.Node, error) {
	return conv2D(x, w, b, pad, stride, true, true)
}

func conv2D(x, w, b *G.Node, pad, stride int, relu, pool bool) (*G.Node, error) {
	if x == nil || w == nil || b == nil {
		return nil, fmt.Errorf("conv2d: x, w and b are all required")
	}
	xs, ws, bs := x.Shape(), w.Shape(), b.Shape()
	if len(xs) != 4 || len(ws) != 4 || xs[1] != ws[1] || bs.TotalSize() != ws[0] {
		return nil, fmt.Errorf("conv2d: shapes x %v, w %v, b %v; want [N, C, H, W], [K, C, R, S] and K values: %w", xs, ws, bs, kernels.ErrShape)
	}
	for _, n := range []*G.Node{x, w, b} {
		if n.Dtype() != tensor.Float32 {
			return nil, fmt.Errorf("conv2d: %s is %v, want float32", n.Name(), n.Dtype())
		}
	}
	geom := kernels.Conv2D{N: xs[0], C: xs[1], H: xs[2], W: xs[3], K: ws[0], R: ws[2], S: ws[3], Stride: stride, Pad: pad}
	if err := geom.Validate(); err != nil {
		return nil, fmt.Errorf("conv2d: %w", err)
	}
	op := &conv2DOp{geom: geom, relu: relu, pool: pool, bShape: bs.Clone(), chunks: newConvChunks(geom, pool)}
	op.yShape = tensor.Shape{geom.N, geom.K, geom.OutH(), geom.OutW()}
	if pool {
		if geom.PoolOutH() < 1 || geom.PoolOutW() < 1 {
			return nil, fmt.Errorf("conv2d: output %d×%d is smaller than the 2×2 pool: %w", geom.OutH(), geom.OutW(), kernels.ErrShape)
		}
		op.yShape = tensor.Shape{geom.N, geom.K, geom.PoolOutH(), geom.PoolOutW()}
		op.argmax = make([]int32, op.yShape.TotalSize())
	}
	op.y = newBuffer(op.yShape)
	y, err := G.ApplyOp(op, x, w, b)
	if err != nil {
		return nil, fmt.Errorf("conv2d %v: %w", op, err)
	}
	if yop, ok := y.Op().(*conv2DOp); ok && yop.self == nil {
		yop.self, yop.xNode = y, x // of the op really run, when ApplyOp found an identical one
	}
	return y, nil
}

// conv2DOp is the forward convolution. It owns its output y and its im2col scratch,
// allocated once with the graph (see the package doc). The backward op shares the chunks and their scratch
// (forward and backward of one layer never run at the same time).
type conv2DOp struct {
	ownedOutput
	geom   kernels.Conv2D
	relu   bool
	pool   bool    // the output is 2×2 max-pooled after the ReLU (Conv2DReLUPool)
	argmax []int32 // with pool: the last forward's choice per output, for the backward
	bShape tensor.Shape
	yShape tensor.Shape
	y      *tensor.Dense
	chunks *convChunks

	// The grad op reads x (for dw) and y (for the ReLU mask). Gorgonia's Reshape returns
	// a shallow clone sharing its input's array, and an op after it may then overwrite
	// that array in place (the tape machine does not track the alias), corrupting x or y
	// before the backward. When a consumer of x or y may alias it, the op keeps a private
	// copy for the grad op, decided on the first run, once the graph is complete.
	self, xNode  *G.Node
	keepDecided  bool
	xKeep, yKeep []float32

	task convForward // this step's chunks, handed to kernels.Parallel without allocating
}

// convForward is one forward pass over the chunks of a batch; its slices are set
// before each run.
type convForward struct {
	op         *conv2DOp
	x, w, b, y []float32
}

func (t *convForward) Run(i int) {
	op := t.op
	ch, c := op.chunks, op.geom
	yi := ch.images(t.y, i, op.outSize())
	xi := ch.images(t.x, i, c.C*c.H*c.W)
	if op.pool {
		ch.errs[i] = kernels.Conv2DPoolForward(ch.geoms[i], xi, t.w, t.b, yi, ch.argmax(op.argmax, i, c), ch.scratch[i])
		return
	}
	g := ch.geoms[i]
	g.ReLU = op.relu
	ch.errs[i] = kernels.Conv2DForward(g, xi, t.w, t.b, yi, ch.scratch[i])
}

// outSize is the number of output values per image.
func (op *conv2DOp) outSize() int { return op.yShape[1] * op.yShape[2] * op.yShape[3] }

func (op *conv2DOp) Arity() int { return 3 }
func (op *conv2DOp) Type() hm.Type {
	return hm.NewFnType(tensorType(4), tensorType(4), tensorType(len(op.bShape)), tensorType(4))
}
func (op *conv2DOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.yShape.Clone(), nil }
func (op *conv2DOp) WriteHash(h hash.Hash)                          { fmt.Fprint(h, op.String()) }
func (op *conv2DOp) Hashcode() uint32                               { return hashOf(op) }
func (op *conv2DOp) String() string {
	return fmt.Sprintf("dxConv2D{%s,relu=%t,pool=%t,b=%v}", convGeomString(op.geom), op.relu, op.pool, op.bShape)
}

// convGeomString names every field of a convolution's geometry, so that the hashes of
// ops with different geometry differ.
func convGeomString(c kernels.Conv2D) string {
	return fmt.Sprintf("x=%d×%d×%d×%d,w=%d×%d×%d×%d,stride=%d,pad=%d", c.N, c.C, c.H, c.W, c.K, c.C, c.R, c.S, c.Stride, c.Pad)
}

func (op *conv2DOp) Do(inputs ...G.Value) (G.Value, error) {
	if err := op.forward(op.y, inputs); err != nil {
		return nil, err
	}
	return op.y, nil
}

func (op *conv2DOp) forward(out *tensor.Dense, inputs []G.Value) error {
	c := op.geom
	if len(inputs) != 3 {
		return fmt.Errorf("%v: %d inputs, want 3", op, len(inputs))
	}
	x, err := denseF32(op, "x", inputs[0], c.N*c.C*c.H*c.W)
	if err != nil {
		return err
	}
	w, err := denseF32(op, "w", inputs[1], c.K*c.C*c.R*c.S)
	if err != nil {
		return err
	}
	b, err := denseF32(op, "b", inputs[2], c.K)
	if err != nil {
		return err
	}
	if err := restoreShape(out, op.yShape); err != nil {
		return fmt.Errorf("%v: %w", op, err)
	}
	y := out.Float32s()
	op.task = convForward{op: op, x: x, w: w, b: b, y: y}
	err = op.chunks.run(&op.task)
	op.task = convForward{} // do not hold this step's arrays
	if err != nil {
		return fmt.Errorf("%v: %w", op, err)
	}
	op.decideKeep()
	if op.xKeep != nil {
		copy(op.xKeep, x)
	}
	if op.yKeep != nil {
		copy(op.yKeep, y)
	}
	return nil
}

// decideKeep allocates the private copies of x and y (see conv2DOp.yKeep) that the
// graph needs: none when every consumer returns a new value, as in the CNN.
func (op *conv2DOp) decideKeep() {
	if op.keepDecided {
		return
	}
	op.keepDecided = true
	if op.relu && !op.pool && mayBeAliased(op.self) {
		op.yKeep = make([]float32, op.y.Size())
	}
	if mayBeAliased(op.xNode) {
		c := op.geom
		op.xKeep = make([]float32, c.N*c.C*c.H*c.W)
	}
}

// mayBeAliased reports whether a consumer of n may return a value sharing n's array
// (an op whose ReturnsPtr is true, such as Reshape). Without one, liveness analysis keeps
// n's value intact for as long as a later node reads it.
func mayBeAliased(n *G.Node) bool {
	if n == nil || n.Graph() == nil {
		return false
	}
	for it := n.Graph().To(n.ID()); it.Next(); {
		if p, ok := it.Node().(*G.Node); ok && p.Op() != nil && p.Op().ReturnsPtr() {
			return true
		}
	}
	return false
}

func (op *conv2DOp) DiffWRT(int) []bool { return []bool{true, true, true} }

// SymDiff builds the backward pass of the layer; see newConv2DGrad.
func (op *conv2DOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != 3 {
		return nil, fmt.Errorf("%v: %d inputs, want 3", op, len(inputs))
	}
	return newConv2DGrad(op, inputs[0], inputs[1], output, grad)
}

// denseF32 is float32s with a check that there are want values.
func denseF32(op fmt.Stringer, input string, v G.Value, want int) ([]float32, error) {
	d, err := float32s(op, input, v)
	if err != nil {
		return nil, err
	}
	if len(d) != want {
		return nil, fmt.Errorf("%v: input %s has %d values, want %d: %w", op, input, len(d), want, kernels.ErrShape)
	}
	return d, nil
}

// restoreShape gives an op-owned buffer back its shape: gorgonia's Reshape may reshape
// its input in place (UnsafeDo), and the buffer is returned again next step.
func restoreShape(t *tensor.Dense, shape tensor.Shape) error {
	if t.Shape().Eq(shape) {
		return nil
	}
	if err := t.Reshape(shape...); err != nil {
		return fmt.Errorf("restore output shape %v: %w", shape, err)
	}
	return nil
}
