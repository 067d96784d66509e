package peak

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// Together measures the peak of each of threads OS threads running at the same time, their
// FMA repetitions started together. It is the peak that a product cut across that many
// threads can reach: the host can put two vCPUs on one physical core's two hardware
// threads, which then share its FMA units, and a peak measured one thread at a time counts
// that core twice. (On this VM such a placement showed as a core round trip under 100 ns,
// with every two-thread product at 43-45% of twice the one-thread peak.)
func Together(threads int) []Peak {
	if threads < 2 {
		return []Peak{Measure()}
	}
	var arrived atomic.Int64
	out := make([]Peak, threads)
	var wg sync.WaitGroup
	for i := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var rep int64
			out[i] = measure(func() { // a barrier: every thread's repetition starts together
				rep++
				arrived.Add(1)
				for arrived.Load() < rep*int64(threads) {
					runtime.Gosched()
				}
			})
		}()
	}
	wg.Wait()
	return out
}

// Sum is the peaks added up: the GFLOP/s that threads measured together can reach.
func Sum(peaks []Peak) float64 {
	total := 0.0
	for _, p := range peaks {
		total += p.PerCore()
	}
	return total
}

// PerThread is the mean of the peaks that Together measures: what each of threads
// threads running at once can reach.
func PerThread(threads int) float64 {
	peaks := Together(threads)
	return Sum(peaks) / float64(len(peaks))
}

// DescribeTogether says what Together measured, for a benchmark's header.
func DescribeTogether(peaks []Peak) string {
	parts := make([]string, len(peaks))
	for i, p := range peaks {
		parts[i] = fmt.Sprintf("%.1f", p.PerCore())
	}
	return fmt.Sprintf("fp32 peak of %d threads at once = %s = %.1f GFLOP/s (each as above, its FMA rate the median of 7 repetitions started together)",
		len(peaks), strings.Join(parts, " + "), Sum(peaks))
}
