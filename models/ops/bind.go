package ops

import (
	"fmt"

	"gorgonia.org/tensor"

	"github.com/dxtrain/dxtrain/kernels"
)

// OutputBinder is an op whose output buffer the caller can replace with an array of its
// own. A graph points each parameter's gradient op at that parameter's Grad, so a step
// leaves the gradient where the optimizer and the all-reduce read it, without copying it
// (a copy of every gradient was 9% of an MLP step).
type OutputBinder interface {
	// BindOutput makes the op write its output into data from now on; data must hold
	// exactly the output's values.
	BindOutput(data []float32) error
}

// boundBuffer is a buffer of the given shape over data, or an error when the sizes differ.
func boundBuffer(op fmt.Stringer, shape tensor.Shape, data []float32) (*tensor.Dense, error) {
	if len(data) != shape.TotalSize() {
		return nil, fmt.Errorf("%v: bind output of %d values to %d: %w", op, shape.TotalSize(), len(data), kernels.ErrShape)
	}
	return tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(data)), nil
}

func (op *matMulOp) BindOutput(data []float32) error {
	t, err := boundBuffer(op, op.outShape, data)
	if err == nil {
		op.out = t
	}
	return err
}

func (op *columnSumOp) BindOutput(data []float32) error {
	t, err := boundBuffer(op, tensor.Shape{op.cols}, data)
	if err == nil {
		op.out = t
	}
	return err
}

func (op *conv2DGradOp) BindOutput(data []float32) error {
	t, err := boundBuffer(op, op.wShape, data)
	if err == nil {
		op.dw = t
	}
	return err
}

// BindOutput binds the bias gradient; the input gradient is not a parameter's and stays
// in the grad op's own buffer.
func (op *convGradPartOp) BindOutput(data []float32) error {
	if op.part != convGradBias {
		return fmt.Errorf("%v: only the bias gradient can be bound", op)
	}
	t, err := boundBuffer(op, op.src.fwd.bShape, data)
	if err == nil {
		op.src.db = t
	}
	return err
}
