package kernels

import (
	"sync"
	"testing"
)

// TestPartsShares checks that each goroutine of an operation first takes its own share of
// the parts, in order, and that the parts left over are taken by the others exactly once.
func TestPartsShares(t *testing.T) {
	for _, helpers := range []int{0, 1, 2, 5, 20} {
		for _, n := range []int{1, 2, 7, 8, 64} {
			var p parts
			p.start(n, helpers)
			// Goroutine 0 alone: its own share first, then the others' in turn.
			lo, hi := p.share(0)
			for want := lo; want < hi; want++ {
				if got, ok := p.claim(0); !ok || got != want {
					t.Fatalf("%d helpers, %d parts: goroutine 0 took %d (%v), want %d", helpers, n, got, ok, want)
				}
			}
			seen := make([]int, n)
			for i := lo; i < hi; i++ {
				seen[i]++
			}
			// The rest, taken concurrently by every goroutine.
			var mu sync.Mutex
			var wg sync.WaitGroup
			for g := range helpers + 1 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i, ok := p.claim(g)
						if !ok {
							return
						}
						mu.Lock()
						seen[i]++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			for i, c := range seen {
				if c != 1 {
					t.Fatalf("%d helpers, %d parts: part %d taken %d times", helpers, n, i, c)
				}
			}
		}
	}
}
