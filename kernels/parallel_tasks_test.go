package kernels

import (
	"sync/atomic"
	"testing"
	"time"
)

type countTask struct {
	runs []atomic.Int32
}

func (c *countTask) Run(i int) { c.runs[i].Add(1) }

// TestParallelRunsEveryPartOnce, for thread counts below, at and above the part count.
func TestParallelRunsEveryPartOnce(t *testing.T) {
	defer SetThreads(0)
	for _, threads := range []int{1, 2, 3, 8} {
		for _, n := range []int{0, 1, 2, 7, 64} {
			SetThreads(threads)
			task := &countTask{runs: make([]atomic.Int32, n)}
			Parallel(n, task)
			for i := range task.runs {
				if got := task.runs[i].Load(); got != 1 {
					t.Fatalf("threads %d, %d parts: part %d ran %d times", threads, n, i, got)
				}
			}
		}
	}
}

func TestParallelAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop objects: allocation counts mean nothing")
	}
	defer SetThreads(0)
	SetThreads(2)
	task := &countTask{runs: make([]atomic.Int32, 16)}
	Parallel(16, task) // start the workers
	if allocs := testing.AllocsPerRun(100, func() { Parallel(16, task) }); allocs > 0 {
		t.Fatalf("%.0f allocations per call", allocs)
	}
}

// slowTask's parts take up to four times spinFor, so the goroutine that called Parallel
// often outlasts its polling and sleeps until the last helper signals.
type slowTask struct {
	delays []time.Duration
	done   []atomic.Bool
}

func (s *slowTask) Run(i int) {
	time.Sleep(s.delays[i])
	s.done[i].Store(true)
}

// TestParallelWaitsForSlowHelpers: Parallel returns only once every part has finished,
// whether the caller polled for its helpers or slept until they signalled.
func TestParallelWaitsForSlowHelpers(t *testing.T) {
	defer SetThreads(0)
	SetThreads(3)
	for round := range 60 {
		n := 2 + round%5
		task := &slowTask{delays: make([]time.Duration, n), done: make([]atomic.Bool, n)}
		for i := range n {
			task.delays[i] = time.Duration((round*7+i*13)%5) * spinFor
		}
		Parallel(n, task)
		for i := range n {
			if !task.done[i].Load() {
				t.Fatalf("round %d: Parallel returned before part %d of %d finished", round, i, n)
			}
		}
	}
}
