package peak

import (
	"runtime"
	"slices"
	"sync/atomic"
	"time"
)

// CoreRoundTrip is how long one cache line takes to go from one thread to another and
// back, the median of 5 runs of 20,000 exchanges between two goroutines on their own OS
// threads. It tells where the scheduler has put the benchmark's two threads: on this
// VM it reads about 500 ns when they sit on distant cores and much less when they
// share a cache, and every product that hands data from one core to the other pays it.
// It needs two threads that can run at once (GOMAXPROCS ≥ 2); with fewer it returns 0.
func CoreRoundTrip() time.Duration {
	if runtime.GOMAXPROCS(0) < 2 {
		return 0
	}
	const exchanges = 20_000
	var runs []time.Duration
	for range 5 {
		runs = append(runs, pingPong(exchanges)/exchanges)
	}
	slices.Sort(runs)
	return runs[len(runs)/2]
}

// pingPong times n round trips of a counter between this goroutine and another.
func pingPong(n int64) time.Duration {
	var line atomic.Int64
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for i := range n {
			for line.Load() != 2*i+1 {
			}
			line.Store(2*i + 2)
		}
		close(done)
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := time.Now()
	for i := range n {
		line.Store(2*i + 1)
		for line.Load() != 2*i+2 {
		}
	}
	d := time.Since(start)
	<-done
	return d
}
