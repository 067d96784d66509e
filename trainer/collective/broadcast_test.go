package collective

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

func TestBroadcast(t *testing.T) {
	t.Parallel()
	for world := 1; world <= 4; world++ {
		t.Run(fmt.Sprintf("world=%d", world), func(t *testing.T) {
			comms := startWorld(t, world, func(_ int, cfg *Config) { cfg.ChunkBytes = 1 << 10 })
			for root := range world {
				for _, n := range []int{0, 1, 1000, 300001} {
					src := randomVectors(1, n, uint64(root*7+n))[0]
					bufs := make([][]float32, world)
					for r := range bufs {
						bufs[r] = make([]float32, n)
						if r == root {
							copy(bufs[r], src)
						}
					}
					errs, _ := runAll(comms, func(r int, c *Comm) error { return c.Broadcast(bufs[r], root) })
					for r, err := range errs {
						if err != nil {
							t.Fatalf("root=%d n=%d rank %d: %v", root, n, r, err)
						}
						if i := firstBitDiff(bufs[r], src); i >= 0 {
							t.Fatalf("root=%d n=%d rank %d differs at %d", root, n, r, i)
						}
					}
				}
			}
		})
	}
}

func TestBroadcastBytesTakesRootLength(t *testing.T) {
	t.Parallel()
	const world = 3
	comms := startWorld(t, world, func(_ int, cfg *Config) { cfg.ChunkBytes = 100 })
	for _, n := range []int{0, 5, 4097} {
		payload := make([]byte, n)
		rng := rand.New(rand.NewPCG(uint64(n), 1))
		for i := range payload {
			payload[i] = byte(rng.Uint32())
		}
		got := make([][]byte, world)
		errs, _ := runAll(comms, func(r int, c *Comm) error {
			var in []byte
			switch r {
			case 2:
				in = payload
			case 1:
				in = make([]byte, 3, 8) // too small: must be replaced
			}
			var err error
			got[r], err = c.BroadcastBytes(in, 2)
			return err
		})
		for r, err := range errs {
			if err != nil {
				t.Fatalf("n=%d rank %d: %v", n, r, err)
			}
			if !bytes.Equal(got[r], payload) {
				t.Fatalf("n=%d rank %d: got %d bytes, want root's %d", n, r, len(got[r]), n)
			}
		}
	}
}

func TestBroadcastRejectsBadRoot(t *testing.T) {
	t.Parallel()
	comms := startWorld(t, 2, nil)
	err := comms[0].Broadcast(make([]float32, 4), 2)
	if !isKind(err, ErrInvalidArgument) {
		t.Fatalf("root 2 in a world of 2: got %v, want ErrInvalidArgument", err)
	}
}

func TestBarrierWaitsForEveryRank(t *testing.T) {
	t.Parallel()
	const world = 4
	comms := startWorld(t, world, nil)
	for round := range 3 {
		var entered, left atomic.Int32
		errs, _ := runAll(comms, func(r int, c *Comm) error {
			if r == round%world {
				// Arrive last, once every other rank is in the barrier, so a barrier
				// that did not wait would let them through before this one is counted.
				if err := awaitOthersInBarrier(comms, r, &left); err != nil {
					return err
				}
			}
			entered.Add(1)
			err := c.Barrier()
			if n := entered.Load(); err == nil && n != world {
				err = fmt.Errorf("left the barrier after only %d of %d ranks entered", n, world)
			}
			left.Add(1)
			return err
		})
		for r, err := range errs {
			if err != nil {
				t.Fatalf("round %d rank %d: %v", round, r, err)
			}
		}
	}
}

func TestOneRankWorldIsNoOp(t *testing.T) {
	c, err := Join(t.Context(), Config{World: 1, Session: testSession})
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	buf := []float32{1, 2, 3}
	if err := c.AllReduceSum(buf); err != nil || buf[0] != 1 || buf[2] != 3 {
		t.Fatalf("all-reduce on 1 rank: %v %v", buf, err)
	}
	if err := c.AllReduceMean(buf); err != nil || buf[1] != 2 {
		t.Fatalf("mean on 1 rank: %v %v", buf, err)
	}
	if err := c.Broadcast(buf, 0); err != nil {
		t.Fatalf("broadcast on 1 rank: %v", err)
	}
	if out, err := c.BroadcastBytes([]byte("x"), 0); err != nil || string(out) != "x" {
		t.Fatalf("broadcast bytes on 1 rank: %q %v", out, err)
	}
	if err := c.Barrier(); err != nil {
		t.Fatalf("barrier on 1 rank: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := c.Barrier(); !isKind(err, ErrClosed) {
		t.Fatalf("barrier after close: got %v, want ErrClosed", err)
	}
}

// awaitOthersInBarrier waits until every rank but late is inside an operation (holding
// its operation lock: the others call nothing but Barrier) or some rank has left the
// barrier, which only a barrier that does not wait lets happen.
func awaitOthersInBarrier(comms []*Comm, late int, left *atomic.Int32) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		inside := 0
		for r, c := range comms {
			if r == late {
				continue
			}
			if c.opMu.TryLock() {
				c.opMu.Unlock() // not in the barrier yet
				continue
			}
			inside++
		}
		if inside == len(comms)-1 || left.Load() > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d other ranks entered the barrier within 5s", inside, len(comms)-1)
		}
		time.Sleep(time.Millisecond)
	}
}
