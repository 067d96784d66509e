package peak

import (
	"runtime"
	"testing"
	"time"
)

func TestCoreRoundTrip(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("needs two threads")
	}
	d := CoreRoundTrip()
	// A cache line cannot cross between cores in under a few nanoseconds, and a round trip
	// of a millisecond means the two goroutines did not run at once.
	if d < 5*time.Nanosecond || d > time.Millisecond {
		t.Fatalf("round trip %v", d)
	}
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	if d := CoreRoundTrip(); d != 0 {
		t.Fatalf("with one thread: %v, want 0", d)
	}
}
