package channel

import (
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzRequest feeds arbitrary lines to the decoder and to an authenticated rank 0's
// request handling. Whatever the line, nothing panics, the answer encodes as one JSON
// line, and the Handler only ever sees valid metrics and paths under their roots.
func FuzzRequest(f *testing.F) {
	work := f.TempDir()
	ckpt := filepath.Join(work, "checkpoints")
	os.MkdirAll(filepath.Join(ckpt, "s1"), 0o755)
	os.WriteFile(filepath.Join(work, "m.onnx"), []byte("x"), 0o644)
	seeds := []string{
		`{"op": "ping"}`,
		`{"op": "report", "step": 3, "metrics": {"loss": 0.31, "acc": 0.9}}`,
		`{"op": "report", "step": 3, "metrics": {"loss": NaN}}`,
		`{"op": "report", "step": -3, "metrics": {"a b": 1e308}}`,
		`{"op": "checkpoint", "step": 2, "dir": "` + filepath.Join(ckpt, "s1") + `", "metrics": {"loss": 1}}`,
		`{"op": "checkpoint", "step": 2, "dir": "` + ckpt + `/../.."}`,
		`{"op": "onnx", "path": "` + filepath.Join(work, "m.onnx") + `", "inputs": "/etc/passwd", "outputs": ""}`,
		`{"op": "hello", "secret": "x", "rank": 0}`,
		`{"op": "stopped", "step": 4}`,
		`{"op": "stopped", "step": -1}`,
		`{"op": "report", "step": 9223372036854775807, "metrics": {"x": -0}}`,
		`[]`, `null`, `"op"`, `{"op": 1}`, "{\"op\": \"ping\", \"\xff\": 1}",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	h := &fakeHandler{}
	var stoppedAt []int64
	stop := func() (StopRequest, bool) { return StopRequest{Reason: "preempt", Detail: "a line\nand another"}, true }
	stopped := func(_ int, step int64) { stoppedAt = append(stoppedAt, step) }
	s := &Server{cfg: Config{Handler: h, WorkDir: work, Touch: func(int) {}, KeepAlive: DefaultKeepAlive, Stop: stop, Stopped: stopped}.withDefaults(),
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	s.ctx = f.Context()
	f.Fuzz(func(t *testing.T, line []byte) {
		req, err := decodeRequest(line)
		if err == nil && req.Op == "" {
			t.Fatal("decoded a request without an op")
		}
		sess := &session{rank: 0, info: HelloInfo{CheckpointDir: ckpt}, lastReport: -1, lastCheckpoint: -1}
		before, _, _ := h.calls()
		resp, _ := s.handle(sess, line)
		b, err := json.Marshal(resp)
		if err != nil || strings.ContainsRune(string(b), '\n') {
			t.Fatalf("answer %+v does not encode as one line: %v", resp, err)
		}
		if resp.OK == (resp.Error != "") {
			t.Fatalf("answer %+v: ok and error disagree", resp)
		}
		after, ckpts, onnx := h.calls()
		if len(after) > len(before) {
			if err := validateMetrics(req.Metrics); err != nil || len(req.Metrics) == 0 {
				t.Fatalf("handler got a report with bad metrics %v", req.Metrics)
			}
		}
		for _, step := range stoppedAt {
			if step < 0 {
				t.Fatalf("Stopped was told a negative step %d", step)
			}
		}
		for _, c := range ckpts {
			if !strings.Contains(c, ":"+ckpt) {
				t.Fatalf("handler got a checkpoint outside %s: %s", ckpt, c)
			}
		}
		for _, o := range onnx {
			if strings.Count(o, ":"+work) != 3 {
				t.Fatalf("handler got ONNX paths outside %s: %s", work, o)
			}
		}
	})
}
