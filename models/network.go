package models

import "fmt"

// Op names one layer operation. The set is small on purpose: every op here has a
// gorgonia form for training, a plain-Go form for inference and an ONNX form for export.
type Op string

// The layer operations.
const (
	OpDense   Op = "dense"     // y = x·Wᵀ + b, W shaped [Out, In] (PyTorch's Linear)
	OpReLU    Op = "relu"      // y = max(x, 0)
	OpSigmoid Op = "sigmoid"   // y = 1 / (1 + e^-x)
	OpConv2D  Op = "conv2d"    // NCHW convolution, W shaped [Out, In, Kernel, Kernel]
	OpMaxPool Op = "maxpool2d" // NCHW max-pool, square window Kernel, stride Stride
	OpFlatten Op = "flatten"   // [N, C, H, W] → [N, C·H·W]
)

// Head is how the final logits become probabilities.
type Head string

// The output heads.
const (
	// HeadSigmoid: one logit per sample, the probability of the positive class
	// (classes[1]); trained with binary cross-entropy.
	HeadSigmoid Head = "sigmoid"
	// HeadSoftmax: one logit per class; trained with softmax cross-entropy.
	HeadSoftmax Head = "softmax"
)

// Layer is one step of a Network. Fields that do not apply to Op are zero.
type Layer struct {
	Op     Op     `json:"op"`
	Weight string `json:"weight,omitempty"` // parameter name of the weight (dense, conv2d)
	Bias   string `json:"bias,omitempty"`   // parameter name of the bias (dense, conv2d)
	In     int    `json:"in,omitempty"`     // input features (dense) or channels (conv2d)
	Out    int    `json:"out,omitempty"`    // output features (dense) or channels (conv2d)
	Kernel int    `json:"kernel,omitempty"` // square kernel or pool window (conv2d, maxpool2d)
	Stride int    `json:"stride,omitempty"` // stride (conv2d, maxpool2d)
	Pad    int    `json:"pad,omitempty"`    // zero padding on every side (conv2d)
}

// Network is the architecture of a model as data: the layer sequence from the input
// to the logits, and the head. Training, inference and ONNX export all read it, so
// the three cannot drift apart.
type Network struct {
	Architecture string  `json:"architecture"` // logreg, mlp, cnn
	InputShape   []int   `json:"input_shape"`  // per sample: [features] or [C, H, W]
	Classes      int     `json:"classes"`      // number of classes (≥ 2)
	Head         Head    `json:"head"`
	Layers       []Layer `json:"layers"`
}

// Outputs is the number of logits per sample: 1 for a sigmoid head, Classes otherwise.
func (n Network) Outputs() int {
	if n.Head == HeadSigmoid {
		return 1
	}
	return n.Classes
}

// ParamCount is the number of trainable values: what one gradient all-reduce moves.
func (n Network) ParamCount() int {
	count := 0
	for _, l := range n.Layers {
		switch l.Op {
		case OpDense:
			count += l.In*l.Out + l.Out
		case OpConv2D:
			count += l.Out*l.In*l.Kernel*l.Kernel + l.Out
		}
	}
	return count
}

// InputSize is the number of float32 values in one sample.
func (n Network) InputSize() int {
	size := 1
	for _, d := range n.InputShape {
		size *= d
	}
	return size
}

// Param is one named parameter tensor in row-major order. Grad has the same length as
// Data and holds the gradient of the last backward pass.
type Param struct {
	Name  string    `json:"name"`
	Shape []int     `json:"shape"`
	Data  []float32 `json:"-"`
	Grad  []float32 `json:"-"`
}

// Size is the number of elements of the parameter.
func (p *Param) Size() int {
	size := 1
	for _, d := range p.Shape {
		size *= d
	}
	return size
}

// Preprocess is the per-feature standardisation fitted on the training split,
// x' = (x − Mean) / Std. It travels with the model into checkpoints and the ONNX
// graph, so that a trust feeds raw measurements.
type Preprocess struct {
	Mean []float32 `json:"mean"`
	Std  []float32 `json:"std"`
}

// Apply standardises rows of len(p.Mean) features in place. An empty Preprocess is
// the identity.
func (p *Preprocess) Apply(x []float32) {
	if p == nil || len(p.Mean) == 0 {
		return
	}
	f := len(p.Mean)
	for i := range x {
		j := i % f
		x[i] = (x[i] - p.Mean[j]) / p.Std[j]
	}
}

// Validate checks that the network's layer shapes chain together.
func (n Network) Validate() error {
	if n.Classes < 2 {
		return fmt.Errorf("network %s: classes = %d, need at least 2", n.Architecture, n.Classes)
	}
	if len(n.Layers) == 0 {
		return fmt.Errorf("network %s: no layers", n.Architecture)
	}
	return nil
}
