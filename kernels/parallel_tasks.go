package kernels

import "sync"

// Task is work split into numbered parts, run by Parallel. Implementations are usually
// pointers to long-lived structs, so that handing one to Parallel allocates nothing.
type Task interface {
	// Run computes part i. It must not call Parallel or a multi-threaded kernel itself:
	// the parts run on the package's worker goroutines.
	Run(i int)
}

// Parallel runs parts 0 … n−1 of task on up to Threads() goroutines, the calling one
// included, through the same worker pool as the kernels, and returns when all are done.
// Each goroutine runs a contiguous share of the parts first (see parts); which goroutine
// runs a part must not change its result.
func Parallel(n int, task Task) {
	threads := min(Threads(), n)
	if threads <= 1 {
		for i := range n {
			task.Run(i)
		}
		return
	}
	t := taskPool.Get().(*taskCall)
	t.task = task
	runParallel(t, &t.parts, n, threads-1)
	t.task = nil
	taskPool.Put(t)
}

// taskCall is one Parallel call shared by the goroutines working on it; pooled so that
// steady state allocates nothing.
type taskCall struct {
	parts
	task Task
}

var taskPool = sync.Pool{New: func() any { return new(taskCall) }}

// help runs unclaimed parts until none is left.
func (t *taskCall) help(g int, _ *packBuf) {
	for {
		i, ok := t.claim(g)
		if !ok {
			return
		}
		t.task.Run(i)
	}
}
