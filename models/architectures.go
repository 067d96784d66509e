package models

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Options choose an architecture and its shape.
type Options struct {
	Architecture string // logreg, mlp, cnn
	InputShape   []int  // [features] for tabular models, [C, H, W] for cnn
	Hidden       []int  // mlp hidden widths, input side first
	Classes      int    // ≥ 2; two classes get a sigmoid head
}

// NewNetwork builds the layer sequence of an architecture. Parameter names are stable
// ("dense0.weight", "conv1.bias", …) because checkpoints and ONNX initialisers are
// keyed by them.
func NewNetwork(o Options) (Network, error) {
	if o.Classes < 2 {
		return Network{}, fmt.Errorf("%s: %d classes, need at least 2", o.Architecture, o.Classes)
	}
	head, outputs := HeadSoftmax, o.Classes
	if o.Classes == 2 {
		head, outputs = HeadSigmoid, 1
	}
	net := Network{Architecture: o.Architecture, InputShape: append([]int(nil), o.InputShape...), Classes: o.Classes, Head: head}
	switch o.Architecture {
	case "logreg":
		in, flatten, err := denseInput("logreg", o.InputShape)
		if err != nil {
			return Network{}, err
		}
		net.Layers = append(flatten, dense(0, in, outputs))
	case "mlp":
		in, flatten, err := denseInput("mlp", o.InputShape)
		if err != nil {
			return Network{}, err
		}
		if len(o.Hidden) == 0 {
			return Network{}, fmt.Errorf("mlp: no hidden layers")
		}
		net.Layers = flatten
		for i, h := range o.Hidden {
			if h < 1 {
				return Network{}, fmt.Errorf("mlp: hidden[%d] = %d, must be positive", i, h)
			}
			net.Layers = append(net.Layers, dense(i, in, h), Layer{Op: OpReLU})
			in = h
		}
		net.Layers = append(net.Layers, dense(len(o.Hidden), in, outputs))
	case "cnn":
		return cnn(net, o, outputs)
	default:
		return Network{}, fmt.Errorf("unknown architecture %q (want logreg, mlp or cnn)", o.Architecture)
	}
	return net, nil
}

// cnn is the reference CNN of the PyTorch benchmark: conv 32 and 64 3×3 with padding,
// each followed by ReLU and 2×2 max-pool, then dense 128 and the head.
func cnn(net Network, o Options, outputs int) (Network, error) {
	if len(o.InputShape) != 3 || o.InputShape[0] < 1 || o.InputShape[1] < 4 || o.InputShape[2] < 4 {
		return Network{}, fmt.Errorf("cnn: input shape %v, want [C H W] with H, W ≥ 4", o.InputShape)
	}
	c, h, w := o.InputShape[0], o.InputShape[1], o.InputShape[2]
	h, w = h/2/2, w/2/2
	hidden := 128
	if len(o.Hidden) > 0 {
		hidden = o.Hidden[0]
	}
	net.Layers = []Layer{
		{Op: OpConv2D, Weight: "conv0.weight", Bias: "conv0.bias", In: c, Out: 32, Kernel: 3, Stride: 1, Pad: 1},
		{Op: OpReLU},
		{Op: OpMaxPool, Kernel: 2, Stride: 2},
		{Op: OpConv2D, Weight: "conv1.weight", Bias: "conv1.bias", In: 32, Out: 64, Kernel: 3, Stride: 1, Pad: 1},
		{Op: OpReLU},
		{Op: OpMaxPool, Kernel: 2, Stride: 2},
		{Op: OpFlatten},
		dense(0, 64*h*w, hidden),
		{Op: OpReLU},
		dense(1, hidden, outputs),
	}
	return net, nil
}

// denseInput is the width of a dense-first network's input: the features of a tabular
// dataset, or an image's C·H·W values, which a leading flatten lays out as the rows of
// the first dense layer (in the order the samples hold them: channel, row, column).
func denseInput(arch string, shape []int) (int, []Layer, error) {
	n := 1
	for _, d := range shape {
		if d < 1 {
			n = 0
			break
		}
		n *= d
	}
	switch {
	case n < 1 || len(shape) == 0 || len(shape) == 2 || len(shape) > 3:
		return 0, nil, fmt.Errorf("%s: input shape %v, want [features] or an image's [C H W]", arch, shape)
	case len(shape) == 1:
		return n, nil, nil
	}
	return n, []Layer{{Op: OpFlatten}}, nil
}

func dense(i, in, out int) Layer {
	return Layer{Op: OpDense, Weight: fmt.Sprintf("dense%d.weight", i), Bias: fmt.Sprintf("dense%d.bias", i), In: in, Out: out}
}

// InitParams creates the network's parameters, initialised deterministically from the
// seed: weights uniform in ±1/√fan_in (PyTorch's default for Linear and Conv2d), biases
// likewise. The same network and seed give the same bits on every machine.
//
// A dense weight's values are drawn in [in, out] order, the layout it was stored in
// before it became [out, in], and then transposed: a seed gives every weight the value
// it always had, so runs from before the change are reproduced exactly.
func InitParams(net Network, seed uint64) []*Param {
	rng := rand.New(rand.NewPCG(seed, 0x6478747261696e)) // "dxtrain"
	var params []*Param
	for _, l := range net.Layers {
		var fanIn int
		var shape []int
		switch l.Op {
		case OpDense:
			fanIn, shape = l.In, []int{l.In, l.Out}
		case OpConv2D:
			fanIn, shape = l.In*l.Kernel*l.Kernel, []int{l.Out, l.In, l.Kernel, l.Kernel}
		default:
			continue
		}
		bound := 1 / math.Sqrt(float64(fanIn))
		w := uniformParam(rng, l.Weight, shape, bound)
		if l.Op == OpDense {
			w.Shape = []int{l.Out, l.In}
			TransposeInto(w.Grad, w.Data, l.In, l.Out)
			w.Data, w.Grad = w.Grad, w.Data
			clear(w.Grad)
		}
		params = append(params, w, uniformParam(rng, l.Bias, []int{l.Out}, bound))
	}
	return params
}

// TransposeInto writes the rows×cols matrix src, transposed (cols×rows), into dst.
func TransposeInto(dst, src []float32, rows, cols int) {
	for r := range rows {
		for c, v := range src[r*cols : (r+1)*cols] {
			dst[c*rows+r] = v
		}
	}
}

func uniformParam(rng *rand.Rand, name string, shape []int, bound float64) *Param {
	p := &Param{Name: name, Shape: shape}
	p.Data = make([]float32, p.Size())
	p.Grad = make([]float32, p.Size())
	for i := range p.Data {
		p.Data[i] = float32((rng.Float64()*2 - 1) * bound)
	}
	return p
}
