package onnx

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"
)

// python is Debian's interpreter, where apt's python3-onnx installs; a pyenv or venv
// python earlier in PATH would not see it.
const python = "/usr/bin/python3"

// TestONNXChecker passes every exported architecture through the reference
// onnx.checker (with full shape inference) when Debian's python3-onnx is installed.
func TestONNXChecker(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	if err := exec.CommandContext(ctx, python, "-c", "import onnx").Run(); err != nil {
		t.Skipf("%s cannot import onnx (%v): `apt-get install python3-onnx` enables this test", python, err)
	}
	dir := t.TempDir()
	var paths []string
	for _, f := range fixtures() {
		net, params, pre := f.build(t, 3)
		p := filepath.Join(dir, f.name+".onnx")
		if err := os.WriteFile(p, mustExport(t, net, params, pre, map[string]string{"model_name": f.name}), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	const script = `
import sys, onnx
for p in sys.argv[1:]:
    m = onnx.load(p)
    onnx.checker.check_model(m, full_check=True)
    out = onnx.shape_inference.infer_shapes(m, strict_mode=True).graph.output[0]
    print(p, "ok", [d.dim_param or d.dim_value for d in out.type.tensor_type.shape.dim])
`
	out, err := exec.CommandContext(ctx, python, append([]string{"-c", script}, paths...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("onnx.checker: %v\n%s", err, out)
	}
	t.Logf("%s", out)

	// The same check must refuse a graph that is wrong, or passing it proves nothing.
	var m pb.ModelProto
	valid, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := proto.Unmarshal(valid, &m); err != nil {
		t.Fatal(err)
	}
	m.Graph.Node[len(m.Graph.Node)-1].Input = []string{"no_such_tensor"}
	broken, err := proto.Marshal(&m)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "broken.onnx")
	if err := os.WriteFile(bad, broken, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.CommandContext(ctx, python, "-c", script, bad).CombinedOutput(); err == nil {
		t.Fatalf("onnx.checker accepted a node reading an undefined tensor:\n%s", out)
	}
}
