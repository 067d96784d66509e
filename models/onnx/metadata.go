package onnx

import (
	"fmt"
	"maps"
	"slices"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"
)

// ReadMetadata returns the metadata props of an ONNX model (the model card fields and
// hashes Export wrote), without loading ONNX Runtime.
func ReadMetadata(model []byte) (map[string]string, error) {
	m, err := parseModel(model)
	if err != nil {
		return nil, err
	}
	meta := make(map[string]string, len(m.GetMetadataProps()))
	for i, p := range m.GetMetadataProps() {
		if _, dup := meta[p.GetKey()]; dup {
			return nil, fmt.Errorf("%w: metadata prop %d: key %q appears twice", ErrInvalidModel, i, p.GetKey())
		}
		meta[p.GetKey()] = p.GetValue()
	}
	return meta, nil
}

// parseModel decodes model bytes and checks they look like a model at all: protobuf
// decodes almost any short byte string, so a graph and an IR version are required.
func parseModel(model []byte) (*pb.ModelProto, error) {
	if len(model) == 0 {
		return nil, fmt.Errorf("%w: empty input", ErrInvalidModel)
	}
	var m pb.ModelProto
	if err := proto.Unmarshal(model, &m); err != nil {
		return nil, fmt.Errorf("%w: decode %d bytes: %w", ErrInvalidModel, len(model), err)
	}
	if m.GetIrVersion() <= 0 {
		return nil, fmt.Errorf("%w: ir_version %d, not an ONNX model", ErrInvalidModel, m.GetIrVersion())
	}
	if m.GetGraph() == nil {
		return nil, fmt.Errorf("%w: no graph", ErrInvalidModel)
	}
	return &m, nil
}

// ioShape is the single input or output of a model: its name and the per-sample
// dimensions after the batch dimension.
type ioShape struct {
	name string
	dims []int64
}

// signature finds the model's one float32 input that is not an initialiser and its one
// float32 output, each with a leading batch dimension and static per-sample dimensions.
func signature(m *pb.ModelProto) (in, out ioShape, err error) {
	g := m.GetGraph()
	inits := make(map[string]bool, len(g.GetInitializer()))
	for _, t := range g.GetInitializer() {
		inits[t.GetName()] = true
	}
	var inputs []*pb.ValueInfoProto
	for _, v := range g.GetInput() {
		if !inits[v.GetName()] {
			inputs = append(inputs, v)
		}
	}
	if len(inputs) != 1 || len(g.GetOutput()) != 1 {
		return in, out, fmt.Errorf("%w: %d inputs and %d outputs, want 1 and 1", ErrInvalidModel, len(inputs), len(g.GetOutput()))
	}
	if in, err = batchedShape("input", inputs[0]); err != nil {
		return in, out, err
	}
	out, err = batchedShape("output", g.GetOutput()[0])
	return in, out, err
}

func batchedShape(what string, v *pb.ValueInfoProto) (ioShape, error) {
	t := v.GetType().GetTensorType()
	if t == nil || t.GetElemType() != int32(pb.TensorProto_FLOAT) {
		return ioShape{}, fmt.Errorf("%w: %s %q is not a float32 tensor", ErrInvalidModel, what, v.GetName())
	}
	dims := t.GetShape().GetDim()
	if len(dims) < 2 {
		return ioShape{}, fmt.Errorf("%w: %s %q has %d dimensions, want a batch dimension and at least one more", ErrInvalidModel, what, v.GetName(), len(dims))
	}
	s := ioShape{name: v.GetName()}
	size := int64(1)
	for i, d := range dims[1:] {
		if d.GetDimValue() < 1 {
			return ioShape{}, fmt.Errorf("%w: %s %q dimension %d is not a fixed positive size", ErrInvalidModel, what, v.GetName(), i+1)
		}
		if size *= d.GetDimValue(); size > maxSampleSize {
			return ioShape{}, fmt.Errorf("%w: %s %q has more than %d values per sample", ErrInvalidModel, what, v.GetName(), maxSampleSize)
		}
		s.dims = append(s.dims, d.GetDimValue())
	}
	return s, nil
}

// maxSampleSize bounds the values per sample a model may declare (1 GiB of float32).
const maxSampleSize = 1 << 28

// size is the number of values per sample.
func (s ioShape) size() int {
	n := 1
	for _, d := range s.dims {
		n *= int(d)
	}
	return n
}

// ReadProducer is the tool and version that wrote a model (torch.onnx.export records
// "pytorch" and torch's version), as the model's producer fields say.
func ReadProducer(model []byte) (name, version string, err error) {
	m, err := parseModel(model)
	if err != nil {
		return "", "", err
	}
	return m.GetProducerName(), m.GetProducerVersion(), nil
}

// WithMetadata returns model with props set among its metadata props (replacing a
// prop of the same key, keeping the others), re-encoded deterministically: a release
// embeds its card in a script's exported model as the native exporter does.
func WithMetadata(model []byte, props map[string]string) ([]byte, error) {
	m, err := parseModel(model)
	if err != nil {
		return nil, err
	}
	kept := m.GetMetadataProps()[:0]
	for _, p := range m.GetMetadataProps() {
		if _, replaced := props[p.GetKey()]; !replaced {
			kept = append(kept, p)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(props)) {
		kept = append(kept, &pb.StringStringEntryProto{Key: k, Value: props[k]})
	}
	m.MetadataProps = kept
	out, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("%w: encode: %w", ErrInvalidModel, err)
	}
	return out, nil
}
