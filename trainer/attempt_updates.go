package trainer

import (
	"sync"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// attemptUpdates carries the newest committed record of a running attempt from the
// assignment poll to the rank that runs it (a torch worker waits there for the
// rendezvous that rank 0's agent publishes).
type attemptUpdates struct {
	mu      sync.Mutex
	attempt structs.Attempt
	changed chan struct{} // closed, and replaced, on every update
}

func newAttemptUpdates(a structs.Attempt) *attemptUpdates {
	return &attemptUpdates{attempt: a, changed: make(chan struct{})}
}

func (u *attemptUpdates) set(a structs.Attempt) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if a.ModifyIndex <= u.attempt.ModifyIndex {
		return
	}
	u.attempt = a
	close(u.changed)
	u.changed = make(chan struct{})
}

// latest returns the newest record and a channel closed when a newer one arrives.
func (u *attemptUpdates) latest() (structs.Attempt, <-chan struct{}) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.attempt, u.changed
}
