package collective

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// rawHello dials addr, sends b and returns the acceptor's reply.
func rawHello(t *testing.T, addr string, b []byte) (status byte, reason string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write(b); err != nil {
		t.Fatalf("send hello: %v", err)
	}
	var ack [2]byte
	if _, err := io.ReadFull(conn, ack[:]); err != nil {
		t.Fatalf("read reply: %v", err)
	}
	r := make([]byte, ack[1])
	if _, err := io.ReadFull(conn, r); err != nil {
		t.Fatalf("read reason: %v", err)
	}
	return ack[0], string(r)
}

func TestHandshakeRejectsStrangersAndKeepsWaiting(t *testing.T) {
	ln0, _ := net.Listen("tcp", "127.0.0.1:0")
	ln1, _ := net.Listen("tcp", "127.0.0.1:0")
	addrs := []string{ln0.Addr().String(), ln1.Addr().String()}
	cfg1 := testConfig(2)
	cfg1.Rank, cfg1.Addrs = 1, addrs
	type joined struct {
		c   *Comm
		err error
	}
	done1 := make(chan joined, 1)
	go func() { c, err := JoinListener(t.Context(), cfg1, ln1); done1 <- joined{c, err} }()

	tests := []struct {
		name  string
		hello []byte
		want  string
	}{
		{"wrong_session", hello{From: 0, To: 1, World: 2, Session: "attempt-old"}.encode(), "session mismatch"},
		{"wrong_world", hello{From: 0, To: 1, World: 3, Session: testSession}.encode(), "world size"},
		{"wrong_rank", hello{From: 1, To: 1, World: 2, Session: testSession}.encode(), "want predecessor"},
		{"garbage", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "bad magic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, reason := rawHello(t, addrs[1], tt.hello)
			if status != ackReject || !strings.Contains(reason, tt.want) {
				t.Fatalf("reply %d %q, want reject mentioning %q", status, reason, tt.want)
			}
			if strings.Contains(reason, "attempt-old") {
				t.Fatalf("reason %q echoes the session", reason)
			}
		})
	}

	// The genuine rank 0 still gets in after the strangers were turned away.
	cfg0 := testConfig(2)
	cfg0.Rank, cfg0.Addrs = 0, addrs
	c0, err := JoinListener(t.Context(), cfg0, ln0)
	if err != nil {
		t.Fatalf("rank 0 join: %v", err)
	}
	defer c0.Close()
	j1 := <-done1
	if j1.err != nil {
		t.Fatalf("rank 1 join: %v", j1.err)
	}
	defer j1.c.Close()
	buf0, buf1 := []float32{1, 2}, []float32{10, 20}
	errs, _ := runAll([]*Comm{c0, j1.c}, func(r int, c *Comm) error {
		return c.AllReduceSum([][]float32{buf0, buf1}[r])
	})
	if errors.Join(errs...) != nil || buf0[1] != 22 || buf1[0] != 11 {
		t.Fatalf("all-reduce after rejected strangers: %v %v %v", buf0, buf1, errs)
	}
}

func TestJoinFailsOnMismatchedPeer(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(rank int, cfg *Config)
	}{
		{"session", func(rank int, cfg *Config) {
			if rank == 0 {
				cfg.Session = "attempt-other"
			}
		}},
		{"world", func(rank int, cfg *Config) {
			if rank == 0 {
				cfg.World = 3
				cfg.Addrs = append(cfg.Addrs, cfg.Addrs[0])
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lns := []net.Listener{listen(t), listen(t)}
			addrs := []string{lns[0].Addr().String(), lns[1].Addr().String()}
			errs := make([]error, 2)
			took := make([]time.Duration, 2)
			done := make(chan int, 2)
			for r := range 2 {
				cfg := testConfig(2)
				cfg.Rank, cfg.Addrs, cfg.DialTimeout = r, addrs, 2*time.Second
				tt.mutate(r, &cfg)
				go func() {
					start := time.Now()
					c, err := JoinListener(t.Context(), cfg, lns[r])
					if c != nil {
						_ = c.Close()
					}
					errs[r], took[r] = err, time.Since(start)
					done <- r
				}()
			}
			<-done
			<-done
			handshake := false
			for r, err := range errs {
				if err == nil {
					t.Fatalf("rank %d joined a peer with a different %s", r, tt.name)
				}
				if !isKind(err, ErrHandshake) && !isKind(err, ErrTimeout) {
					t.Errorf("rank %d: got %v, want ErrHandshake or ErrTimeout", r, err)
				}
				handshake = handshake || isKind(err, ErrHandshake)
				if took[r] > 2*time.Second+margin {
					t.Errorf("rank %d: join took %v", r, took[r])
				}
			}
			if !handshake {
				t.Errorf("no rank reported ErrHandshake: %v", errs)
			}
		})
	}
}

func TestJoinTimesOutWithoutPeers(t *testing.T) {
	// Rank 1's address is a port nobody listens on any more.
	dead := listen(t)
	deadAddr := dead.Addr().String()
	_ = dead.Close()
	cfg := testConfig(2)
	cfg.Rank, cfg.DialTimeout = 0, 300*time.Millisecond
	cfg.Addrs = []string{"", deadAddr}
	start := time.Now()
	_, err := JoinListener(t.Context(), cfg, listen(t))
	if !isKind(err, ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	if took := time.Since(start); took > 300*time.Millisecond+margin {
		t.Fatalf("join gave up after %v, want about 300ms", took)
	}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return ln
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	ok := testConfig(2)
	ok.Addrs = []string{"127.0.0.1:1", "127.0.0.1:2"}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string // "" means valid
	}{
		{"valid", func(*Config) {}, ""},
		{"one_rank_needs_no_addrs", func(c *Config) { c.World, c.Addrs = 1, nil }, ""},
		{"world_zero", func(c *Config) { c.World = 0 }, "world 0"},
		{"rank_out_of_range", func(c *Config) { c.Rank = 2 }, "rank 2"},
		{"addrs_count", func(c *Config) { c.Addrs = c.Addrs[:1] }, "addrs: has 1"},
		{"addr_empty", func(c *Config) { c.Addrs[1] = "" }, "addrs[1]"},
		{"chunk_not_multiple_of_4", func(c *Config) { c.ChunkBytes = 10 }, "chunk_bytes 10"},
		{"negative_timeout", func(c *Config) { c.Timeout = -1 }, "timeout"},
		{"negative_dial_timeout", func(c *Config) { c.DialTimeout = -1 }, "dial_timeout"},
		{"long_session", func(c *Config) { c.Session = strings.Repeat("s", 256) }, "session"},
		{"long_congestion", func(c *Config) { c.Congestion = strings.Repeat("c", 16) }, "congestion"},
		{"auto_chunk", func(c *Config) { c.ChunkBytes = 0 }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			c.Addrs = append([]string(nil), ok.Addrs...)
			tt.mutate(&c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("valid config rejected: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want ErrInvalidConfig mentioning %q", err, tt.want)
			}
		})
	}
}
