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
	op := &crossEntropyOp{head: head, batch: zs[0], outputs: zs[1], wDims: w.Dims(), loss: new(G.F32),
		samples: &sampleTerms{head: head, outputs: zs[1],
			losses: make([]float64, zs[0]), shifted: make([]float64, zs[0]*zs[1]), exps: make([]float64, zs[0]*zs[1]),
			sums: make([]float64, zs[0])}}
	return G.ApplyOp(op, z, y, w)
}

type crossEntropyOp struct {
	ownedOutput
	head           Head
	batch, outputs int
	wDims          int
	loss           *G.F32
	samples        *sampleTerms // shared with the gradient op
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
	t := op.samples
	t.z, t.y, t.w = z, y, w
	kernels.Parallel((op.batch+lossBlock-1)/lossBlock, t)
	t.z, t.y, t.w = nil, nil, nil
	var total float64
	for i, wi := range w {
		if wi != 0 {
			total += float64(wi) * t.losses[i]
		}
	}
	*op.loss = G.F32(total)
	return op.loss, nil
}

// lossBlock is how many samples one part of the loss covers, so that large batches spread
// over the threads: a sample's softmax costs about as many exponentials as it has
// classes (taken in one vector pass per part, kernels.Exp).
const lossBlock = 32

// sampleTerms is the per-sample work of a loss pass, a kernels.Task over blocks of samples:
// each sample's loss and, for a softmax head, its e^(z−max z) and their sum, which the
// gradient reuses instead of recomputing the exponentials. Samples of weight 0 are skipped.
type sampleTerms struct {
	head    Head
	outputs int
	z, y, w []float32
	losses  []float64 // by sample
	shifted []float64 // by sample and class, softmax only: z − max z
	exps    []float64 // by sample and class, softmax only: e^(z − max z)
	sums    []float64 // by sample, softmax only
}

func (t *sampleTerms) Run(part int) {
	lo, hi := part*lossBlock, min(len(t.w), (part+1)*lossBlock)
	if t.head == SigmoidHead {
		for i := lo; i < hi; i++ {
			if t.w[i] != 0 {
				zf, yf := float64(t.z[i]), float64(t.y[i])
				t.losses[i] = math.Max(zf, 0) - zf*yf + math.Log1p(math.Exp(-math.Abs(zf)))
			}
		}
		return
	}
	n := t.outputs
	// The block's z − max z, then all their exponentials in one vector pass.
	shifted, exps := t.shifted[lo*n:hi*n], t.exps[lo*n:hi*n]
	for i := lo; i < hi; i++ {
		si := shifted[(i-lo)*n : (i-lo+1)*n]
		if t.w[i] == 0 {
			clear(si)
			continue
		}
		zi := t.z[i*n : (i+1)*n]
		m := maxOf(zi)
		for c, v := range zi {
			si[c] = float64(v) - m
		}
	}
	kernels.Exp(exps, shifted)
	for i := lo; i < hi; i++ {
		if t.w[i] != 0 {
			t.losses[i], t.sums[i] = softmaxLoss(shifted[(i-lo)*n:(i-lo+1)*n], t.y[i*n:(i+1)*n], exps[(i-lo)*n:(i-lo+1)*n])
		}
	}
}

// softmaxLoss is one sample's softmax cross-entropy in float64 from its z − max z and
// their exponentials; it returns the loss and the exponentials' sum.
func softmaxLoss(shifted []float64, y []float32, exps []float64) (loss, sum float64) {
	for _, e := range exps {
		sum += e
	}
	logS := math.Log(sum)
	for c, v := range shifted {
		if y[c] != 0 {
			loss -= float64(y[c]) * (v - logS)
		}
	}
	return loss, sum
}

// maxOf is math.Max folded over z. The builtin max agrees with math.Max except where a
// NaN is present (math.Max lets +Inf win over NaN), and costs no call per value.
func maxOf(z []float32) float64 {
	m := z[0]
	for _, v := range z[1:] {
		m = max(m, v)
	}
	if m == m {
		return float64(m)
	}
	r := float64(z[0])
	for _, v := range z[1:] {
		r = math.Max(r, float64(v))
	}
	return r
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
// upstream gradient of the loss. It runs after its forward op in the same step and takes
// the softmax's exponentials from it (the same bits as recomputing them).
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
	t := op.samples
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
		// The forward pass of this step left the sample's exponentials and their sum.
		exps, s := t.exps[i*n:(i+1)*n], t.sums[i]
		for c := range zi {
			di[c] = float32(scale * (exps[c]/s - float64(yi[c])))
		}
	}
	return op.dz, nil
}
