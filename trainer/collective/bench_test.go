package collective

import (
	"fmt"
	"testing"
)

// BenchmarkAllReduceSum runs all ranks as goroutines of one process over
// loopback TCP; bench/allreduce measures separate processes against gloo.
func BenchmarkAllReduceSum(b *testing.B) {
	for _, world := range []int{2, 4} {
		for _, bytes := range []int{1 << 20, 16 << 20} {
			b.Run(fmt.Sprintf("world=%d/bytes=%d", world, bytes), func(b *testing.B) {
				comms := startWorld(b, world, nil)
				bufs := randomVectors(world, bytes/4, 1)
				b.SetBytes(int64(2 * (world - 1) * bytes / world)) // bus bytes, so MB/s is bus bandwidth
				b.ResetTimer()
				for b.Loop() {
					errs, _ := runAll(comms, func(r int, c *Comm) error { return c.AllReduceSum(bufs[r]) })
					for r, err := range errs {
						if err != nil {
							b.Fatalf("rank %d: %v", r, err)
						}
					}
				}
			})
		}
	}
}
