package kernels

import (
	"runtime"
	"sync/atomic"
	"time"
)

// parts hands out the parts of one parallel operation to the goroutines that join it.
// Each goroutine first takes its own contiguous share, in order: the caller the first,
// the first helper the next, and so on, so that consecutive operations over the same
// arrays give each core the same rows or columns, which stay in its cache instead of
// crossing to the other core (on this VM a cache line's round trip between the two vCPUs
// can take 500 ns). A goroutine done with its share then takes the parts left in the
// others', so one that the OS preempts holds up only its current part.
type parts struct {
	pending atomic.Int64  // helpers that have not finished, plus sleeping once the caller sleeps
	wake    chan struct{} // the last helper's signal to a sleeping caller
	count   int
	shares  int                    // goroutines the parts are shared among
	taken   [maxShares]paddedCount // parts taken from each share
}

// maxShares bounds the goroutines that get a share of their own; further helpers only
// take parts left in the shares.
const maxShares = 16

// paddedCount is a counter on its own cache line, so that goroutines taking parts from
// their own shares do not pass a line between cores.
type paddedCount struct {
	atomic.Int64
	_ [56]byte
}

// sleeping is added to parts.pending when the caller stops polling and waits on wake: the
// helper whose decrement leaves exactly sleeping is the last, and signals.
const sleeping = 1 << 32

// start begins an operation of n parts shared among the caller and helpers goroutines.
func (p *parts) start(n, helpers int) {
	p.count = n
	p.shares = min(helpers+1, maxShares, max(n, 1))
	for i := range p.shares {
		p.taken[i].Store(0)
	}
}

// share is the range of parts of share s.
func (p *parts) share(s int) (lo, hi int) {
	return s * p.count / p.shares, (s + 1) * p.count / p.shares
}

// claim returns the next unclaimed part for goroutine g (0 for the caller, i for the
// i-th helper): from its own share while any is left, then from the others', or false
// when there is none.
func (p *parts) claim(g int) (int, bool) {
	for k := range p.shares {
		s := (g + k) % p.shares
		lo, hi := p.share(s)
		if lo+int(p.taken[s].Load()) >= hi {
			continue
		}
		if i := lo + int(p.taken[s].Add(1)-1); i < hi {
			return i, true
		}
	}
	return 0, false
}

// helper is a parallel operation that goroutines can join: help claims and computes parts
// until none is left, as goroutine g of the operation (see parts.claim). buf is the
// goroutine's own pack buffers (a worker's), or nil for the caller, which takes them from
// the free list if it needs them: a worker taking them there too, at every tile, moved the
// list's lock between the cores. Implementations are pooled structs, so a job allocates
// nothing.
type helper interface{ help(g int, buf *packBuf) }

// helpJob asks a worker to help with h as goroutine g and then to count itself out of p.
type helpJob struct {
	h helper
	p *parts
	g int
}

// finish counts a helper out, waking the caller if it sleeps and this was the last.
func (p *parts) finish() {
	if p.pending.Add(-1) == sleeping {
		p.wake <- struct{}{}
	}
}

// runParallel runs the n parts of h on the calling goroutine and up to helpers workers and
// returns when all are done. Workers spin briefly between jobs (see spinFor), so
// back-to-back operations rarely wait for a parked goroutine to wake; and the caller, once
// no part is left to claim, polls for the helpers still finishing theirs for up to spinFor
// before it sleeps, for the same reason: a wake-up comes tens of microseconds after the
// last part ends, while the wait is usually one part at most. (Parking at once on a
// WaitGroup kept the MLP's 128×256 products at 45% of peak in a step; polling, 78%.)
// A worker busy with another caller's operation is not waited for: its share is taken
// by the goroutines that joined.
func runParallel(h helper, p *parts, n, helpers int) {
	p.start(n, helpers)
	if p.wake == nil {
		p.wake = make(chan struct{}, 1)
	}
	p.pending.Store(int64(helpers))
	joined := 0
	for _, w := range workersFor(helpers) {
		if joined == helpers {
			break
		}
		if w.claim() {
			joined++
			w.post(helpJob{h: h, p: p, g: joined})
		}
	}
	p.pending.Add(int64(joined - helpers)) // no helper can see zero before this: the caller has not finished
	h.help(0, nil)
	if spin(func() bool { return p.pending.Load() == 0 }) {
		return
	}
	if p.pending.Add(sleeping) != sleeping {
		<-p.wake // the last helper had not finished: it signals
	}
	p.pending.Store(0)
}

// spin polls ready for up to spinFor and reports whether it became true. It yields the
// processor only every spinYieldEvery polls: yielding at every poll went through the
// scheduler's global run queue and its lock, whose line the two spinning goroutines then
// passed between the cores, so a caller saw its helper finish later (the MLP's step, in
// blocks alternating the two in one process: 0.4-1.2% faster in each of 5 runs).
func spin(ready func() bool) bool {
	deadline := time.Now().Add(spinFor)
	for polls := 1; !ready(); polls++ {
		if time.Now().After(deadline) {
			return false
		}
		if polls%spinYieldEvery == 0 {
			runtime.Gosched() // lets another goroutine have the processor now and then
		}
	}
	return true
}

// spinYieldEvery is how many polls spin makes between yields: a few microseconds.
const spinYieldEvery = 256

// spinFor is how long an idle worker keeps polling for the next job, and a caller for its
// helpers, before parking: waking a parked goroutine takes tens of microseconds on a VM,
// as long as a whole 256³ product takes on two cores, and training issues its products
// back to back. It covers the wait at the end of a convolution too, where one core may
// finish its chunks a few hundred microseconds before the other: with 50 µs, the CNN's
// helper parked there in most steps and joined the next layer 30-130 µs late, and a
// step (Adam) ran 1.2-1.9% slower over 4 alternating pairs. Spinning yields the
// processor every spinYieldEvery polls, so a goroutine with other work still gets it.
const spinFor = 300 * time.Microsecond
