package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/dxtrain/dxtrain/kernels"
)

// The backward pass of a Conv2D layer is three nodes around one kernel call:
//
//	dw = conv2DGradOp(x, w, y, dy)   runs kernels.Conv2DBackward once per chunk of
//	                                  images (conv_parallel.go): dw, db and dx
//	db = convGradPart{bias}(dw)      returns the db the same call wrote
//	dx = convGradPart{input}(dw)     returns the dx the same call wrote
//
// A gorgonia node has one value, so the two other results live in buffers the grad op
// owns and the part ops hand them out; taking the dw node as their child orders them
// after the kernel call. The grad op reads y (the forward output) for the ReLU mask,
// which also keeps y live, so the tape machine does not overwrite y in place before;
// an alias of y made by a Reshape could still be (see conv2DOp.yKeep).
//
// dx is computed only when something reads the dx node: the first layer's input is
// data, and its dx is never used. The grad op decides on its first run, once the graph
// is complete (a tape machine compiles the whole graph, dead nodes included).
type conv2DGradOp struct {
	ownedOutput
	fwd            *conv2DOp
	xShape, wShape tensor.Shape
	dw, db, dx     *tensor.Dense
	masked         []float32 // dy·[y > 0] when the layer has a ReLU
	dxNode         *G.Node
	dxWanted       int8 // 0 not yet decided, 1 wanted, -1 not wanted

	task convBackward // this step's chunks, handed to kernels.Parallel without allocating
}

// convBackward is one backward pass over the chunks of a batch; its slices are set
// before each run. dx is nil when nothing reads the input's gradient.
type convBackward struct {
	op              *conv2DGradOp
	x, w, y, dy, dx []float32
}

func (t *convBackward) Run(i int) {
	op := t.op
	ch, c := op.fwd.chunks, op.fwd.geom
	xSize, ySize := c.C*c.H*c.W, op.fwd.outSize()
	dyi := ch.images(t.dy, i, ySize)
	var dxi []float32
	if t.dx != nil {
		dxi = ch.images(t.dx, i, xSize)
	}
	xi := ch.images(t.x, i, xSize)
	if op.fwd.pool {
		ch.errs[i] = kernels.Conv2DPoolBackward(ch.geoms[i], xi, t.w, dyi, ch.argmax(op.fwd.argmax, i, c), dxi, ch.dw[i], ch.db[i], ch.scratch[i])
		return
	}
	if op.fwd.relu {
		m := ch.images(op.masked, i, ySize)
		kernels.ReLUBackward(ch.images(t.y, i, ySize), dyi, m)
		dyi = m
	}
	ch.errs[i] = kernels.Conv2DBackward(ch.geoms[i], xi, t.w, dyi, dxi, ch.dw[i], ch.db[i], ch.scratch[i])
}

// convGradPart selects which extra result of a conv2DGradOp a convGradPartOp returns.
type convGradPart int

const (
	convGradBias convGradPart = iota
	convGradInput
)

func newConv2DGrad(fwd *conv2DOp, x, w, y, dy *G.Node) (G.Nodes, error) {
	c := fwd.geom
	gop := &conv2DGradOp{
		fwd:    fwd,
		xShape: x.Shape(),
		wShape: w.Shape(),
		dw:     newBuffer(w.Shape()),
		db:     newBuffer(fwd.bShape),
		dx:     newBuffer(x.Shape()),
	}
	if fwd.relu && !fwd.pool {
		gop.masked = make([]float32, c.N*c.K*c.OutH()*c.OutW())
	}
	fwd.chunks.allocGrads(c.K*c.C*c.R*c.S, c.K)
	dw, err := G.ApplyOp(gop, x, w, y, dy)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", gop, err)
	}
	// ApplyOp returns an existing node when an identical one is in the graph: the parts
	// must read the buffers of the op that node really runs.
	gop, ok := dw.Op().(*conv2DGradOp)
	if !ok {
		return nil, fmt.Errorf("conv2d grad: node %v runs %T", dw, dw.Op())
	}
	db, err := G.ApplyOp(&convGradPartOp{src: gop, part: convGradBias}, dw)
	if err != nil {
		return nil, fmt.Errorf("%v db: %w", gop, err)
	}
	dx, err := G.ApplyOp(&convGradPartOp{src: gop, part: convGradInput}, dw)
	if err != nil {
		return nil, fmt.Errorf("%v dx: %w", gop, err)
	}
	gop.dxNode = dx
	return G.Nodes{dx, dw, db}, nil
}

func (op *conv2DGradOp) Arity() int { return 4 }
func (op *conv2DGradOp) Type() hm.Type {
	t := tensorType(4)
	return hm.NewFnType(t, t, t, t, t)
}
func (op *conv2DGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.wShape.Clone(), nil
}
func (op *conv2DGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *conv2DGradOp) Hashcode() uint32      { return hashOf(op) }
func (op *conv2DGradOp) String() string {
	return fmt.Sprintf("dxConv2DGrad{%s,relu=%t,pool=%t}", convGeomString(op.fwd.geom), op.fwd.relu, op.fwd.pool)
}

// Do computes dw (returned) and, into the op's buffers, db and dx, from x, w, the
// forward output y and its gradient dy.
func (op *conv2DGradOp) Do(inputs ...G.Value) (G.Value, error) {
	c := op.fwd.geom
	if len(inputs) != 4 {
		return nil, fmt.Errorf("%v: %d inputs, want 4", op, len(inputs))
	}
	ny := c.N * op.fwd.outSize()
	x, err := denseF32(op, "x", inputs[0], c.N*c.C*c.H*c.W)
	if err != nil {
		return nil, err
	}
	w, err := denseF32(op, "w", inputs[1], c.K*c.C*c.R*c.S)
	if err != nil {
		return nil, err
	}
	y, err := denseF32(op, "y", inputs[2], ny)
	if err != nil {
		return nil, err
	}
	dy, err := denseF32(op, "dy", inputs[3], ny)
	if err != nil {
		return nil, err
	}
	if op.fwd.xKeep != nil {
		x = op.fwd.xKeep
	}
	if op.fwd.relu && op.fwd.yKeep != nil {
		y = op.fwd.yKeep
	}
	var dx []float32
	if op.wantDX() {
		dx = op.dx.Float32s()
	}
	for _, r := range [...]struct {
		t *tensor.Dense
		s tensor.Shape
	}{{op.dw, op.wShape}, {op.db, op.fwd.bShape}, {op.dx, op.xShape}} {
		if err := restoreShape(r.t, r.s); err != nil {
			return nil, fmt.Errorf("%v: %w", op, err)
		}
	}
	ch := op.fwd.chunks
	op.task = convBackward{op: op, x: x, w: w, y: y, dy: dy, dx: dx}
	err = ch.run(&op.task)
	op.task = convBackward{} // do not hold this step's arrays
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	if err := kernels.SumParts(op.dw.Float32s(), ch.dw); err != nil {
		return nil, fmt.Errorf("%v: dw: %w", op, err)
	}
	if err := kernels.SumParts(op.db.Float32s(), ch.db); err != nil {
		return nil, fmt.Errorf("%v: db: %w", op, err)
	}
	return op.dw, nil
}

// wantDX reports whether any node reads dx: a consumer in the graph, or a Grad call
// that asked for the gradient of the layer's input (dx is then the input's derivative).
func (op *conv2DGradOp) wantDX() bool {
	if op.dxWanted == 0 {
		op.dxWanted = -1
		n := op.dxNode
		if n == nil || len(n.DerivOf()) > 0 || n.Graph() == nil || n.Graph().To(n.ID()).Len() > 0 {
			op.dxWanted = 1
		}
	}
	return op.dxWanted > 0
}

// convGradPartOp hands out db or dx of the conv2DGradOp whose dw node is its input.
type convGradPartOp struct {
	ownedOutput
	src  *conv2DGradOp
	part convGradPart
}

func (op *convGradPartOp) out() *tensor.Dense {
	if op.part == convGradBias {
		return op.src.db
	}
	return op.src.dx
}

func (op *convGradPartOp) shape() tensor.Shape {
	if op.part == convGradBias {
		return op.src.fwd.bShape
	}
	return op.src.xShape
}

func (op *convGradPartOp) Arity() int { return 1 }
func (op *convGradPartOp) Type() hm.Type {
	return hm.NewFnType(tensorType(4), tensorType(len(op.shape())))
}
func (op *convGradPartOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.shape().Clone(), nil
}
func (op *convGradPartOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *convGradPartOp) Hashcode() uint32      { return hashOf(op) }
func (op *convGradPartOp) String() string {
	name := "db"
	if op.part == convGradInput {
		name = "dx"
	}
	return fmt.Sprintf("%v.%s", op.src, name)
}

// Do returns the buffer the grad op filled when it ran, just before.
func (op *convGradPartOp) Do(inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 1 {
		return nil, fmt.Errorf("%v: %d inputs, want 1", op, len(inputs))
	}
	return op.out(), nil
}
