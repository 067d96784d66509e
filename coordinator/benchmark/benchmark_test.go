package benchmark

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator"
)

func fast(c *coordinator.Config) {
	c.RaftHeartbeatTimeout, c.RaftElectionTimeout = 100*time.Millisecond, 100*time.Millisecond
	c.RaftLeaderLease, c.RaftCommitTimeout = 50*time.Millisecond, 5*time.Millisecond
}

// The harnesses run end to end at a tiny size (the real figures come from Report).
func TestHarnessesSmoke(t *testing.T) {
	ctx := t.Context()
	for _, secure := range []bool{false, true} {
		f, err := Failover(ctx, 1, fast, secure)
		if err != nil || f.N != 1 || f.Median <= 0 {
			t.Fatalf("failover (secure %v): %+v %v", secure, f, err)
		}
	}
	h, err := HeartbeatLoad(ctx, 20, 100*time.Millisecond, 300*time.Millisecond)
	if err != nil || h.Beats < 20 || h.Errors != 0 {
		t.Fatalf("heartbeats: %+v %v", h, err)
	}
	s, err := SubmitLatency(ctx, 3, true)
	if err != nil || s.Leader.N != 3 || s.Follower.N != 3 {
		t.Fatalf("submit: %+v %v", s, err)
	}
}

func TestSummarize(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	s := Summarize(d)
	if s.N != 100 || s.Min != time.Millisecond || s.Median != 50*time.Millisecond || s.P99 != 99*time.Millisecond || s.Max != 100*time.Millisecond {
		t.Fatalf("summary %+v", s)
	}
}

// TestReport prints the full figures when DXTRAIN_BENCH=1; it is a harness, not a
// timed test, so it is skipped otherwise.
func TestReport(t *testing.T) {
	if os.Getenv("DXTRAIN_BENCH") != "1" {
		t.Skip("set DXTRAIN_BENCH=1 to run the coordinator benchmark report (about a minute)")
	}
	var b strings.Builder
	if err := Report(t.Context(), &b, DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + b.String())
}
