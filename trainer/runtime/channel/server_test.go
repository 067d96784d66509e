package channel

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSocketPlacement(t *testing.T) {
	e := startServer(t)
	path := e.srv.Path()
	if !strings.HasPrefix(path, e.work+string(filepath.Separator)) || len(path) > maxSocketPath {
		t.Fatalf("socket %s: want it under the work dir %s and at most %d bytes", path, e.work, maxSocketPath)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %v, want a 0600 socket", fi.Mode())
	}
	di, err := os.Stat(filepath.Dir(path))
	if err != nil || di.Mode().Perm() != 0o700 {
		t.Fatalf("socket directory mode %v (err %v), want 0700", di.Mode(), err)
	}
	if err := e.srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(path)); !os.IsNotExist(err) {
		t.Fatalf("socket directory still there after Close (Stat: %v)", err)
	}
	if _, err := net.Dial("unix", path); err == nil {
		t.Fatal("dialled the socket after Close")
	}
	if err := e.srv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestSocketPathFallback(t *testing.T) {
	long := filepath.Join(t.TempDir(), strings.Repeat("w", 100))
	if err := os.MkdirAll(long, 0o755); err != nil {
		t.Fatal(err)
	}
	e := startServer(t, func(c *Config) { c.Dir = long })
	if p := e.srv.Path(); !strings.HasPrefix(p, os.TempDir()) || len(p) > maxSocketPath {
		t.Fatalf("socket %s: want it under %s for a long work dir", p, os.TempDir())
	}
	connect(t, e, 0) // and it works

	t.Setenv("TMPDIR", long)
	_, err := Listen(Config{Dir: long, Secret: testSecret, Ranks: []int{0}, WorkDir: long,
		Info: func(int) (HelloInfo, error) { return HelloInfo{}, nil }, Handler: &fakeHandler{}})
	if !errors.Is(err, ErrSocketPath) {
		t.Fatalf("Listen with only long directories = %v, want ErrSocketPath", err)
	}
}

func TestHelloRefused(t *testing.T) {
	cases := []struct {
		name string
		msg  any
		want string
	}{
		{"wrong secret", map[string]any{"op": "hello", "secret": strings.Repeat("f", 64), "rank": 0}, "wrong secret"},
		{"secret prefix", map[string]any{"op": "hello", "secret": testSecret[:32], "rank": 0}, "wrong secret"},
		{"no secret", map[string]any{"op": "hello", "rank": 0}, "wrong secret"},
		{"no rank", map[string]any{"op": "hello", "secret": testSecret}, "no rank"},
		{"rank of another node", hello(5), "rank 5 does not run on this node (ranks [0 1])"},
		{"negative rank", hello(-1), "rank -1 does not run on this node"},
		{"op before hello", map[string]any{"op": "ping"}, `first message must be hello, not "ping"`},
		{"bad json", `{"op": "hello", `, "not valid JSON"},
		{"not an object", `[1, 2]`, "not valid JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := startServer(t)
			c := dial(t, e)
			wantError(t, c.call(tc.msg), tc.want)
			if !c.closed() {
				t.Fatal("connection still open after a refused hello")
			}
			if n := e.touches.count(0); n != 0 {
				t.Fatalf("a refused hello touched rank 0 %d times", n)
			}
			// The refusal did not use up the rank.
			connect(t, e, 0)
		})
	}
}

func TestHelloInfo(t *testing.T) {
	e := startServer(t)
	e.resume = &Resume{Step: 120, Dir: "/w/resume", CheckpointID: "cp-9", Metrics: map[string]float64{"loss": 0.3}}
	c := dial(t, e)
	resp := c.call(hello(1))
	wantOK(t, resp)
	info, _ := resp["info"].(map[string]any)
	checks := map[string]any{"experiment": "exp-1", "attempt": "att-1", "rank": 1.0, "world_size": 2.0, "local_rank": 1.0,
		"seed": 42.0, "checkpoint_dir": e.ckpt, "max_checkpoint_bytes": float64(1 << 30)}
	for k, want := range checks {
		if info[k] != want {
			t.Errorf("info.%s = %v, want %v", k, info[k], want)
		}
	}
	if ds, _ := info["dataset"].(map[string]any); ds["dir"] != filepath.Join(e.work, "data") {
		t.Errorf("info.dataset = %v", info["dataset"])
	}
	if r, _ := info["resume"].(map[string]any); r["step"] != 120.0 || r["checkpoint_id"] != "cp-9" || r["dir"] != "/w/resume" {
		t.Errorf("info.resume = %v", info["resume"])
	}
	if e.touches.count(1) != 1 {
		t.Errorf("hello touched rank 1 %d times, want once", e.touches.count(1))
	}

	// A fresh start says so with an explicit null.
	e.resume = nil
	resp = dial(t, e).call(hello(0))
	info, _ = resp["info"].(map[string]any)
	if r, ok := info["resume"]; !ok || r != nil {
		t.Errorf("info.resume = %v (present %v), want null", r, ok)
	}
}

func TestOneConnectionPerRank(t *testing.T) {
	e := startServer(t)
	first := connect(t, e, 0)

	second := dial(t, e)
	wantError(t, second.call(hello(0)), "rank 0 has already said hello")
	if !second.closed() {
		t.Fatal("second connection for rank 0 left open")
	}
	wantOK(t, first.call(map[string]any{"op": "ping"}))

	// A second hello on the same connection is refused and closes it.
	wantError(t, first.call(hello(0)), "already said hello")
	if !first.closed() {
		t.Fatal("connection left open after a second hello")
	}
	// And the rank cannot come back (PROTOCOL.md: one connection per rank for its lifetime).
	again := dial(t, e)
	wantError(t, again.call(hello(0)), "already said hello")
}

func TestHelloInfoError(t *testing.T) {
	calls := 0
	e := startServer(t, func(c *Config) {
		next := c.Info
		c.Info = func(rank int) (HelloInfo, error) {
			calls++
			if calls == 1 {
				return HelloInfo{}, errors.New("dataset not ready")
			}
			return next(rank)
		}
	})
	c := dial(t, e)
	wantError(t, c.call(hello(0)), "dataset not ready")
	if !c.closed() {
		t.Fatal("connection open after a failed hello")
	}
	connect(t, e, 0) // the failed hello did not use up rank 0
}

func TestHelloTimeout(t *testing.T) {
	e := startServer(t, func(c *Config) { c.HelloTimeout = 100 * time.Millisecond })
	c := dial(t, e)
	t0 := time.Now()
	if !c.closed() {
		t.Fatal("a silent connection was kept open past the hello timeout")
	}
	if d := time.Since(t0); d > time.Second {
		t.Fatalf("silent connection closed after %v", d)
	}
}

func TestFraming(t *testing.T) {
	e := startServer(t)
	c := connect(t, e, 1)
	wantError(t, c.call(`{"op": "report", "step": `), "not valid JSON")
	wantError(t, c.call(`{"step": 1}`), "no op")
	wantError(t, c.call(map[string]any{"op": "shutdown"}), `unknown op "shutdown"`)
	wantOK(t, c.call(map[string]any{"op": "ping"})) // bad lines do not end the connection

	// A line of exactly MaxLine bytes is fine.
	ping := `{"op": "ping"}`
	wantOK(t, c.call(ping+strings.Repeat(" ", MaxLine-len(ping))))
	// One byte more breaks the framing: answered, then closed.
	wantError(t, c.call(ping+strings.Repeat(" ", MaxLine-len(ping)+1)), "line longer than 1048576 bytes")
	if !c.closed() {
		t.Fatal("connection open after an oversize line")
	}
	if n := e.touches.count(1); n != 1+6 {
		t.Fatalf("rank 1 touched %d times, want once for hello and once per message (7)", n)
	}
}

func TestCloseCancelsHandlers(t *testing.T) {
	e := startServer(t)
	e.h.ckptDelay = time.Minute
	dir := filepath.Join(e.ckpt, "step-1")
	os.Mkdir(dir, 0o755)
	c := connect(t, e, 0)
	if _, err := c.conn.Write([]byte(`{"op": "checkpoint", "step": 1, "dir": "` + dir + `"}` + "\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // let the handler start
	t0 := time.Now()
	if err := e.srv.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > time.Second {
		t.Fatalf("Close took %v with a handler in flight", d)
	}
	if !c.closed() {
		t.Fatal("connection open after Close")
	}
}
