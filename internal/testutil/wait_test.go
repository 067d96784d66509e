package testutil

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// fatalTB records the failure WaitFor reports instead of ending the test.
type fatalTB struct {
	testing.TB
	ctx    context.Context
	failed string
}

func (f *fatalTB) Helper()                  {}
func (f *fatalTB) Context() context.Context { return f.ctx }
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
	panic(f)
}

// wait runs WaitFor against f and returns the failure message ("" when it returned).
func (f *fatalTB) wait(timeout time.Duration, what string, cond func() (bool, string)) (msg string) {
	defer func() {
		if r := recover(); r != nil && r != any(f) {
			panic(r)
		}
		msg = f.failed
	}()
	WaitFor(f, timeout, what, cond)
	return ""
}

func TestWaitForReturnsOnceTheConditionHolds(t *testing.T) {
	t.Parallel()
	n := 0
	WaitFor(t, 5*time.Second, "the third call", func() (bool, string) {
		n++
		return n == 3, fmt.Sprintf("call %d", n)
	})
	if n != 3 {
		t.Fatalf("cond called %d times, want 3", n)
	}
}

func TestWaitForFailsNamingWhatAndTheLastSeen(t *testing.T) {
	t.Parallel()
	f := &fatalTB{ctx: t.Context()}
	calls := 0
	msg := f.wait(50*time.Millisecond, "the impossible", func() (bool, string) {
		calls++
		if calls == 1 {
			return false, "first look"
		}
		return false, "" // an empty word keeps the last one
	})
	if !strings.Contains(msg, "the impossible") || !strings.Contains(msg, "first look") {
		t.Fatalf("failure %q does not name what was awaited and the last thing seen", msg)
	}
	if calls < 2 {
		t.Fatalf("cond called %d times before the timeout", calls)
	}
}

func TestWaitForStopsWithTheTestsContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	f := &fatalTB{ctx: ctx}
	start := time.Now()
	msg := f.wait(time.Minute, "a cancelled test", func() (bool, string) { return false, "no" })
	if !strings.Contains(msg, "a cancelled test") || !strings.Contains(msg, context.Canceled.Error()) {
		t.Fatalf("failure %q does not say the test's context ended", msg)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("WaitFor kept polling %v after the test's context ended", time.Since(start))
	}
}
