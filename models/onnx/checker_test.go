package onnx

import (
	"bytes"
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
// onnx.checker (with full shape inference), from Debian's python3-onnx, which
// `make test` installs (scripts/install-python-deps.sh). Without it the test fails;
// only under -short (make test-short, which installs no Debian packages) it skips.
func TestONNXChecker(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, python, "-c", "import onnx.checker, onnx.shape_inference").CombinedOutput(); err != nil {
		if testing.Short() {
			t.Skipf("skipping under -short: %s cannot import onnx (%v): `make test` installs python3-onnx and runs this test", python, err)
		}
		t.Fatalf("%s cannot import onnx (%v: %s): `make test` installs Debian's python3-onnx (scripts/install-python-deps.sh); "+
			"or run `apt-get install python3-onnx`", python, err, bytes.TrimSpace(out))
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
