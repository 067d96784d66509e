package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// parts hands out the parts of one parallel operation, in order, to the goroutines that
// join it, so that a goroutine the OS preempts holds up only its current part.
type parts struct {
	pending atomic.Int64 // helpers that have not finished
	count   int
	next    atomic.Int64
}

// start begins an operation of n parts.
func (p *parts) start(n int) {
	p.count = n
	p.next.Store(0)
}

// claim returns the next unclaimed part, or false when there is none.
func (p *parts) claim() (int, bool) {
	i := int(p.next.Add(1) - 1)
	return i, i < p.count
}

// helper is a parallel operation that goroutines can join: help claims and computes parts
// until none is left. Implementations are pooled structs, so a job allocates nothing.
type helper interface{ help() }

// helpJob asks a worker to help with h and then to count itself out of pending.
type helpJob struct {
	h       helper
	pending *atomic.Int64
}

var (
	jobs      = make(chan helpJob, 256)
	workersMu sync.Mutex
	workers   int
)

// runParallel runs h on the calling goroutine and helpers workers and returns when all
// are done. Workers spin briefly between jobs (see spinFor), so back-to-back operations
// rarely wait for a parked goroutine to wake; and the caller, once no part is left to
// claim, polls for the helpers still finishing theirs rather than parking, for the same
// reason: its wake-up would come tens of microseconds after the last part ends, while the
// wait itself is one part at most.
func runParallel(h helper, p *parts, helpers int) {
	ensureWorkers(helpers)
	p.pending.Store(int64(helpers))
	for range helpers {
		jobs <- helpJob{h: h, pending: &p.pending}
	}
	h.help()
	for p.pending.Load() != 0 {
		runtime.Gosched()
	}
}

// ensureWorkers starts long-lived worker goroutines until there are at least n.
func ensureWorkers(n int) {
	workersMu.Lock()
	defer workersMu.Unlock()
	for ; workers < n; workers++ {
		go work()
	}
}

// spinFor is how long an idle worker keeps polling for the next job before it parks:
// waking a parked goroutine takes tens of microseconds on a VM, as long as a whole 256³
// product takes on two cores, and training issues its products back to back.
const spinFor = 50 * time.Microsecond

// work helps with any parallel operation until the process ends.
func work() {
	for {
		j, ok := pollJob()
		if !ok {
			j = <-jobs
		}
		j.h.help()
		j.pending.Add(-1)
	}
}

// pollJob polls for a job for up to spinFor, yielding the processor between polls.
func pollJob() (helpJob, bool) {
	deadline := time.Now().Add(spinFor)
	for {
		select {
		case j := <-jobs:
			return j, true
		default:
		}
		if time.Now().After(deadline) {
			return helpJob{}, false
		}
		runtime.Gosched()
	}
}
