package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/dxtrain/dxtrain/kernels"
)

// MaxPool2x2 is 2×2 max-pooling with stride 2 over an NCHW float32 tensor x [N, C, H, W],
// giving [N, C, ⌊H/2⌋, ⌊W/2⌋] as PyTorch's MaxPool2d(2) does (a trailing odd row or
// column is dropped), by kernels.MaxPool2x2Forward. It replaces gorgonia's MaxPool2D,
// whose generic loops and per-step allocations dominate the CNN's step.
func MaxPool2x2(x *G.Node) (*G.Node, error) {
	if x == nil {
		return nil, fmt.Errorf("maxpool 2x2: x is required")
	}
	xs := x.Shape()
	if len(xs) != 4 || xs[0] < 1 || xs[1] < 1 || xs[2] < 2 || xs[3] < 2 {
		return nil, fmt.Errorf("maxpool 2x2: x has shape %v, want [N, C, H, W] with H and W at least 2: %w", xs, kernels.ErrShape)
	}
	if x.Dtype() != tensor.Float32 {
		return nil, fmt.Errorf("maxpool 2x2: x is %v, want float32", x.Dtype())
	}
	op := &maxPool2x2Op{n: xs[0], c: xs[1], h: xs[2], w: xs[3], xShape: xs.Clone()}
	op.yShape = tensor.Shape{op.n, op.c, op.h / 2, op.w / 2}
	op.y = newBuffer(op.yShape)
	op.argmax = make([]int32, op.y.Size())
	y, err := G.ApplyOp(op, x)
	if err != nil {
		return nil, fmt.Errorf("maxpool 2x2 %v: %w", op, err)
	}
	return y, nil
}

// maxPool2x2Op owns its output and the argmax of the last forward run, which the
// gradient op reads through a pointer to this op, as gorgonia's own MaxPool2D keeps its
// mask in the op. It is safe because the gradient node takes the forward output node as
// a child, so in every tape run the backward reads the argmax of the same run's forward;
// two machines must not run the same graph at once (the same holds for gorgonia's op).
type maxPool2x2Op struct {
	ownedOutput
	n, c, h, w     int
	xShape, yShape tensor.Shape
	y              *tensor.Dense
	argmax         []int32
}

func (op *maxPool2x2Op) Arity() int    { return 1 }
func (op *maxPool2x2Op) Type() hm.Type { return hm.NewFnType(tensorType(4), tensorType(4)) }
func (op *maxPool2x2Op) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.yShape.Clone(), nil
}
func (op *maxPool2x2Op) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *maxPool2x2Op) Hashcode() uint32      { return hashOf(op) }
func (op *maxPool2x2Op) String() string {
	return fmt.Sprintf("dxMaxPool2x2{%d×%d×%d×%d}", op.n, op.c, op.h, op.w)
}

func (op *maxPool2x2Op) Do(inputs ...G.Value) (G.Value, error) {
	if err := op.forward(op.y, inputs); err != nil {
		return nil, err
	}
	return op.y, nil
}

func (op *maxPool2x2Op) forward(out *tensor.Dense, inputs []G.Value) error {
	if len(inputs) != 1 {
		return fmt.Errorf("%v: %d inputs, want 1", op, len(inputs))
	}
	x, err := denseF32(op, "x", inputs[0], op.n*op.c*op.h*op.w)
	if err != nil {
		return err
	}
	if err := restoreShape(out, op.yShape); err != nil {
		return fmt.Errorf("%v: %w", op, err)
	}
	if err := kernels.MaxPool2x2Forward(op.n, op.c, op.h, op.w, x, out.Float32s(), op.argmax); err != nil {
		return fmt.Errorf("%v: %w", op, err)
	}
	return nil
}

func (op *maxPool2x2Op) DiffWRT(int) []bool { return []bool{true} }

// SymDiff builds dx = maxPool2x2GradOp(y, dy): y is not read, but as a child it orders
// the backward after this run's forward, whose argmax it uses.
func (op *maxPool2x2Op) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != 1 {
		return nil, fmt.Errorf("%v: %d inputs, want 1", op, len(inputs))
	}
	gop := &maxPool2x2GradOp{fwd: op, dx: newBuffer(inputs[0].Shape())}
	dx, err := G.ApplyOp(gop, output, grad)
	if err != nil {
		return nil, fmt.Errorf("%v: gradient: %w", op, err)
	}
	return G.Nodes{dx}, nil
}

// maxPool2x2GradOp scatters dy onto dx through the forward op's argmax.
type maxPool2x2GradOp struct {
	ownedOutput
	fwd *maxPool2x2Op
	dx  *tensor.Dense
}

func (op *maxPool2x2GradOp) Arity() int { return 2 }
func (op *maxPool2x2GradOp) Type() hm.Type {
	return hm.NewFnType(tensorType(4), tensorType(4), tensorType(4))
}
func (op *maxPool2x2GradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.fwd.xShape.Clone(), nil
}
func (op *maxPool2x2GradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *maxPool2x2GradOp) Hashcode() uint32      { return hashOf(op) }
func (op *maxPool2x2GradOp) String() string        { return fmt.Sprintf("%vGrad", op.fwd) }

func (op *maxPool2x2GradOp) Do(inputs ...G.Value) (G.Value, error) {
	f := op.fwd
	if len(inputs) != 2 {
		return nil, fmt.Errorf("%v: %d inputs, want 2", op, len(inputs))
	}
	dy, err := denseF32(op, "dy", inputs[1], len(f.argmax))
	if err != nil {
		return nil, err
	}
	if err := restoreShape(op.dx, op.fwd.xShape); err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	if err := kernels.MaxPool2x2Backward(f.n, f.c, f.h, f.w, dy, f.argmax, op.dx.Float32s()); err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	return op.dx, nil
}
