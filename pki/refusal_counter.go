package pki

import (
	"net"
	"sort"
	"sync"
	"time"
)

// RefusalRun is a run of identical refusals (same listener, source host, reason
// and peer) between two flushes of a RefusalCounter.
type RefusalRun struct {
	Refusal     // Remote holds the source host, without the port
	Count       int
	First, Last time.Time
}

// RefusalCounter gathers refusals into runs, so that a flood from one source
// becomes one audit entry with a count, not one entry per connection. It
// holds at most max runs between flushes; more sources than that are only
// counted, so a flood from many addresses cannot grow it without bound.
type RefusalCounter struct {
	mu      sync.Mutex
	max     int
	pending map[Refusal]*RefusalRun
	dropped int
}

// NewRefusalCounter holds at most max runs between Takes.
func NewRefusalCounter(max int) *RefusalCounter {
	return &RefusalCounter{max: max, pending: map[Refusal]*RefusalRun{}}
}

// Add counts r at now. It never blocks on anything but the counter's lock.
func (c *RefusalCounter) Add(r Refusal, now time.Time) {
	if host, _, err := net.SplitHostPort(r.Remote); err == nil {
		r.Remote = host
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if run := c.pending[r]; run != nil {
		run.Count++
		run.Last = now
		return
	}
	if len(c.pending) >= c.max {
		c.dropped++
		return
	}
	c.pending[r] = &RefusalRun{Refusal: r, Count: 1, First: now, Last: now}
}

// Take returns the runs gathered since the last Take, oldest first, and how
// many refusals found the counter full.
func (c *RefusalCounter) Take() (runs []RefusalRun, dropped int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	runs = make([]RefusalRun, 0, len(c.pending))
	for _, run := range c.pending {
		runs = append(runs, *run)
	}
	clear(c.pending)
	dropped, c.dropped = c.dropped, 0
	sort.Slice(runs, func(i, j int) bool { return runs[i].First.Before(runs[j].First) })
	return runs, dropped
}
