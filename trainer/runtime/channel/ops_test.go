package channel

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReport(t *testing.T) {
	e := startServer(t)
	c := connect(t, e, 1)
	cases := []struct {
		name string
		msg  any
		want string // "" for ok
	}{
		{"valid", map[string]any{"op": "report", "step": 3, "metrics": map[string]float64{"loss": 0.31, "val.auroc_1": 0.9}}, ""},
		{"same step again", map[string]any{"op": "report", "step": 3, "metrics": map[string]float64{"val_loss": 0.4}}, ""},
		{"step goes back", map[string]any{"op": "report", "step": 2, "metrics": map[string]float64{"loss": 1}}, "report step 2 is before the last reported step 3"},
		{"no step", map[string]any{"op": "report", "metrics": map[string]float64{"loss": 1}}, "no step"},
		{"negative step", map[string]any{"op": "report", "step": -1, "metrics": map[string]float64{"loss": 1}}, "step -1 is negative"},
		{"fractional step", `{"op": "report", "step": 1.5, "metrics": {"loss": 1}}`, "not valid JSON"},
		{"no metrics", map[string]any{"op": "report", "step": 4}, "no metrics"},
		{"empty metrics", map[string]any{"op": "report", "step": 4, "metrics": map[string]float64{}}, "no metrics"},
		{"space in name", map[string]any{"op": "report", "step": 4, "metrics": map[string]float64{"val loss": 1}}, `metric name "val loss"`},
		{"name too long", map[string]any{"op": "report", "step": 4, "metrics": map[string]float64{strings.Repeat("m", 65): 1}}, "metric name"},
		{"unicode name", map[string]any{"op": "report", "step": 4, "metrics": map[string]float64{"lössé": 1}}, "metric name"},
		{"empty name", map[string]any{"op": "report", "step": 4, "metrics": map[string]float64{"": 1}}, "metric name"},
		{"NaN", `{"op": "report", "step": 4, "metrics": {"loss": NaN}}`, "NaN and Infinity are not JSON"},
		{"Infinity", `{"op": "report", "step": 4, "metrics": {"loss": -Infinity}}`, "must be finite"},
		{"overflow", `{"op": "report", "step": 4, "metrics": {"loss": 1e999}}`, "not valid JSON"},
		{"string value", `{"op": "report", "step": 4, "metrics": {"loss": "0.3"}}`, "not valid JSON"},
		{"later step", map[string]any{"op": "report", "step": 10, "metrics": map[string]float64{"loss": 0.2}}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := c.call(tc.msg)
			if tc.want == "" {
				wantOK(t, resp)
			} else {
				wantError(t, resp, tc.want)
			}
		})
	}
	reports, _, _ := e.h.calls()
	want := []string{"1@3:map[loss:0.31 val.auroc_1:0.9]", "1@3:map[val_loss:0.4]", "1@10:map[loss:0.2]"}
	if strings.Join(reports, "|") != strings.Join(want, "|") {
		t.Fatalf("handler saw reports %q, want only the valid ones %q", reports, want)
	}
	if n := e.touches.count(1); n != 1+len(cases) {
		t.Fatalf("rank 1 touched %d times, want %d (hello and every message, valid or not)", n, 1+len(cases))
	}
}

func TestValidateMetricsFinite(t *testing.T) {
	// JSON cannot carry these, but the check must not rely on that.
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if err := validateMetrics(map[string]float64{"loss": v}); !errors.Is(err, ErrBadRequest) {
			t.Errorf("validateMetrics(%v) = %v, want ErrBadRequest", v, err)
		}
	}
}

func TestCheckpoint(t *testing.T) {
	e := startServer(t)
	outside := t.TempDir()
	mk := func(parts ...string) string {
		p := filepath.Join(parts...)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	step10 := mk(e.ckpt, "step-10")
	nested := mk(e.ckpt, "a", "b")
	mk(outside, "escape")
	if err := os.Symlink(outside, filepath.Join(e.ckpt, "link-out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(step10, filepath.Join(e.work, "link-in")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(e.ckpt, "file"), []byte("x"), 0o644)
	ckpt := func(step int, dir string) map[string]any {
		return map[string]any{"op": "checkpoint", "step": step, "dir": dir, "metrics": map[string]float64{"loss": 0.5}}
	}

	rank1 := connect(t, e, 1)
	wantError(t, rank1.call(ckpt(10, step10)), "only rank 0 sends checkpoints, not rank 1")

	c := connect(t, e, 0)
	cases := []struct {
		name string
		msg  any
		want string
	}{
		{"outside", ckpt(10, outside), "does not lie under"},
		{"dot dot", ckpt(10, e.ckpt+"/../"), "does not lie under"},
		{"symlink out", ckpt(10, filepath.Join(e.ckpt, "link-out", "escape")), "does not lie under"},
		{"relative", ckpt(10, "checkpoints/step-10"), "is not absolute"},
		{"missing", ckpt(10, filepath.Join(e.ckpt, "nope")), "no such file"},
		{"not a dir", ckpt(10, filepath.Join(e.ckpt, "file")), "is not a directory"},
		{"no dir", map[string]any{"op": "checkpoint", "step": 10}, "no checkpoint dir"},
		{"no step", map[string]any{"op": "checkpoint", "dir": step10}, "no step"},
		{"bad metric", map[string]any{"op": "checkpoint", "step": 10, "dir": step10, "metrics": map[string]float64{"a-b": 1}}, "metric name"},
		{"ok through a symlink into it", ckpt(10, filepath.Join(e.work, "link-in")), ""},
		{"same step", ckpt(10, step10), "checkpoint step 10 is not after step 10"},
		{"earlier step", ckpt(5, step10), "not after step 10"},
		{"nested", ckpt(20, nested), ""},
		{"the checkpoint dir itself", map[string]any{"op": "checkpoint", "step": 30, "dir": e.ckpt}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := c.call(tc.msg)
			if tc.want != "" {
				wantError(t, resp, tc.want)
				return
			}
			wantOK(t, resp)
			if resp["checkpoint_id"] == "" || resp["manifest_sha256"] != strings.Repeat("ab", 32) {
				t.Fatalf("answer %v lacks the checkpoint id and manifest hash", resp)
			}
		})
	}
	_, got, _ := e.h.calls()
	want := []string{"0@10:" + step10 + ":map[loss:0.5]", "0@20:" + nested + ":map[loss:0.5]", "0@30:" + e.ckpt + ":map[]"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("handler saw %q, want %q (resolved paths, valid calls only)", got, want)
	}
}

func TestCheckpointHandlerErrorAndResume(t *testing.T) {
	e := startServer(t)
	e.resume = &Resume{Step: 120, Dir: "/w/resume", CheckpointID: "cp-1"}
	dir := filepath.Join(e.ckpt, "s")
	os.Mkdir(dir, 0o755)
	c := connect(t, e, 0)
	ckpt := func(step int) map[string]any { return map[string]any{"op": "checkpoint", "step": step, "dir": dir} }
	wantError(t, c.call(ckpt(120)), "not after step 120") // the resume point counts as the last checkpoint

	e.h.mu.Lock()
	e.h.ckptErr = errors.New("checkpoint is 2 GiB, over max_checkpoint_bytes")
	e.h.mu.Unlock()
	wantError(t, c.call(ckpt(130)), "checkpoint at step 130: checkpoint is 2 GiB, over max_checkpoint_bytes")

	e.h.mu.Lock()
	e.h.ckptErr = nil
	e.h.mu.Unlock()
	resp := c.call(ckpt(130)) // a failed step may be tried again
	wantOK(t, resp)
	if resp["checkpoint_id"] != "cp-130" {
		t.Fatalf("answer %v, want checkpoint_id cp-130", resp)
	}
}

func TestKeepAliveDuringHandler(t *testing.T) {
	e := startServer(t)
	e.h.ckptDelay = 200 * time.Millisecond
	dir := filepath.Join(e.ckpt, "s")
	os.Mkdir(dir, 0o755)
	c := connect(t, e, 0)
	before := e.touches.count(0)
	wantOK(t, c.call(map[string]any{"op": "checkpoint", "step": 1, "dir": dir}))
	// KeepAlive is 10ms: about 20 touches during the 200ms call.
	if n := e.touches.count(0) - before; n < 8 {
		t.Fatalf("rank 0 touched %d times during a 200ms checkpoint, want it kept alive", n)
	}
	after := e.touches.count(0)
	time.Sleep(50 * time.Millisecond)
	if n := e.touches.count(0); n != after {
		t.Fatalf("touches went on after the checkpoint answered (%d → %d)", after, n)
	}
}

func TestONNX(t *testing.T) {
	e := startServer(t)
	file := func(name string) string {
		p := filepath.Join(e.work, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	model, in, out := file("export/model.onnx"), file("export/in.npy"), file("export/out.npy")
	outside := filepath.Join(t.TempDir(), "model.onnx")
	os.WriteFile(outside, []byte("x"), 0o644)
	onnx := func(path, inputs, outputs string) map[string]any {
		return map[string]any{"op": "onnx", "path": path, "inputs": inputs, "outputs": outputs}
	}

	rank1 := connect(t, e, 1)
	wantError(t, rank1.call(onnx(model, in, out)), "only rank 0 sends ONNX files")

	c := connect(t, e, 0)
	wantError(t, c.call(onnx(outside, in, out)), "path")
	wantError(t, c.call(onnx(model, "/etc/passwd", out)), `inputs "/etc/passwd"`)
	wantError(t, c.call(onnx(model, in, filepath.Join(e.work, "export"))), "is not a regular file")
	wantError(t, c.call(onnx(model, in, "")), "no outputs")
	wantError(t, c.call(onnx("export/model.onnx", in, out)), "is not absolute")

	resp := c.call(onnx(model, in, out))
	wantOK(t, resp)
	if resp["sha256"] != strings.Repeat("cd", 32) || resp["max_abs_diff"] != 0.0 {
		t.Fatalf("answer %v, want sha256 and max_abs_diff 0", resp)
	}
	e.h.mu.Lock()
	e.h.onnxErr = errors.New("max |diff| 0.3 over 1e-4")
	e.h.mu.Unlock()
	wantError(t, c.call(onnx(model, in, out)), "max |diff| 0.3 over 1e-4")

	_, _, got := e.h.calls()
	if want := "0:" + model + ":" + in + ":" + out; len(got) != 1 || got[0] != want {
		t.Fatalf("handler saw %q, want [%s]", got, want)
	}
}
