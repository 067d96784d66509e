package collective

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestAllReduceSumMatchesFixedOrder(t *testing.T) {
	t.Parallel()
	for world := 1; world <= 5; world++ {
		lengths := slices.Compact(slices.Sorted(slices.Values([]int{0, 1, 2, 3, 7, world - 1, 1000, 1<<20 + 3})))
		for _, chunk := range []int{12, DefaultChunkBytes} {
			t.Run(fmt.Sprintf("world=%d/chunk=%d", world, chunk), func(t *testing.T) {
				comms := startWorld(t, world, func(_ int, cfg *Config) { cfg.ChunkBytes = chunk })
				for _, n := range lengths {
					if chunk == 12 && n > 1000 {
						continue // tiny chunks on 4 MiB would only cost time
					}
					checkAllReduceSum(t, comms, n, uint64(world*1000003+n))
				}
			})
		}
	}
}

func bitsAt(v []float32, i int) uint32 {
	if i >= len(v) {
		return 0
	}
	return mathBits(v[i])
}

// TestReferenceOrderMatters guards the test above against being unable to
// fail: with these inputs the ring order and the naive rank order disagree.
func TestReferenceOrderMatters(t *testing.T) {
	t.Parallel()
	for _, world := range []int{3, 4, 5} {
		in := randomVectors(world, 1000, uint64(world*1000003+1000))
		if firstBitDiff(refRingSum(in, 1000), refRankOrderSum(in, 1000)) < 0 {
			t.Errorf("world=%d: ring and rank order agree on every element; inputs cannot detect a wrong order", world)
		}
	}
}

func TestAllReduceIdenticalAcrossChunkSizesAndRuns(t *testing.T) {
	t.Parallel()
	const world, n = 4, 100003
	in := randomVectors(world, n, 42)
	var first []float32
	for _, chunk := range []int{4, 1 << 10, 64 << 10, DefaultChunkBytes} {
		comms := startWorld(t, world, func(_ int, cfg *Config) {
			cfg.ChunkBytes = chunk
			// chunk=4 is 100,003 round trips a phase: over a second alone, several under
			// the race detector or beside the package's other parallel tests. This test
			// checks bits, not speed.
			cfg.Timeout = time.Minute
		})
		for run := range 2 {
			bufs := copyVectors(in)
			errs, _ := runAll(comms, func(r int, c *Comm) error { return c.AllReduceSum(bufs[r]) })
			for r, err := range errs {
				if err != nil {
					t.Fatalf("chunk=%d run=%d rank %d: %v", chunk, run, r, err)
				}
			}
			if first == nil {
				first = bufs[0]
			}
			for r := range bufs {
				if i := firstBitDiff(bufs[r], first); i >= 0 {
					t.Fatalf("chunk=%d run=%d rank %d differs at element %d", chunk, run, r, i)
				}
			}
		}
	}
}

func TestAllReduceMean(t *testing.T) {
	t.Parallel()
	for _, world := range []int{1, 2, 3, 5} {
		t.Run(fmt.Sprintf("world=%d", world), func(t *testing.T) {
			comms := startWorld(t, world, func(_ int, cfg *Config) { cfg.ChunkBytes = 64 })
			const n = 1001
			in := randomVectors(world, n, 9)
			sum := refRingSum(in, n)
			bufs := copyVectors(in)
			errs, _ := runAll(comms, func(r int, c *Comm) error { return c.AllReduceMean(bufs[r]) })
			for r, err := range errs {
				if err != nil {
					t.Fatalf("rank %d: %v", r, err)
				}
				for i := range n {
					if want := sum[i] / float32(world); mathBits(bufs[r][i]) != mathBits(want) {
						t.Fatalf("rank %d element %d: got %g, want %g", r, i, bufs[r][i], want)
					}
				}
			}
		})
	}
}

func TestAllReduceMismatchFailsEveryRank(t *testing.T) {
	t.Parallel()
	comms := startWorld(t, 3, nil)
	errs, _ := runAll(comms, func(r int, c *Comm) error {
		if r == 1 {
			return c.Broadcast(make([]float32, 10), 0)
		}
		return c.AllReduceSum(make([]float32, 10))
	})
	mismatch := false
	for r, err := range errs {
		if err == nil {
			t.Fatalf("rank %d: no error although rank 1 ran a different collective", r)
		}
		mismatch = mismatch || isKind(err, ErrMismatch)
	}
	if !mismatch {
		t.Fatalf("no rank reported ErrMismatch: %v", errs)
	}
}

// checkAllReduceSum all-reduces seeded random vectors of n elements over the world
// and fails unless every rank ends with exactly the reference fold's bits.
func checkAllReduceSum(t *testing.T, comms []*Comm, n int, seed uint64) {
	t.Helper()
	in := randomVectors(len(comms), n, seed)
	want := refRingSum(in, n)
	bufs := copyVectors(in)
	errs, _ := runAll(comms, func(r int, c *Comm) error { return c.AllReduceSum(bufs[r]) })
	for r, err := range errs {
		if err != nil {
			t.Fatalf("n=%d rank %d: %v", n, r, err)
		}
		if i := firstBitDiff(bufs[r], want); i >= 0 {
			t.Fatalf("n=%d rank %d element %d: got %g (%#x), want %g (%#x)", n, r, i,
				bufs[r][i], bitsAt(bufs[r], i), want[i], bitsAt(want, i))
		}
	}
}
