package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	pb "github.com/advancedclimatesystems/gonnx/onnx"

	"github.com/dxtrain/dxtrain/models"
)

// graphBuilder turns a Network into ONNX nodes one layer at a time. It tracks the
// per-sample shape of the current tensor so that a network whose layers do not chain
// fails at export with the layer named, not later inside ONNX Runtime.
type graphBuilder struct {
	net    models.Network
	params map[string]*models.Param
	used   map[string]bool
	nodes  []*pb.NodeProto
	inits  []*pb.TensorProto
	cur    string // name of the tensor the next node reads
	shape  []int  // per-sample shape of cur (the batch dimension is implied)
}

func newGraphBuilder(net models.Network, params []*models.Param) (*graphBuilder, error) {
	byName := make(map[string]*models.Param, len(params))
	for i, p := range params {
		if p == nil {
			return nil, fmt.Errorf("parameter %d is nil", i)
		}
		if _, dup := byName[p.Name]; dup {
			return nil, fmt.Errorf("parameter %q given twice", p.Name)
		}
		if len(p.Data) != p.Size() {
			return nil, fmt.Errorf("parameter %q has %d values, its shape %v needs %d", p.Name, len(p.Data), p.Shape, p.Size())
		}
		byName[p.Name] = p
	}
	for i, d := range net.InputShape {
		if d < 1 {
			return nil, fmt.Errorf("input shape %v: dimension %d is %d", net.InputShape, i, d)
		}
	}
	if len(net.InputShape) == 0 {
		return nil, fmt.Errorf("empty input shape")
	}
	return &graphBuilder{net: net, params: byName, used: map[string]bool{}, cur: InputName, shape: slices.Clone(net.InputShape)}, nil
}

// graph assembles the GraphProto: one input with a dynamic batch dimension, one output.
func (b *graphBuilder) graph() *pb.GraphProto {
	return &pb.GraphProto{
		Name:        "dxtrain_" + b.net.Architecture,
		Node:        b.nodes,
		Initializer: b.inits,
		Input:       []*pb.ValueInfoProto{batchedValueInfo(InputName, b.net.InputShape)},
		Output:      []*pb.ValueInfoProto{batchedValueInfo(OutputName, []int{b.net.Outputs()})},
	}
}

// preprocess adds (x − mean) / std when pre is non-empty.
func (b *graphBuilder) preprocess(pre *models.Preprocess) error {
	if pre == nil || len(pre.Mean) == 0 && len(pre.Std) == 0 {
		return nil
	}
	dims, err := checkPreprocess(pre, b.net.InputShape, b.net.InputSize())
	if err != nil {
		return err
	}
	b.inits = append(b.inits, floatTensor("preprocess.mean", dims, pre.Mean), floatTensor("preprocess.std", dims, pre.Std))
	b.node("Sub", "preprocess_centred", []string{b.cur, "preprocess.mean"})
	b.node("Div", "preprocess_standardised", []string{b.cur, "preprocess.std"})
	return nil
}

// layer adds the nodes of layer i.
func (b *graphBuilder) layer(i int, l models.Layer) error {
	out := fmt.Sprintf("layer%d_%s", i, l.Op)
	switch l.Op {
	case models.OpDense:
		if len(b.shape) != 1 || b.shape[0] != l.In {
			return fmt.Errorf("input shaped %v per sample, want [%d]", b.shape, l.In)
		}
		w, bias, err := b.weightAndBias(l, []int{l.Out, l.In})
		if err != nil {
			return err
		}
		// Gemm: Y = A·Bᵀ + C with A [batch, In], B the weight [Out, In] (transB = 1, as
		// PyTorch exports a Linear layer), C the bias.
		b.node("Gemm", out, []string{b.cur, w, bias}, attrFloat("alpha", 1), attrFloat("beta", 1), attrInt("transB", 1))
		b.shape = []int{l.Out}
	case models.OpReLU:
		b.node("Relu", out, []string{b.cur})
	case models.OpSigmoid:
		b.node("Sigmoid", out, []string{b.cur})
	case models.OpConv2D:
		if len(b.shape) != 3 || b.shape[0] != l.In {
			return fmt.Errorf("input shaped %v per sample, want [%d h w]", b.shape, l.In)
		}
		k, s, p := l.Kernel, max(l.Stride, 1), l.Pad
		oh, ow := (b.shape[1]+2*p-k)/s+1, (b.shape[2]+2*p-k)/s+1
		if k < 1 || p < 0 || oh < 1 || ow < 1 {
			return fmt.Errorf("kernel %d, pad %d does not fit input %dx%d", k, p, b.shape[1], b.shape[2])
		}
		w, bias, err := b.weightAndBias(l, []int{l.Out, l.In, k, k})
		if err != nil {
			return err
		}
		b.node("Conv", out, []string{b.cur, w, bias},
			attrInts("kernel_shape", k, k), attrInts("strides", s, s), attrInts("pads", p, p, p, p),
			attrInts("dilations", 1, 1), attrInt("group", 1))
		b.shape = []int{l.Out, oh, ow}
	case models.OpMaxPool:
		if len(b.shape) != 3 {
			return fmt.Errorf("input shaped %v per sample, want [c h w]", b.shape)
		}
		k, s := l.Kernel, l.Stride
		if s == 0 {
			s = k // as models.Infer: the stride defaults to the window
		}
		oh, ow := (b.shape[1]-k)/s+1, (b.shape[2]-k)/s+1
		if k < 1 || s < 1 || oh < 1 || ow < 1 {
			return fmt.Errorf("pool window %d, stride %d does not fit %dx%d", k, s, b.shape[1], b.shape[2])
		}
		b.node("MaxPool", out, []string{b.cur}, attrInts("kernel_shape", k, k), attrInts("strides", s, s), attrInts("pads", 0, 0, 0, 0))
		b.shape = []int{b.shape[0], oh, ow}
	case models.OpFlatten:
		b.node("Flatten", out, []string{b.cur}, attrInt("axis", 1))
		size := 1
		for _, d := range b.shape {
			size *= d
		}
		b.shape = []int{size}
	default:
		return fmt.Errorf("op %q has no ONNX form", l.Op)
	}
	return nil
}

// head turns the logits into the probabilities output.
func (b *graphBuilder) head() error {
	if h := b.net.Head; h != models.HeadSigmoid && h != models.HeadSoftmax {
		return fmt.Errorf("unknown head %q", h)
	}
	if len(b.shape) != 1 || b.shape[0] != b.net.Outputs() {
		return fmt.Errorf("logits shaped %v per sample, want [%d]", b.shape, b.net.Outputs())
	}
	if b.net.Head == models.HeadSigmoid {
		b.node("Sigmoid", OutputName, []string{b.cur})
	} else {
		b.node("Softmax", OutputName, []string{b.cur}, attrInt("axis", -1))
	}
	return nil
}

// weightAndBias checks layer l's parameters and adds them as initialisers, each once.
func (b *graphBuilder) weightAndBias(l models.Layer, wShape []int) (string, string, error) {
	w, ok := b.params[l.Weight]
	if !ok {
		return "", "", fmt.Errorf("weight %q missing", l.Weight)
	}
	if !slices.Equal(w.Shape, wShape) {
		return "", "", fmt.Errorf("weight %q shaped %v, want %v", l.Weight, w.Shape, wShape)
	}
	bias, ok := b.params[l.Bias]
	if !ok {
		return "", "", fmt.Errorf("bias %q missing", l.Bias)
	}
	if !slices.Equal(bias.Shape, []int{l.Out}) {
		return "", "", fmt.Errorf("bias %q shaped %v, want [%d]", l.Bias, bias.Shape, l.Out)
	}
	for _, p := range []*models.Param{w, bias} {
		if !b.used[p.Name] {
			b.used[p.Name] = true
			b.inits = append(b.inits, floatTensor(p.Name, p.Shape, p.Data))
		}
	}
	return w.Name, bias.Name, nil
}

// node appends one node reading inputs and writing out, which becomes the current tensor.
func (b *graphBuilder) node(opType, out string, inputs []string, attrs ...*pb.AttributeProto) {
	b.nodes = append(b.nodes, &pb.NodeProto{Name: out, OpType: opType, Input: inputs, Output: []string{out}, Attribute: attrs})
	b.cur = out
}

// floatTensor is a float32 initialiser; raw_data holds the values little-endian, as
// the ONNX spec requires.
func floatTensor(name string, dims []int, data []float32) *pb.TensorProto {
	raw := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return &pb.TensorProto{Name: name, Dims: int64s(dims), DataType: int32(pb.TensorProto_FLOAT), RawData: raw}
}

// batchedValueInfo is a float32 tensor [batch, dims…] with a symbolic batch dimension.
func batchedValueInfo(name string, dims []int) *pb.ValueInfoProto {
	shape := &pb.TensorShapeProto{Dim: []*pb.TensorShapeProto_Dimension{
		{Value: &pb.TensorShapeProto_Dimension_DimParam{DimParam: BatchParam}},
	}}
	for _, d := range dims {
		shape.Dim = append(shape.Dim, &pb.TensorShapeProto_Dimension{Value: &pb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
	}
	return &pb.ValueInfoProto{Name: name, Type: &pb.TypeProto{Value: &pb.TypeProto_TensorType{
		TensorType: &pb.TypeProto_Tensor{ElemType: int32(pb.TensorProto_FLOAT), Shape: shape},
	}}}
}

func attrInt(name string, v int64) *pb.AttributeProto {
	return &pb.AttributeProto{Name: name, Type: pb.AttributeProto_INT, I: v}
}

func attrFloat(name string, v float32) *pb.AttributeProto {
	return &pb.AttributeProto{Name: name, Type: pb.AttributeProto_FLOAT, F: v}
}

func attrInts(name string, vs ...int) *pb.AttributeProto {
	return &pb.AttributeProto{Name: name, Type: pb.AttributeProto_INTS, Ints: int64s(vs)}
}

func int64s(vs []int) []int64 {
	out := make([]int64, len(vs))
	for i, v := range vs {
		out[i] = int64(v)
	}
	return out
}
