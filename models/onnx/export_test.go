package onnx

import (
	"bytes"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"github.com/dxtrain/dxtrain/models"
)

// TestExportStructure checks the graph each architecture becomes: opset 17, IR 8, the
// dynamic batch dimension, and the node sequence the issue names.
func TestExportStructure(t *testing.T) {
	want := map[string][]string{
		"logreg_30":          {"Sub", "Div", "Gemm", "Sigmoid"},
		"mlp_30_32_16_2":     {"Sub", "Div", "Gemm", "Relu", "Gemm", "Relu", "Gemm", "Sigmoid"},
		"mlp_784_256_128_10": {"Sub", "Div", "Gemm", "Relu", "Gemm", "Relu", "Gemm", "Softmax"},
		"cnn_1x28x28_10":     {"Sub", "Div", "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm", "Softmax"},
		"mlp_1x28x28_10":     {"Sub", "Div", "Flatten", "Gemm", "Relu", "Gemm", "Softmax"},
	}
	for _, f := range fixtures() {
		t.Run(f.name, func(t *testing.T) {
			net, params, pre := f.build(t, 1)
			var m pb.ModelProto
			if err := proto.Unmarshal(mustExport(t, net, params, pre, nil), &m); err != nil {
				t.Fatal(err)
			}
			if m.GetIrVersion() != IRVersion || len(m.GetOpsetImport()) != 1 || m.GetOpsetImport()[0].GetVersion() != Opset || m.GetOpsetImport()[0].GetDomain() != "" {
				t.Fatalf("ir %d, opsets %v; want ir %d and opset \"\" %d", m.GetIrVersion(), m.GetOpsetImport(), IRVersion, Opset)
			}
			if m.GetProducerName() != Producer {
				t.Errorf("producer %q", m.GetProducerName())
			}
			var ops []string
			for _, n := range m.GetGraph().GetNode() {
				ops = append(ops, n.GetOpType())
			}
			if !slices.Equal(ops, want[f.name]) {
				t.Errorf("ops %v, want %v", ops, want[f.name])
			}
			in, out, err := signature(&m)
			if err != nil {
				t.Fatal(err)
			}
			if in.name != InputName || out.name != OutputName || in.size() != net.InputSize() || out.size() != net.Outputs() {
				t.Errorf("signature %v → %v", in, out)
			}
			for _, v := range []*pb.ValueInfoProto{m.GetGraph().GetInput()[0], m.GetGraph().GetOutput()[0]} {
				if p := v.GetType().GetTensorType().GetShape().GetDim()[0].GetDimParam(); p != BatchParam {
					t.Errorf("%s: first dimension %q, want dim_param %q", v.GetName(), p, BatchParam)
				}
			}
			if n := len(m.GetGraph().GetInitializer()); n != len(params)+2 {
				t.Errorf("%d initialisers, want %d parameters + mean + std", n, len(params))
			}
		})
	}
}

// TestExportDeterministic: the same arguments give the same bytes, whatever the map
// order of the metadata; a different metadata value gives different bytes.
func TestExportDeterministic(t *testing.T) {
	for _, f := range fixtures() {
		t.Run(f.name, func(t *testing.T) {
			meta := map[string]string{}
			for _, k := range []string{"model_name", "spec_sha256", "checkpoint_sha256", "dataset_sha256", "metrics", "a", "z", "m"} {
				meta[k] = "value of " + k
			}
			net, params, pre := f.build(t, 42)
			first := mustExport(t, net, params, pre, meta)
			for range 5 {
				if again := mustExport(t, net, params, pre, maps.Clone(meta)); !bytes.Equal(first, again) {
					t.Fatal("two exports of the same model differ")
				}
			}
			net2, params2, pre2 := f.build(t, 42) // rebuilt from scratch
			if !bytes.Equal(first, mustExport(t, net2, params2, pre2, meta)) {
				t.Fatal("export of a rebuilt identical model differs")
			}
			meta["model_name"] = "other"
			if bytes.Equal(first, mustExport(t, net, params, pre, meta)) {
				t.Fatal("changing a metadata value did not change the bytes")
			}
		})
	}
}

// TestMetadataRoundTrip: what Export writes, ReadMetadata returns, sorted in the file,
// and ONNX Runtime reads the same props.
func TestMetadataRoundTrip(t *testing.T) {
	requireRuntime(t)
	meta := map[string]string{
		"model_name":        "wdbc-mlp",
		"spec_sha256":       strings.Repeat("ab", 32),
		"checkpoint_sha256": strings.Repeat("cd", 32),
		"metrics":           `{"accuracy":0.97,"auroc":0.99}`,
		"description":       "Größe, naïve — multi\nline",
		"empty":             "",
	}
	net, params, pre := fixtures()[1].build(t, 8)
	model := mustExport(t, net, params, pre, meta)
	got, err := ReadMetadata(model)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, meta) {
		t.Fatalf("metadata %v, want %v", got, meta)
	}
	var m pb.ModelProto
	if err := proto.Unmarshal(model, &m); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(m.GetMetadataProps()))
	for _, p := range m.GetMetadataProps() {
		keys = append(keys, p.GetKey())
	}
	if !slices.IsSorted(keys) {
		t.Errorf("props in order %v, want sorted", keys)
	}
	if err := checkRuntimeMetadata(model, meta); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadMetadata(mustExport(t, net, params, pre, nil)); err != nil || len(got) != 0 {
		t.Fatalf("no metadata: got %v, %v", got, err)
	}
}

// TestExportRejects lists inputs Export must refuse, each with the error naming where.
func TestExportRejects(t *testing.T) {
	base := func(t *testing.T) (models.Network, []*models.Param, *models.Preprocess) {
		return fixtures()[1].build(t, 1)
	}
	cases := []struct {
		name   string
		change func(*models.Network, *[]*models.Param, **models.Preprocess, map[string]string)
		want   string
	}{
		{"missing weight", func(_ *models.Network, p *[]*models.Param, _ **models.Preprocess, _ map[string]string) { *p = (*p)[1:] }, `weight "dense0.weight" missing`},
		{"missing bias", func(_ *models.Network, p *[]*models.Param, _ **models.Preprocess, _ map[string]string) {
			*p = slices.Delete(slices.Clone(*p), 1, 2)
		}, `bias "dense0.bias" missing`},
		{"duplicate parameter", func(_ *models.Network, p *[]*models.Param, _ **models.Preprocess, _ map[string]string) {
			*p = append(*p, (*p)[0])
		}, "given twice"},
		{"nil parameter", func(_ *models.Network, p *[]*models.Param, _ **models.Preprocess, _ map[string]string) {
			*p = append(*p, nil)
		}, "is nil"},
		{"wrong weight shape", func(_ *models.Network, p *[]*models.Param, _ **models.Preprocess, _ map[string]string) {
			(*p)[0] = &models.Param{Name: "dense0.weight", Shape: []int{30, 32}, Data: (*p)[0].Data}
		}, "shaped [30 32], want [32 30]"},
		{"short data", func(_ *models.Network, p *[]*models.Param, _ **models.Preprocess, _ map[string]string) {
			(*p)[1] = &models.Param{Name: "dense0.bias", Shape: []int{32}, Data: make([]float32, 3)}
		}, "has 3 values"},
		{"layers do not chain", func(n *models.Network, _ *[]*models.Param, _ **models.Preprocess, _ map[string]string) {
			n.Layers = slices.Delete(slices.Clone(n.Layers), 0, 2)
		}, "layer 0 (dense): input shaped [30] per sample, want [32]"},
		{"unknown op", func(n *models.Network, _ *[]*models.Param, _ **models.Preprocess, _ map[string]string) {
			n.Layers = append(slices.Clone(n.Layers), models.Layer{Op: "dropout"})
		}, `op "dropout" has no ONNX form`},
		{"unknown head", func(n *models.Network, _ *[]*models.Param, _ **models.Preprocess, _ map[string]string) {
			n.Head = "tanh"
		}, `unknown head "tanh"`},
		{"one class", func(n *models.Network, _ *[]*models.Param, _ **models.Preprocess, _ map[string]string) { n.Classes = 1 }, "need at least 2"},
		{"preprocess length", func(_ *models.Network, _ *[]*models.Param, pre **models.Preprocess, _ map[string]string) {
			*pre = &models.Preprocess{Mean: make([]float32, 29), Std: make([]float32, 29)}
		}, "29 features, want 30"},
		{"preprocess mean/std mismatch", func(_ *models.Network, _ *[]*models.Param, pre **models.Preprocess, _ map[string]string) {
			*pre = &models.Preprocess{Mean: make([]float32, 30), Std: []float32{1}}
		}, "30 means but 1 stds"},
		{"zero std", func(_ *models.Network, _ *[]*models.Param, pre **models.Preprocess, _ map[string]string) {
			(*pre).Std = slices.Clone((*pre).Std)
			(*pre).Std[4] = 0
		}, "std[4] = 0"},
		{"empty metadata key", func(_ *models.Network, _ *[]*models.Param, _ **models.Preprocess, m map[string]string) { m[""] = "x" }, "metadata: empty key"},
		{"invalid utf-8 value", func(_ *models.Network, _ *[]*models.Param, _ **models.Preprocess, m map[string]string) {
			m["k"] = "\xff"
		}, `value of key "k" is not valid UTF-8`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			net, params, pre := base(t)
			meta := map[string]string{}
			c.change(&net, &params, &pre, meta)
			_, err := Export(net, params, pre, meta)
			if !errors.Is(err, ErrExport) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want ErrExport saying %q", err, c.want)
			}
		})
	}
}

// TestMalformedModel: bytes that are not a usable model give ErrInvalidModel from both
// ReadMetadata (where the bytes cannot be parsed) and Load.
func TestMalformedModel(t *testing.T) {
	requireRuntime(t)
	net, params, pre := fixtures()[0].build(t, 1)
	valid := mustExport(t, net, params, pre, map[string]string{"k": "v"})
	var unknownOp pb.ModelProto
	if err := proto.Unmarshal(valid, &unknownOp); err != nil {
		t.Fatal(err)
	}
	unknownOp.Graph.Node[2].OpType = "NoSuchOp"
	badOp, err := proto.Marshal(&unknownOp)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		model     []byte
		parseable bool // ReadMetadata succeeds; only ONNX Runtime can tell
	}{
		{"empty", nil, false},
		{"text", []byte("this is not an onnx model"), false},
		{"truncated", valid[:len(valid)/2], false},
		{"no graph", []byte{0x08, 0x08}, false}, // ir_version 8 and nothing else
		{"unknown operator", badOp, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadMetadata(c.model)
			if c.parseable != (err == nil) {
				t.Fatalf("read metadata: err = %v", err)
			}
			if err != nil && !errors.Is(err, ErrInvalidModel) {
				t.Fatalf("read metadata: err = %v, want ErrInvalidModel", err)
			}
			s, err := Load(c.model)
			if err == nil {
				s.Close()
				t.Fatal("load accepted a malformed model")
			}
			if !errors.Is(err, ErrInvalidModel) {
				t.Fatalf("load: err = %v, want ErrInvalidModel", err)
			}
			t.Logf("load: %v", err)
		})
	}
}
