package simulate

import "container/heap"

// Event kinds, in the order events at one instant are handled: ends and
// checkpoint commits free devices before arrivals are queued.
const (
	evEnd    = iota // an attempt reaches the end of its work or its time limit
	evStop          // a preempted attempt has committed its checkpoint (or met its deadline) and stops
	evArrive        // a gang is submitted
)

type event struct {
	t    int64
	kind int
	seq  uint64 // submission order, for ties
	g    *gang
	att  *attempt
	gen  int // the attempt's generation when scheduled; a stale end is ignored
}

type events []event

func (h events) Len() int { return len(h) }
func (h events) Less(i, j int) bool {
	a, b := &h[i], &h[j]
	if a.t != b.t {
		return a.t < b.t
	}
	if a.kind != b.kind {
		return a.kind < b.kind
	}
	return a.seq < b.seq
}
func (h events) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *events) Push(x any)   { *h = append(*h, x.(event)) }
func (h *events) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

func (s *sim) schedule(e event) {
	s.seq++
	e.seq = s.seq
	heap.Push(&s.events, e)
}
