package collective

import (
	"fmt"
	"net"
	"runtime"
	"testing"
)

func TestChunkBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		configured int
		stepBytes  int
		want       int
	}{
		{"configured_wins", 12, 64 << 20, 12},
		{"small_step_gets_floor", 0, 1 << 20, DefaultChunkBytes},
		{"empty_step_gets_floor", 0, 0, DefaultChunkBytes},
		{"mid_step_is_a_sixteenth", 0, 8 << 20, 512 << 10},
		{"rounded_to_pages", 0, 16*(300<<10) + 16*100, 300 << 10},
		{"large_step_gets_ceiling", 0, 64 << 20, maxAutoChunkBytes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Comm{cfg: Config{ChunkBytes: tt.configured}}
			if got := c.chunkBytes(tt.stepBytes); got != tt.want {
				t.Fatalf("chunkBytes(%d) with ChunkBytes=%d: got %d, want %d", tt.stepBytes, tt.configured, got, tt.want)
			}
		})
	}
}

// TestAllReduceAutoChunkGrowsScratch runs a small then a large all-reduce on
// the automatic chunk size, so the second needs chunks above the floor and a
// larger receive scratch, and checks the bits against the documented order.
func TestAllReduceAutoChunkGrowsScratch(t *testing.T) {
	const world = 2
	comms := startWorld(t, world, func(_ int, cfg *Config) { cfg.ChunkBytes = 0 })
	for _, n := range []int{1000, 3<<20 + 5} {
		checkAllReduceSum(t, comms, n, uint64(n))
	}
	if per := comms[0].chunkBytes(4 * (3<<20 + 5) / world); per <= DefaultChunkBytes || cap(comms[0].scratch) < per/4 {
		t.Fatalf("chunk %d bytes, scratch %d floats: the large all-reduce did not use a grown chunk", per, cap(comms[0].scratch))
	}
}

func TestJoinSetsCongestion(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("TCP_CONGESTION is Linux-only")
	}
	tests := []struct {
		name       string
		congestion string
		want       func(system string) string
	}{
		{"default_is_reno", "", func(string) string { return DefaultCongestion }},
		{"system_keeps_default", SystemCongestion, func(system string) string { return system }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			comms := startWorld(t, 2, func(_ int, cfg *Config) { cfg.Congestion = tt.congestion })
			system := systemCongestion(t)
			for r, c := range comms {
				for _, conn := range []net.Conn{c.next, c.prev} {
					if got := congestion(conn.(*net.TCPConn)); got != tt.want(system) {
						t.Errorf("rank %d %s: congestion %q, want %q", r, conn.LocalAddr(), got, tt.want(system))
					}
				}
			}
		})
	}
}

// systemCongestion reads what a fresh loopback connection gets by default.
func systemCongestion(t *testing.T) string {
	t.Helper()
	ln := listen(t)
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	name := congestion(conn.(*net.TCPConn))
	if name == "" {
		t.Fatal("cannot read TCP_CONGESTION")
	}
	return name
}

func TestUnknownCongestionIsBestEffort(t *testing.T) {
	comms := startWorld(t, 2, func(_ int, cfg *Config) { cfg.Congestion = "no-such-cc" })
	bufs := [][]float32{{1, 2, 3}, {4, 5, 6}}
	errs, _ := runAll(comms, func(r int, c *Comm) error { return c.AllReduceSum(bufs[r]) })
	for r, err := range errs {
		if err != nil {
			t.Fatalf("rank %d: %v", r, err)
		}
		if got := fmt.Sprint(bufs[r]); got != "[5 7 9]" {
			t.Fatalf("rank %d: got %s, want [5 7 9]", r, got)
		}
	}
}
