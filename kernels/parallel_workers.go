package kernels

import (
	"sync"
	"sync/atomic"
)

// worker is a long-lived helper goroutine and the cache line through which a caller hands
// it a job. A caller claims an idle or parked worker with one compare-and-swap, writes
// the job next to the state and publishes it: the worker, polling its own line, reads
// state and job in one transfer. (A shared channel cost three or four transfers of its
// lock's line between the cores per hand-off: 1.5 µs for an empty operation when the two
// vCPUs sit far apart.)
type worker struct {
	state atomic.Uint32
	job   helpJob
	wake  chan struct{} // a parked worker's signal that a job was posted
	buf   *packBuf      // its pack buffers, kept for its life
	_     [64]byte      // keeps the next worker's line apart
}

// The states of a worker.
const (
	workerIdle    uint32 = iota // polling for a job
	workerParked                // asleep on wake
	workerClaimed               // taken by a caller that is writing the job
	workerPosted                // the job is there to run
)

// claim takes w for one job if it is free, waking it later if it was parked.
func (w *worker) claim() bool {
	return w.state.CompareAndSwap(workerIdle, workerClaimed) || w.state.CompareAndSwap(workerParked, workerClaimed|parkedBit)
}

// parkedBit marks a claim of a parked worker, which post must wake.
const parkedBit = 1 << 8

// post hands the claimed worker its job.
func (w *worker) post(j helpJob) {
	wasParked := w.state.Load()&parkedBit != 0
	w.job = j
	w.state.Store(workerPosted)
	if wasParked {
		w.wake <- struct{}{}
	}
}

// run helps with posted jobs until the process ends, parking after spinFor without one.
func (w *worker) run() {
	for {
		if !spin(func() bool { return w.state.Load() == workerPosted }) {
			if w.state.CompareAndSwap(workerIdle, workerParked) {
				<-w.wake
			}
			continue // claimed meanwhile: the job is on its way
		}
		j := w.job
		w.job = helpJob{}
		j.h.help(j.g, w.buf)
		w.state.Store(workerIdle) // free for the caller's next operation before it learns this one is done
		j.p.finish()
	}
}

var (
	workersMu sync.Mutex
	workers   atomic.Pointer[[]*worker]
)

// workersFor returns the workers, starting more until there are at least n.
func workersFor(n int) []*worker {
	if ws := workers.Load(); ws != nil && len(*ws) >= n {
		return *ws
	}
	workersMu.Lock()
	defer workersMu.Unlock()
	var ws []*worker
	if old := workers.Load(); old != nil {
		ws = append(ws, *old...)
	}
	for len(ws) < n {
		w := &worker{wake: make(chan struct{}, 1), buf: new(packBuf)}
		ws = append(ws, w)
		go w.run()
	}
	workers.Store(&ws)
	return ws
}
