package ops

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Head selects the loss of a network's output head.
type Head int

// The heads: one logit per class with softmax cross-entropy, or one logit per sample
// with binary cross-entropy.
const (
	SoftmaxHead Head = iota
	SigmoidHead
)

// CrossEntropy is the weighted cross-entropy Σᵢ wᵢ·ℓᵢ as one op, computed in a
// numerically stable form: softmax ℓ = −Σ_c y_c·(z_c − max z − log Σ e^(z−max z)),
// sigmoid ℓ = max(z,0) − z·y + log(1 + e^−|z|). z is [batch, outputs], y the targets
// (one-hot, or 0/1 for sigmoid) shaped like z, w the per-sample weights [batch, 1]
// (they sum to 1; padding rows weigh 0). Its gradient with respect to z is the fused
// wᵢ·(p − y); y and w are data and get none.
func CrossEntropy(head Head, z, y, w *G.Node) (*G.Node, error) {
	zs := z.Shape()
	if len(zs) != 2 || !y.Shape().Eq(zs) || w.Shape().TotalSize() != zs[0] {
		return nil, fmt.Errorf("cross-entropy: shapes z %v, y %v, w %v; want [batch, outputs] twice and [batch, 1]", zs, y.Shape(), w.Shape())
	}
	if head == SigmoidHead && zs[1] != 1 {
		return nil, fmt.Errorf("cross-entropy: sigmoid head with %d outputs, want 1", zs[1])
	}
	op := &crossEntropyOp{head: head, batch: zs[0], outputs: zs[1], wDims: w.Dims(), loss: new(G.F32)}
	return G.ApplyOp(op, z, y, w)
}

type crossEntropyOp struct {
	ownedOutput
	head           Head
	batch, outputs int
	wDims          int
	loss           *G.F32
}

func (op *crossEntropyOp) Arity() int { return 3 }
func (op *crossEntropyOp) Type() hm.Type {
	return hm.NewFnType(tensorType(2), tensorType(2), tensorType(op.wDims), tensor.Float32)
}
func (op *crossEntropyOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.ScalarShape(), nil
}
func (op *crossEntropyOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *crossEntropyOp) Hashcode() uint32      { return hashOf(op) }
func (op *crossEntropyOp) String() string {
	return fmt.Sprintf("dxCrossEntropy{head=%d,%d×%d}", op.head, op.batch, op.outputs)
}

// lossInputs reads z, y and w and checks their sizes.
func lossInputs(op fmt.Stringer, batch, outputs int, inputs []G.Value) (z, y, w []float32, err error) {
	if len(inputs) < 3 {
		return nil, nil, nil, fmt.Errorf("%v: %d inputs, want at least 3", op, len(inputs))
	}
	if z, err = float32s(op, "z", inputs[0]); err != nil {
		return nil, nil, nil, err
	}
	if y, err = float32s(op, "y", inputs[1]); err != nil {
		return nil, nil, nil, err
	}
	if w, err = float32s(op, "w", inputs[2]); err != nil {
		return nil, nil, nil, err
	}
	if len(z) != batch*outputs || len(y) != len(z) || len(w) != batch {
		return nil, nil, nil, fmt.Errorf("%v: inputs of %d, %d and %d values, want %d, %d and %d",
			op, len(z), len(y), len(w), batch*outputs, batch*outputs, batch)
	}
	return z, y, w, nil
}

func (op *crossEntropyOp) Do(inputs ...G.Value) (G.Value, error) {
	z, y, w, err := lossInputs(op, op.batch, op.outputs, inputs)
	if err != nil {
		return nil, err
	}
	var total float64
	for i, wi := range w {
		if wi == 0 {
			continue
		}
		zi, yi := z[i*op.outputs:(i+1)*op.outputs], y[i*op.outputs:(i+1)*op.outputs]
		total += float64(wi) * sampleLoss(op.head, zi, yi)
	}
	*op.loss = G.F32(total)
	return op.loss, nil
}

// sampleLoss is one sample's cross-entropy, in float64.
func sampleLoss(head Head, z, y []float32) float64 {
	if head == SigmoidHead {
		zf, yf := float64(z[0]), float64(y[0])
		return math.Max(zf, 0) - zf*yf + math.Log1p(math.Exp(-math.Abs(zf)))
	}
	m := maxOf(z)
	var s float64
	for _, v := range z {
		s += math.Exp(float64(v) - m)
	}
	logS := math.Log(s)
	var l float64
	for c, v := range z {
		if y[c] != 0 {
			l -= float64(y[c]) * (float64(v) - m - logS)
		}
	}
	return l
}

func maxOf(z []float32) float64 {
	m := float64(z[0])
	for _, v := range z[1:] {
		m = math.Max(m, float64(v))
	}
	return m
}

func (op *crossEntropyOp) DiffWRT(int) []bool { return []bool{true, false, false} }

func (op *crossEntropyOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	gop := &crossEntropyGradOp{crossEntropyOp: *op, dz: newBuffer(tensor.Shape{op.batch, op.outputs})}
	dz, err := G.ApplyOp(gop, inputs[0], inputs[1], inputs[2], grad)
	if err != nil {
		return nil, fmt.Errorf("%v: gradient: %w", op, err)
	}
	return G.Nodes{dz, nil, nil}, nil
}

// crossEntropyGradOp is dz = g·wᵢ·(p − y), p the softmax or sigmoid of z and g the
// upstream gradient of the loss.
type crossEntropyGradOp struct {
	crossEntropyOp
	dz *tensor.Dense
}

func (op *crossEntropyGradOp) Arity() int { return 4 }
func (op *crossEntropyGradOp) Type() hm.Type {
	return hm.NewFnType(tensorType(2), tensorType(2), tensorType(op.wDims), tensor.Float32, tensorType(2))
}
func (op *crossEntropyGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.batch, op.outputs}, nil
}
func (op *crossEntropyGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *crossEntropyGradOp) Hashcode() uint32      { return hashOf(op) }
func (op *crossEntropyGradOp) String() string {
	return fmt.Sprintf("dxCrossEntropyGrad{head=%d,%d×%d}", op.head, op.batch, op.outputs)
}

func (op *crossEntropyGradOp) Do(inputs ...G.Value) (G.Value, error) {
	z, y, w, err := lossInputs(op, op.batch, op.outputs, inputs)
	if err != nil {
		return nil, err
	}
	if len(inputs) != 4 {
		return nil, fmt.Errorf("%v: %d inputs, want 4", op, len(inputs))
	}
	g, err := scalar32(op, "grad", inputs[3])
	if err != nil {
		return nil, err
	}
	dz := op.dz.Float32s()
	n := op.outputs
	for i, wi := range w {
		zi, yi, di := z[i*n:(i+1)*n], y[i*n:(i+1)*n], dz[i*n:(i+1)*n]
		scale := float64(g) * float64(wi)
		if scale == 0 {
			clear(di)
			continue
		}
		if op.head == SigmoidHead {
			p := 1 / (1 + math.Exp(-float64(zi[0])))
			di[0] = float32(scale * (p - float64(yi[0])))
			continue
		}
		m := maxOf(zi)
		var s float64
		for _, v := range zi {
			s += math.Exp(float64(v) - m)
		}
		for c, v := range zi {
			p := math.Exp(float64(v)-m) / s
			di[c] = float32(scale * (p - float64(yi[c])))
		}
	}
	return op.dz, nil
}
