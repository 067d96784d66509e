package ops

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/dxtrain/dxtrain/kernels"
)

// tensorType is the gorgonia type of a float32 tensor of dims dimensions.
func tensorType(dims int) hm.Type { return G.TensorType{Dims: dims, Of: tensor.Float32} }

// newBuffer allocates an op's own output. Ops in this package write every output into
// a buffer allocated once with the graph, never per step: the tape machine binds the
// returned tensor to the node, so the step loop allocates nothing for them.
func newBuffer(shape tensor.Shape) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape.Clone()...), tensor.Of(tensor.Float32))
}

// float32s returns the row-major float32 values of a tensor value, or an error naming
// the op and the input when the value is something else. A strided view is materialised
// (a copy), which the ops' own outputs never need; a whole *tensor.Dense is read without
// allocating (its Data method allocates a slice header every call).
func float32s(op fmt.Stringer, input string, v G.Value) ([]float32, error) {
	switch t := v.(type) {
	case *Input:
		if t.x == nil {
			return nil, fmt.Errorf("%v: input %s has no batch bound", op, input)
		}
		return t.x, nil
	case *tensor.Dense:
		if t.Dtype() == tensor.Float32 && !t.IsScalar() {
			if t.IsView() {
				return t.Materialize().Data().([]float32), nil
			}
			return t.Float32s(), nil
		}
	case tensor.Tensor:
		if d, ok := t.Data().([]float32); ok {
			return d, nil
		}
	}
	return nil, fmt.Errorf("%v: input %s is %T, want a float32 tensor", op, input, v)
}

// scalar32 reads a float32 scalar value (gorgonia passes the cost's gradient as *F32).
func scalar32(op fmt.Stringer, input string, v G.Value) (float32, error) {
	switch s := v.(type) {
	case *G.F32:
		return float32(*s), nil
	case tensor.Tensor:
		if f, ok := s.Data().(float32); ok {
			return f, nil
		}
		if d, ok := s.Data().([]float32); ok && len(d) == 1 {
			return d[0], nil
		}
	}
	return 0, fmt.Errorf("%v: input %s is %T, want a float32 scalar", op, input, v)
}

// ownedOutput gives every op of this package the gorgonia answers they share: each returns
// a buffer it owns (not a view of an input, so not ReturnsPtr), runs on the CPU
// (CallsExtern would make gorgonia allocate a fresh output every step), and never writes
// into an input.
type ownedOutput struct{}

func (ownedOutput) ReturnsPtr() bool     { return false }
func (ownedOutput) CallsExtern() bool    { return false }
func (ownedOutput) OverwritesInput() int { return -1 }

func hashOf(op interface{ WriteHash(hash.Hash) }) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

// matMulOp is C = op(A)·op(B) through kernels.Sgemm, with A and B viewed as matrices
// (leading dimension first, the rest flattened) and C given outShape. The gradient ops
// of Dense are matMulOps: dX = dZ·W and dW = dZᵀ·X.
//
// A matMulOp with a mask takes a third input, the output of a ReLU, and zeroes C where
// it is not positive, in the product's epilogue: dX of a dense layer whose input is
// another dense layer's ReLU output is then already that layer's dZ (see Dense's SymDiff).
type matMulOp struct {
	ownedOutput
	transA, transB bool
	m, n, k        int
	aDims, bDims   int
	outShape       tensor.Shape
	out            *tensor.Dense
	maskedBy       *G.Node // the ReLU output that masks C, or nil
	mask           kernels.ReLUMaskEpilogue
	cut            kernels.Cut  // how the threads divide C
	sumsInto       *columnSumOp // the bias gradient of C that this product writes, or nil
	sums           kernels.ColumnSumsEpilogue
}

func newMatMul(transA, transB bool, m, n, k int, a, b *G.Node, outShape tensor.Shape) *matMulOp {
	return &matMulOp{
		transA: transA, transB: transB, m: m, n: n, k: k,
		aDims: a.Dims(), bDims: b.Dims(),
		outShape: outShape.Clone(), out: newBuffer(outShape),
	}
}

// writeColumnSums has the product sum C's columns into sum's output as its tiles finish
// (kernels.ColumnSumsEpilogue), cutting C into columns so that every tile holds whole
// columns; a product of another shape, or cut into rows, leaves sum to sum C itself.
func (op *matMulOp) writeColumnSums(sum *columnSumOp) {
	if op.cut == kernels.CutRows || op.sumsInto != nil || sum.rows != op.m || sum.cols != op.n {
		return
	}
	op.cut = kernels.CutColumns
	op.sumsInto, sum.summedBy = sum, op
}

func (op *matMulOp) Arity() int {
	if op.maskedBy != nil {
		return 3
	}
	return 2
}

func (op *matMulOp) Type() hm.Type {
	if op.maskedBy != nil {
		return hm.NewFnType(tensorType(op.aDims), tensorType(op.bDims), tensorType(op.maskedBy.Dims()), tensorType(len(op.outShape)))
	}
	return hm.NewFnType(tensorType(op.aDims), tensorType(op.bDims), tensorType(len(op.outShape)))
}
func (op *matMulOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.outShape.Clone(), nil }
func (op *matMulOp) WriteHash(h hash.Hash)                          { fmt.Fprint(h, op.String()) }
func (op *matMulOp) Hashcode() uint32                               { return hashOf(op) }
func (op *matMulOp) String() string {
	return fmt.Sprintf("dxMatMul{tA=%t,tB=%t,m=%d,n=%d,k=%d,relu mask=%t,cut=%d}", op.transA, op.transB, op.m, op.n, op.k, op.maskedBy != nil, op.cut)
}

func (op *matMulOp) Do(inputs ...G.Value) (G.Value, error) {
	if len(inputs) != op.Arity() {
		return nil, fmt.Errorf("%v: %d inputs, want %d", op, len(inputs), op.Arity())
	}
	a, err := float32s(op, "A", inputs[0])
	if err != nil {
		return nil, err
	}
	b, err := float32s(op, "B", inputs[1])
	if err != nil {
		return nil, err
	}
	if len(a) != op.m*op.k || len(b) != op.k*op.n {
		return nil, fmt.Errorf("%v: inputs of %d and %d values, want %d and %d", op, len(a), len(b), op.m*op.k, op.k*op.n)
	}
	var ep kernels.Epilogue
	if op.maskedBy != nil {
		y, err := float32s(op, "ReLU output", inputs[2])
		if err != nil {
			return nil, err
		}
		if len(y) != op.m*op.n {
			return nil, fmt.Errorf("%v: ReLU output of %d values, want %d", op, len(y), op.m*op.n)
		}
		op.mask = kernels.ReLUMaskEpilogue{Y: y, LDY: op.n}
		ep = &op.mask
	}
	if op.sumsInto != nil {
		op.sums = kernels.ColumnSumsEpilogue{Then: ep, Sums: op.sumsInto.out.Float32s(), Rows: op.m}
		ep = &op.sums
	}
	lda, ldb := op.k, op.n
	if op.transA {
		lda = op.m
	}
	if op.transB {
		ldb = op.k
	}
	c := op.out.Float32s()
	kernels.SgemmCut(op.cut, op.transA, op.transB, op.m, op.n, op.k, 1, a, lda, b, ldb, 0, c, op.n, ep)
	op.mask.Y = nil // not kept past the step
	op.sums = kernels.ColumnSumsEpilogue{}
	return op.out, nil
}
