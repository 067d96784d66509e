package kernels

import (
	"sync/atomic"
	"testing"
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
	defer SetThreads(0)
	SetThreads(2)
	task := &countTask{runs: make([]atomic.Int32, 16)}
	Parallel(16, task) // start the workers
	if allocs := testing.AllocsPerRun(100, func() { Parallel(16, task) }); allocs > 0 {
		t.Fatalf("%.0f allocations per call", allocs)
	}
}
