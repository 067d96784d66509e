package ops

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/dxtrain/dxtrain/kernels"
)

// Activation is the kind of a standalone element-wise activation.
type Activation int

// The standalone activations (a ReLU right after Dense or Conv2D is fused into them).
const (
	ReLU Activation = iota
	Sigmoid
)

func (a Activation) String() string {
	if a == Sigmoid {
		return "sigmoid"
	}
	return "relu"
}

// Activate applies a standalone activation element-wise, into a buffer of its own.
func Activate(kind Activation, x *G.Node) (*G.Node, error) {
	op := &activationOp{kind: kind, shape: x.Shape().Clone(), out: newBuffer(x.Shape())}
	return G.ApplyOp(op, x)
}

// activationOp is y = act(x); its gradient is computed from y alone (ReLU: y > 0,
// sigmoid: y·(1 − y)), so x need not survive the forward pass.
type activationOp struct {
	ownedOutput
	kind     Activation
	backward bool // the op is the gradient: inputs (y, dy)
	shape    tensor.Shape
	out      *tensor.Dense
}

func (op *activationOp) Arity() int {
	if op.backward {
		return 2
	}
	return 1
}
func (op *activationOp) Type() hm.Type {
	t := tensorType(len(op.shape))
	if op.backward {
		return hm.NewFnType(t, t, t)
	}
	return hm.NewFnType(t, t)
}
func (op *activationOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape.Clone(), nil }
func (op *activationOp) WriteHash(h hash.Hash)                          { fmt.Fprint(h, op.String()) }
func (op *activationOp) Hashcode() uint32                               { return hashOf(op) }
func (op *activationOp) String() string {
	return fmt.Sprintf("dxActivation{%v,backward=%t}%v", op.kind, op.backward, op.shape)
}

func (op *activationOp) Do(inputs ...G.Value) (G.Value, error) {
	if len(inputs) != op.Arity() {
		return nil, fmt.Errorf("%v: %d inputs, want %d", op, len(inputs), op.Arity())
	}
	in, err := float32s(op, "x", inputs[0])
	if err != nil {
		return nil, err
	}
	out := op.out.Float32s()
	if len(in) != len(out) {
		return nil, fmt.Errorf("%v: input of %d values, want %d", op, len(in), len(out))
	}
	if !op.backward {
		for i, v := range in {
			if op.kind == Sigmoid {
				out[i] = float32(1 / (1 + math.Exp(-float64(v))))
			} else {
				out[i] = max(v, 0)
			}
		}
		return op.out, nil
	}
	dy, err := float32s(op, "dy", inputs[1])
	if err != nil {
		return nil, err
	}
	if len(dy) != len(out) {
		return nil, fmt.Errorf("%v: gradient of %d values, want %d", op, len(dy), len(out))
	}
	if op.kind == ReLU {
		kernels.ReLUBackward(in, dy, out)
		return op.out, nil
	}
	for i, y := range in {
		out[i] = dy[i] * y * (1 - y)
	}
	return op.out, nil
}

// newActivationGrad is the backward op of an activation: inputs (y, dy), output dx.
func newActivationGrad(kind Activation, shape tensor.Shape) *activationOp {
	return &activationOp{kind: kind, backward: true, shape: shape.Clone(), out: newBuffer(shape)}
}

func (op *activationOp) DiffWRT(int) []bool { return []bool{true} }

func (op *activationOp) SymDiff(_ G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(newActivationGrad(op.kind, op.shape), output, grad)
	if err != nil {
		return nil, fmt.Errorf("%v: gradient: %w", op, err)
	}
	return G.Nodes{dx}, nil
}
