package scheduler

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestBackfill: two nodes of 4 gpus; n1 is busy until its run's time limit, in an
// hour; the head needs both nodes whole, so n2's devices are reserved for it. A
// later experiment starts on n2 only if its own limit ends before the hour.
func TestBackfill(t *testing.T) {
	tests := []struct {
		name       string
		busyLimit  string // the running attempt's time limit ("" = none)
		candidate  string // the candidate's time limit
		wantPlaced bool
		wantReason string
	}{
		{"ends before the head starts", "90m", "20m", true, ""},
		{"ends exactly when the head starts", "90m", "1h", true, ""},
		{"ends after the head starts", "90m", "2h", false, "reserved for the head of the queue: experiment head is expected to start at 2025-03-01T13:00:00Z"},
		{"no limit: never ends", "90m", "", false, "reserved for the head of the queue"},
		{"running work without a limit: no reservation", "", "", true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			busy := job("busy", "p", "", 1, 4, 3*time.Hour, tc.busyLimit)
			w := newWorld(cluster(2, 4)).project("p", 1, 0, -1).
				running(busy, onNodes("a-busy", busy, 30*time.Minute, 0, "n1")).
				pending(job("head", "p", "", 2, 4, 2*time.Hour, "5h"), job("small", "p", "", 1, 2, time.Hour, tc.candidate))
			d := Decide(w.in)
			placed := slices.Contains(placedIDs(d), "small")
			if placed != tc.wantPlaced {
				t.Fatalf("small placed: %v, want %v (queue %+v)", placed, tc.wantPlaced, d.Queue)
			}
			for _, p := range d.Plans {
				if p.ExperimentID == "small" && strings.Contains(p.Reason, "backfilled") != (tc.busyLimit != "") {
					t.Fatalf("placement reason %q: backfilled onto the reservation should be said exactly when there is one", p.Reason)
				}
			}
			if r := entry(d, "small").Reason; !strings.HasPrefix(r, tc.wantReason) {
				t.Fatalf("reason %q, want it to start with %q", r, tc.wantReason)
			}
			head := entry(d, "head")
			if head.Position != 1 || !strings.HasPrefix(head.Reason, "no capacity: needs 2 nodes with 4 free gpu, 1 has them") {
				t.Fatalf("head entry %+v", head)
			}
			if want := t0.Add(time.Hour); tc.busyLimit != "" && !head.EstimatedStart.Equal(want) {
				t.Fatalf("head expected at %v, want %v", head.EstimatedStart, want)
			}
		})
	}
}

// TestBackfillAroundReservation: only the devices the head will take are reserved;
// a long run may start on the rest of the node.
func TestBackfillAroundReservation(t *testing.T) {
	busy := job("busy", "p", "", 1, 8, 3*time.Hour, "2h")
	w := newWorld(cluster(2, 8)).project("p", 1, 0, -1).
		running(busy, onNodes("a-busy", busy, time.Hour, 0, "n1")).
		pending(job("head", "p", "", 2, 6, 2*time.Hour, "5h"),
			job("fits", "p", "", 1, 2, time.Hour, ""),
			job("toobig", "p", "", 1, 3, 30*time.Minute, ""))
	d := Decide(w.in)
	if got := placedIDs(d); !slices.Equal(got, []string{"fits"}) {
		t.Fatalf("placed %v, want [fits] (queue %+v)", got, d.Queue)
	}
	if r := entry(d, "toobig").Reason; !strings.HasPrefix(r, "reserved for the head of the queue") {
		t.Fatalf("toobig reason %q", r)
	}
}

// TestBackfillCountsThePass: an experiment placed earlier in the pass with a time
// limit is part of the head's timeline.
func TestBackfillCountsThePass(t *testing.T) {
	w := newWorld(cluster(2, 8)).project("p", 1, 0, -1).
		pending(job("first", "p", "urgent", 1, 8, time.Hour, "3h"),
			job("head", "p", "", 2, 8, 2*time.Hour, ""),
			job("long", "p", "", 1, 1, time.Hour, "4h"))
	d := Decide(w.in)
	if got := placedIDs(d); !slices.Equal(got, []string{"first"}) {
		t.Fatalf("placed %v, want [first]", got)
	}
	if h := entry(d, "head"); !h.EstimatedStart.Equal(t0.Add(3 * time.Hour)) {
		t.Fatalf("head %+v, want it expected at +3h", h)
	}
}
