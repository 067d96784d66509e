package onnx

import (
	"fmt"
	"math"
	"slices"
	"unicode/utf8"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"github.com/dxtrain/dxtrain/models"
)

// The form of every exported model. IR version 8 is the one that introduced opset 17
// (ONNX 1.12), so older runtimes that know opset 17 also read the file.
const (
	Opset      = 17
	IRVersion  = 8
	InputName  = "input"         // float32 [batch, …InputShape], raw (unstandardised) values
	OutputName = "probabilities" // float32 [batch, Outputs()]
	BatchParam = "batch"         // dim_param of the dynamic batch dimension
	Producer   = "dxtrain"
	// Tolerance is the largest |ONNX Runtime − Go| difference an export may show.
	Tolerance = 1e-4
)

// Export builds the ONNX model of net with params: the standardisation pre (skipped
// when empty) inside the graph, then the layers, then the head. meta becomes the
// model's metadata props, sorted by key. The same arguments always give the same bytes.
func Export(net models.Network, params []*models.Param, pre *models.Preprocess, meta map[string]string) ([]byte, error) {
	if err := net.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrExport, err)
	}
	b, err := newGraphBuilder(net, params)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrExport, net.Architecture, err)
	}
	if err := b.preprocess(pre); err != nil {
		return nil, fmt.Errorf("%w %s: preprocess: %w", ErrExport, net.Architecture, err)
	}
	for i, l := range net.Layers {
		if err := b.layer(i, l); err != nil {
			return nil, fmt.Errorf("%w %s: layer %d (%s): %w", ErrExport, net.Architecture, i, l.Op, err)
		}
	}
	if err := b.head(); err != nil {
		return nil, fmt.Errorf("%w %s: head: %w", ErrExport, net.Architecture, err)
	}
	props, err := metadataProps(meta)
	if err != nil {
		return nil, fmt.Errorf("%w %s: metadata: %w", ErrExport, net.Architecture, err)
	}
	model := &pb.ModelProto{
		IrVersion:     IRVersion,
		OpsetImport:   []*pb.OperatorSetIdProto{{Domain: "", Version: Opset}},
		ProducerName:  Producer,
		DocString:     fmt.Sprintf("dxtrain %s: raw inputs %s [batch %v] to class probabilities %s [batch %d]", net.Architecture, InputName, net.InputShape, OutputName, net.Outputs()),
		Graph:         b.graph(),
		MetadataProps: props,
	}
	out, err := proto.MarshalOptions{Deterministic: true}.Marshal(model)
	if err != nil {
		return nil, fmt.Errorf("%w %s: marshal: %w", ErrExport, net.Architecture, err)
	}
	return out, nil
}

// ExportVerified is ExportChecked within the package's default Tolerance.
func ExportVerified(net models.Network, params []*models.Param, pre *models.Preprocess, meta map[string]string, inputs []float32, n int) ([]byte, float64, error) {
	return ExportChecked(net, params, pre, meta, inputs, n, Tolerance)
}

// ExportChecked is Export followed by Verify on inputs (n raw samples, held out from
// training): it returns the model only when ONNX Runtime reproduces models.Infer
// within tol, and the largest difference it saw.
func ExportChecked(net models.Network, params []*models.Param, pre *models.Preprocess, meta map[string]string, inputs []float32, n int, tol float64) ([]byte, float64, error) {
	model, err := Export(net, params, pre, meta)
	if err != nil {
		return nil, 0, err
	}
	diff, err := Verify(model, net, params, pre, inputs, n, tol)
	if err != nil {
		return nil, diff, err
	}
	return model, diff, nil
}

// metadataProps turns meta into props sorted by key, so the bytes do not depend on map
// order. Values are not echoed in errors: they may be free text.
func metadataProps(meta map[string]string) ([]*pb.StringStringEntryProto, error) {
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	props := make([]*pb.StringStringEntryProto, 0, len(keys))
	for _, k := range keys {
		switch {
		case k == "":
			return nil, fmt.Errorf("empty key")
		case !utf8.ValidString(k):
			return nil, fmt.Errorf("key %q is not valid UTF-8", k)
		case !utf8.ValidString(meta[k]):
			return nil, fmt.Errorf("value of key %q is not valid UTF-8", k)
		}
		props = append(props, &pb.StringStringEntryProto{Key: k, Value: meta[k]})
	}
	return props, nil
}

// checkPreprocess validates pre against an input of size values per sample and returns
// the initialiser shape of its mean and std: the sample shape when there is one value
// per input value, [1] for a single value shared by all (what Preprocess.Apply does).
func checkPreprocess(pre *models.Preprocess, inputShape []int, size int) ([]int, error) {
	f := len(pre.Mean)
	if len(pre.Std) != f {
		return nil, fmt.Errorf("%d means but %d stds", f, len(pre.Std))
	}
	var dims []int
	switch f {
	case size:
		dims = slices.Clone(inputShape)
	case 1:
		dims = []int{1}
	default:
		return nil, fmt.Errorf("%d features, want %d (one per input value) or 1", f, size)
	}
	for i := range f {
		if m := float64(pre.Mean[i]); math.IsNaN(m) || math.IsInf(m, 0) {
			return nil, fmt.Errorf("mean[%d] is not finite", i)
		}
		if s := float64(pre.Std[i]); s == 0 || math.IsNaN(s) || math.IsInf(s, 0) {
			return nil, fmt.Errorf("std[%d] = %g, must be finite and non-zero", i, s)
		}
	}
	return dims, nil
}
