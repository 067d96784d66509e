package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/dxtrain/dxtrain/kernels"
)

// Dense is y = act(x·Wᵀ + b) as one gorgonia op: one SGEMM with the bias and the ReLU in
// its epilogue, instead of gorgonia's MatMul, BroadcastAdd and Rectify, which each
// allocate and sweep the activations. x is [batch, ...] (a 4-D input is flattened, so a
// Flatten layer before Dense costs nothing), W is [out, in] (PyTorch's Linear layout),
// b is [out].
//
// W is stored [out, in] so that the forward's column cut of y, the weight gradient's row
// cut and the optimizer's cut of the flat array all give a core the same output units:
// with [in, out], the forward's columns were every row's halves, and a quarter of W and
// of its gradient crossed between the cores at every step.
//
// inputGrad says whether the gradient with respect to x is wanted: the first layer's
// input is data, and skipping its dX saves the largest product of the backward pass.
func Dense(x, w, b *G.Node, relu, inputGrad bool) (*G.Node, error) {
	xs, ws, bs := x.Shape(), w.Shape(), b.Shape()
	if len(xs) < 2 || len(ws) != 2 || len(bs) != 1 {
		return nil, fmt.Errorf("dense: shapes x %v, W %v, b %v; want [batch, ...], [out, in], [out]", xs, ws, bs)
	}
	batch, in := xs[0], xs.TotalSize()/xs[0]
	if ws[1] != in || bs[0] != ws[0] {
		return nil, fmt.Errorf("dense: x %v has %d features per sample, W is %v, b is %v", xs, in, ws, bs)
	}
	op := &denseOp{batch: batch, in: in, out: ws[0], xDims: len(xs), relu: relu, inputGrad: inputGrad}
	op.y = newBuffer(tensor.Shape{batch, op.out})
	return G.ApplyOp(op, x, w, b)
}

type denseOp struct {
	ownedOutput
	batch, in, out int
	xDims          int
	relu           bool
	inputGrad      bool
	y              *tensor.Dense
	epilogue       kernels.BiasActivationEpilogue
}

func (op *denseOp) Arity() int { return 3 }
func (op *denseOp) Type() hm.Type {
	return hm.NewFnType(tensorType(op.xDims), tensorType(2), tensorType(1), tensorType(2))
}
func (op *denseOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.batch, op.out}, nil
}
func (op *denseOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *denseOp) Hashcode() uint32      { return hashOf(op) }
func (op *denseOp) String() string {
	return fmt.Sprintf("dxDense{%d×%d→%d,relu=%t,dx=%t}", op.batch, op.in, op.out, op.relu, op.inputGrad)
}

func (op *denseOp) Do(inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 3 {
		return nil, fmt.Errorf("%v: %d inputs, want 3", op, len(inputs))
	}
	x, err := float32s(op, "x", inputs[0])
	if err != nil {
		return nil, err
	}
	w, err := float32s(op, "W", inputs[1])
	if err != nil {
		return nil, err
	}
	b, err := float32s(op, "b", inputs[2])
	if err != nil {
		return nil, err
	}
	if len(x) != op.batch*op.in || len(w) != op.in*op.out || len(b) != op.out {
		return nil, fmt.Errorf("%v: inputs of %d, %d and %d values", op, len(x), len(w), len(b))
	}
	y := op.y.Float32s()
	op.epilogue = kernels.BiasActivationEpilogue{Bias: b, ReLU: op.relu}
	kernels.SgemmCut(kernels.CutColumns, false, true, op.batch, op.out, op.in, 1, x, op.in, w, op.in, 0, y, op.out, &op.epilogue)
	op.epilogue.Bias = nil
	return op.y, nil
}

func (op *denseOp) DiffWRT(int) []bool { return []bool{op.inputGrad, true, true} }

// SymDiff builds the backward pass: dZ = dY masked by y > 0 (for ReLU), dW = dZᵀ·x cut
// into rows (see Dense), db = Σ_rows dZ and, when wanted, dX = dZ·W shaped like x. When
// x is the ReLU output of another dense layer, dX is masked by x in its product's
// epilogue, and that layer takes it as its dZ instead of masking it in a pass of its own.
func (op *denseOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	x, w := inputs[0], inputs[1]
	dz := grad
	if op.relu && !maskedBy(grad, output) {
		var err error
		if dz, err = G.ApplyOp(newActivationGrad(ReLU, output.Shape()), output, grad); err != nil {
			return nil, fmt.Errorf("%v: relu mask: %w", op, err)
		}
	}
	dwOp := newMatMul(true, false, op.out, op.in, op.batch, dz, x, tensor.Shape{op.out, op.in})
	dwOp.cut = kernels.CutRows
	dw, err := G.ApplyOp(dwOp, dz, x)
	if err != nil {
		return nil, fmt.Errorf("%v: dW: %w", op, err)
	}
	sumOp := newColumnSum(op.batch, op.out)
	if mm, ok := dz.Op().(*matMulOp); ok {
		mm.writeColumnSums(sumOp)
	}
	db, err := G.ApplyOp(sumOp, dz)
	if err != nil {
		return nil, fmt.Errorf("%v: db: %w", op, err)
	}
	var dx *G.Node
	if op.inputGrad {
		mm := newMatMul(false, false, op.batch, op.in, op.out, dz, w, x.Shape())
		args := G.Nodes{dz, w}
		if below, ok := x.Op().(*denseOp); ok && below.relu {
			args = append(args, x)
			mm.maskedBy = x
		}
		if dx, err = G.ApplyOp(mm, args...); err != nil {
			return nil, fmt.Errorf("%v: dX: %w", op, err)
		}
	}
	return G.Nodes{dx, dw, db}, nil
}

// maskedBy reports whether grad is a product already masked by the ReLU output relu.
// Masking is idempotent, so a gradient that sums a masked product with others (an output
// read twice) is not masked by y here and gets the ordinary mask, which is still right.
func maskedBy(grad, relu *G.Node) bool {
	mm, ok := grad.Op().(*matMulOp)
	return ok && mm.maskedBy == relu
}

// columnSumOp is db = Σ_rows dZ, the bias gradient of Dense. When dZ is an input-gradient
// product masked by this layer's ReLU, the product sums its columns as it computes them
// (writeColumnSums) and the op only hands the sums on.
type columnSumOp struct {
	ownedOutput
	rows, cols int
	out        *tensor.Dense
	summedBy   *matMulOp // the product that writes out, or nil
}

func newColumnSum(rows, cols int) *columnSumOp {
	return &columnSumOp{rows: rows, cols: cols, out: newBuffer(tensor.Shape{cols})}
}

func (op *columnSumOp) Arity() int    { return 1 }
func (op *columnSumOp) Type() hm.Type { return hm.NewFnType(tensorType(2), tensorType(1)) }
func (op *columnSumOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.cols}, nil
}
func (op *columnSumOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *columnSumOp) Hashcode() uint32      { return hashOf(op) }
func (op *columnSumOp) String() string        { return fmt.Sprintf("dxColumnSum{%d×%d}", op.rows, op.cols) }

func (op *columnSumOp) Do(inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 1 {
		return nil, fmt.Errorf("%v: %d inputs, want 1", op, len(inputs))
	}
	dz, err := float32s(op, "dz", inputs[0])
	if err != nil {
		return nil, err
	}
	if len(dz) != op.rows*op.cols {
		return nil, fmt.Errorf("%v: input of %d values, want %d", op, len(dz), op.rows*op.cols)
	}
	if op.summedBy == nil {
		kernels.ColumnSums(dz, op.out.Float32s())
	}
	return op.out, nil
}
