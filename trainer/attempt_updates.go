package trainer

import (
	"context"
	"sync"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// attemptUpdates carries the newest committed record of a running attempt from the
// assignment poll to the rank that runs it (a torch worker waits there for the
// rendezvous that rank 0's agent publishes; every rank learns there that the leader
// asked the attempt to stop).
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

// stop returns the stop request of the newest record, or nil.
func (u *attemptUpdates) stop() *structs.StopRequest {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.attempt.Stop == nil {
		return nil
	}
	stop := *u.attempt.Stop
	return &stop
}

// stopRequested reports whether the leader has asked the attempt to checkpoint now
// and stop; the native engine asks once per step.
func (u *attemptUpdates) stopRequested() bool { return u.stop() != nil }

// waitStop returns the stop request once a record carries one, or nil when none has
// within patience (or ctx ends first).
func (u *attemptUpdates) waitStop(ctx context.Context, patience time.Duration) *structs.StopRequest {
	deadline := time.NewTimer(patience)
	defer deadline.Stop()
	for {
		att, changed := u.latest()
		if att.Stop != nil {
			stop := *att.Stop
			return &stop
		}
		select {
		case <-changed:
		case <-deadline.C:
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}
