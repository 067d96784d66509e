package collective

import (
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// margin covers scheduling on a loaded 2-core machine (and -race).
const margin = 3 * time.Second

func TestPeerClosesMidTransfer(t *testing.T) {
	const world, timeout = 4, 5 * time.Second
	comms := startWorld(t, world, func(_ int, cfg *Config) {
		cfg.ChunkBytes = 16 << 10
		cfg.Timeout = timeout
	})
	const bad = 2
	comms[bad].hookChunk = func(_ opCode, step, chunk int) {
		if step == 1 && chunk == 3 {
			_ = comms[bad].Close()
		}
	}
	bufs := randomVectors(world, 1<<20, 3)
	errs, took := runAll(comms, func(r int, c *Comm) error { return c.AllReduceSum(bufs[r]) })
	for r, err := range errs {
		switch {
		case err == nil:
			t.Fatalf("rank %d: no error although rank %d closed mid-transfer", r, bad)
		case r == bad && !isKind(err, ErrClosed):
			t.Errorf("rank %d (closed itself): got %v, want ErrClosed", r, err)
		case r != bad && !isKind(err, ErrPeer):
			t.Errorf("rank %d: got %v, want ErrPeer", r, err)
		}
		// A closed peer is seen at once, not at the deadline.
		if took[r] > timeout/2 {
			t.Errorf("rank %d: error after %v, want well before the %v deadline", r, took[r], timeout)
		}
		var oe *OpError
		if r != bad && (!errors.As(err, &oe) || oe.Op != "all-reduce-sum" || oe.Rank != r || oe.Peer < 0) {
			t.Errorf("rank %d: error %v does not name the operation and rank", r, err)
		}
	}
	// The communicator stays broken with the same error.
	for r, c := range comms {
		if err := c.Barrier(); err != c.Err() || err == nil {
			t.Errorf("rank %d: later call returned %v, want the breaking error %v", r, err, c.Err())
		}
	}
}

func TestPeerStallsPastDeadline(t *testing.T) {
	const world, timeout = 3, 1 * time.Second
	tests := []struct {
		name        string
		midTransfer bool // rank 2 stalls inside the operation, else before calling it
	}{
		{name: "never_calls", midTransfer: false},
		{name: "mid_transfer", midTransfer: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			comms := startWorld(t, world, func(_ int, cfg *Config) {
				cfg.ChunkBytes = 16 << 10
				cfg.Timeout = timeout
			})
			const slow = 2
			release := make(chan struct{})
			comms[slow].hookChunk = func(_ opCode, step, chunk int) {
				if step == 1 && chunk == 2 {
					<-release
				}
			}
			bufs := randomVectors(world, 1<<20, 5)
			slowErr := make(chan error, 1)
			if tt.midTransfer {
				go func() { slowErr <- comms[slow].AllReduceSum(bufs[slow]) }()
			}
			others := comms[:slow]
			errs, took := runAll(others, func(r int, c *Comm) error { return c.AllReduceSum(bufs[r]) })
			timedOut := false
			for r, err := range errs {
				if err == nil {
					t.Fatalf("rank %d: no error although rank %d stalled", r, slow)
				}
				if !isKind(err, ErrTimeout) && !isKind(err, ErrPeer) {
					t.Errorf("rank %d: got %v, want ErrTimeout or ErrPeer", r, err)
				}
				timedOut = timedOut || isKind(err, ErrTimeout)
				if took[r] > timeout+margin {
					t.Errorf("rank %d: error after %v, want within %v + %v", r, took[r], timeout, margin)
				}
			}
			if !timedOut {
				t.Errorf("no rank reported ErrTimeout: %v", errs)
			}
			close(release)
			if !tt.midTransfer {
				go func() { slowErr <- comms[slow].AllReduceSum(bufs[slow]) }()
			}
			select {
			case err := <-slowErr:
				if err == nil {
					t.Fatalf("stalled rank: no error after its neighbours gave up")
				}
			case <-time.After(timeout + margin):
				t.Fatalf("stalled rank: no error within %v after release", timeout+margin)
			}
		})
	}
}

func TestCloseAbortsInFlightOperation(t *testing.T) {
	comms := startWorld(t, 2, func(_ int, cfg *Config) { cfg.Timeout = 30 * time.Second })
	done := make(chan error, 1)
	go func() { done <- comms[0].AllReduceSum(make([]float32, 1000)) }()
	// Rank 1 never joins the operation; closing rank 0 must end it at once.
	deadline := time.Now().Add(margin)
	for atomic.LoadUint64(&comms[0].seq) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("all-reduce did not start within %v", margin)
		}
		runtime.Gosched()
	}
	_ = comms[0].Close()
	select {
	case err := <-done:
		if !isKind(err, ErrClosed) {
			t.Fatalf("got %v, want ErrClosed", err)
		}
	case <-time.After(margin):
		t.Fatalf("all-reduce still running %v after Close", margin)
	}
	if err := comms[1].AllReduceSum(make([]float32, 1000)); !isKind(err, ErrPeer) {
		t.Fatalf("neighbour of a closed rank: got %v, want ErrPeer", err)
	}
}
