package testutil

import (
	"testing"
	"time"
)

// PollInterval is how often WaitFor evaluates its condition.
const PollInterval = 20 * time.Millisecond

// WaitFor polls cond every PollInterval until it holds, and fails the test if it does not
// within timeout or the test's context ends first. cond's string says what it saw
// instead (the last non-empty one is in the failure message with what was awaited).
// Call it from the test's goroutine: it ends the test with t.Fatalf.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		ok, seen := cond()
		if ok {
			return
		}
		if seen != "" {
			last = seen
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s; last seen: %s", timeout, what, last)
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("waiting for %s: %v (last seen: %s)", what, t.Context().Err(), last)
		case <-time.After(PollInterval):
		}
	}
}
