package coordinator

import (
	"sync"
	"time"
)

// heartbeats is the leader's soft state: when each node was last heard from. It is
// never replicated (as in Nomad); only the status changes it causes are committed.
// A new leader starts every node's clock at its own election, giving agents one full
// timeout to find it.
type heartbeats struct {
	mu    sync.Mutex
	seen  map[string]time.Time
	epoch time.Time // when this server last became leader
}

func newHeartbeats() *heartbeats { return &heartbeats{seen: map[string]time.Time{}} }

// reset forgets everything and starts the grace period at now.
func (h *heartbeats) reset(now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seen = map[string]time.Time{}
	h.epoch = now
}

// beat records a heartbeat from node at now.
func (h *heartbeats) beat(node string, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seen[node] = now
}

// lastSeen is the last heartbeat of node, or the leadership epoch if none came yet.
func (h *heartbeats) lastSeen(node string) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t, ok := h.seen[node]; ok {
		return t
	}
	return h.epoch
}
