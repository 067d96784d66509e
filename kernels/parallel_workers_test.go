package kernels

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestParallelConcurrentCallers: callers that outnumber the workers each get every part
// run exactly once, the workers a caller could not claim leaving their shares to the
// goroutines that joined.
func TestParallelConcurrentCallers(t *testing.T) {
	defer SetThreads(0)
	SetThreads(4)
	var wg sync.WaitGroup
	for c := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range 200 {
				n := 1 + (c+round)%23
				task := &countTask{runs: make([]atomic.Int32, n)}
				Parallel(n, task)
				for i := range task.runs {
					if got := task.runs[i].Load(); got != 1 {
						t.Errorf("caller %d round %d, %d parts: part %d ran %d times", c, round, n, i, got)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

// rendezvousTask's part 0 waits for part 1 to start, which only another goroutine can do
// while the first is in part 0.
type rendezvousTask struct {
	started, timedOut atomic.Bool
}

func (r *rendezvousTask) Run(i int) {
	if i == 1 {
		r.started.Store(true)
		return
	}
	for deadline := time.Now().Add(time.Second); !r.started.Load(); {
		if time.Now().After(deadline) {
			r.timedOut.Store(true)
			return
		}
	}
}

// TestParkedWorkersWake: a worker left without a job for longer than spinFor parks, and
// the next operation that claims it wakes it to run a part.
func TestParkedWorkersWake(t *testing.T) {
	defer SetThreads(0)
	SetThreads(2)
	Parallel(2, &rendezvousTask{}) // start the worker
	for round := range 5 {
		deadline := time.Now().Add(time.Second)
		for w := workersFor(1)[0]; w.state.Load() != workerParked; {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: the worker still polls a second after its last job", round)
			}
			time.Sleep(spinFor)
		}
		task := &rendezvousTask{}
		done := make(chan struct{})
		go func() { Parallel(2, task); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: Parallel still waits 10 s later for a worker it claimed asleep", round)
		}
		if task.timedOut.Load() {
			t.Fatalf("round %d: no parked worker woke to run part 1", round)
		}
	}
}
