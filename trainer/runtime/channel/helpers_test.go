package channel

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const testSecret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// fakeHandler records calls and answers with what the test set.
type fakeHandler struct {
	mu          sync.Mutex
	reports     []string
	checkpoints []string
	onnx        []string
	ckptErr     error
	ckptDelay   time.Duration
	onnxErr     error
}

func (h *fakeHandler) Report(rank int, step int64, metrics map[string]float64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reports = append(h.reports, fmt.Sprintf("%d@%d:%v", rank, step, metrics))
}

func (h *fakeHandler) Checkpoint(ctx context.Context, rank int, step int64, dir string, metrics map[string]float64) (CheckpointResult, error) {
	h.mu.Lock()
	delay, err := h.ckptDelay, h.ckptErr
	h.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return CheckpointResult{}, ctx.Err()
		}
	}
	if err != nil {
		return CheckpointResult{}, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checkpoints = append(h.checkpoints, fmt.Sprintf("%d@%d:%s:%v", rank, step, dir, metrics))
	return CheckpointResult{CheckpointID: fmt.Sprintf("cp-%d", step), ManifestSHA256: strings.Repeat("ab", 32)}, nil
}

func (h *fakeHandler) ONNX(ctx context.Context, rank int, path, inputs, outputs string) (ONNXResult, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.onnxErr != nil {
		return ONNXResult{}, h.onnxErr
	}
	h.onnx = append(h.onnx, fmt.Sprintf("%d:%s:%s:%s", rank, path, inputs, outputs))
	return ONNXResult{SHA256: strings.Repeat("cd", 32), MaxAbsDiff: 0}, nil
}

func (h *fakeHandler) calls() (reports, checkpoints, onnx []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.reports...), append([]string(nil), h.checkpoints...), append([]string(nil), h.onnx...)
}

// touches counts Touch calls per rank.
type touches struct {
	mu sync.Mutex
	n  map[int]int
}

func (c *touches) touch(rank int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[int]int{}
	}
	c.n[rank]++
}

func (c *touches) count(rank int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[rank]
}

// env is a running server over a work directory with a checkpoint directory.
type env struct {
	srv     *Server
	h       *fakeHandler
	touches *touches
	work    string
	ckpt    string
	resume  *Resume
}

func startServer(t *testing.T, change ...func(*Config)) *env {
	t.Helper()
	// Resolve the temp dir so the expected paths are the server's real paths.
	work, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{h: &fakeHandler{}, touches: &touches{}, work: work, ckpt: filepath.Join(work, "checkpoints")}
	if err := os.Mkdir(e.ckpt, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Dir:     work,
		Secret:  testSecret,
		Ranks:   []int{0, 1},
		WorkDir: work,
		Info: func(rank int) (HelloInfo, error) {
			return HelloInfo{
				Experiment: "exp-1", Attempt: "att-1", Rank: rank, WorldSize: 2, LocalRank: rank, Seed: 42,
				Dataset: Dataset{Dir: filepath.Join(work, "data")}, Resume: e.resume,
				CheckpointDir: e.ckpt, MaxCheckpointBytes: 1 << 30,
			}, nil
		},
		Handler:      e.h,
		Touch:        e.touches.touch,
		HelloTimeout: 2 * time.Second,
		KeepAlive:    10 * time.Millisecond,
		Logger:       slog.New(slog.NewTextHandler(testLogWriter{t}, nil)),
	}
	for _, c := range change {
		c(&cfg)
	}
	srv, err := Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return e
}

type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// client is a rank's end of the channel.
type client struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dial(t *testing.T, e *env) *client {
	t.Helper()
	c, err := net.Dial("unix", e.srv.Path())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	return &client{t: t, conn: c, r: bufio.NewReader(c)}
}

// call sends msg (a JSON-encodable value, or a raw string line) and returns the answer.
func (c *client) call(msg any) map[string]any {
	c.t.Helper()
	var line []byte
	if s, ok := msg.(string); ok {
		line = []byte(s)
	} else {
		var err error
		if line, err = json.Marshal(msg); err != nil {
			c.t.Fatal(err)
		}
	}
	if _, err := c.conn.Write(append(line, '\n')); err != nil {
		c.t.Fatalf("write: %v", err)
	}
	return c.read()
}

func (c *client) read() map[string]any {
	c.t.Helper()
	b, err := c.r.ReadBytes('\n')
	if err != nil {
		c.t.Fatalf("read answer: %v", err)
	}
	var resp map[string]any
	if err := json.Unmarshal(b, &resp); err != nil {
		c.t.Fatalf("answer %q is not JSON: %v", b, err)
	}
	return resp
}

// closed reports whether the server closes the connection (within two seconds),
// reading past anything it still sends.
func (c *client) closed() bool {
	c.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err := io.Copy(io.Discard, c.r)
	return err == nil || errors.Is(err, syscall.ECONNRESET)
}

func hello(rank int) map[string]any {
	return map[string]any{"op": "hello", "secret": testSecret, "rank": rank, "pid": 1234}
}

// connect dials and says hello as rank, failing the test if refused.
func connect(t *testing.T, e *env, rank int) *client {
	t.Helper()
	c := dial(t, e)
	if resp := c.call(hello(rank)); resp["ok"] != true {
		t.Fatalf("hello as rank %d refused: %v", rank, resp)
	}
	return c
}

func wantOK(t *testing.T, resp map[string]any) {
	t.Helper()
	if resp["ok"] != true {
		t.Fatalf("answer %v, want ok", resp)
	}
}

func wantError(t *testing.T, resp map[string]any, substr string) {
	t.Helper()
	msg, _ := resp["error"].(string)
	if resp["ok"] != false || !strings.Contains(msg, substr) {
		t.Fatalf("answer %v, want ok false with an error containing %q", resp, substr)
	}
}
