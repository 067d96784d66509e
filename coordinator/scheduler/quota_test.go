package scheduler

import (
	"slices"
	"testing"
	"time"
)

// TestQuotaLimit: a project never holds more than quota + borrowing limit; what
// would exceed it waits with the numbers, and an elastic gang takes what fits.
func TestQuotaLimit(t *testing.T) {
	tests := []struct {
		name         string
		quota, limit int // limit -1: no borrowing limit
		held         int // devices its running attempts hold (8 per attempt)
		ranks, max   int // of 1 gpu each
		wantRanks    int // 0: waits
		wantReason   string
	}{
		{"no borrow limit: takes idle capacity", 8, -1, 16, 8, 8, 8, ""},
		{"borrow limit reached", 8, 8, 16, 1, 1, 0, "quota: project p uses 16 of its limit 16 gpu; this run needs 1 more"},
		{"gang would cross the limit", 8, 0, 0, 9, 9, 0, "quota: project p uses 0 of its limit 8 gpu; this run needs 9 more"},
		{"gang up to the limit", 8, 0, 0, 8, 8, 8, ""},
		{"elastic gang shrinks to the limit", 4, 4, 0, 2, 12, 8, ""},
		{"zero quota, zero borrowing", 0, 0, 0, 1, 1, 0, "quota: project p uses 0 of its limit 0 gpu; this run needs 1 more"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(cluster(16, 8)).project("p", 1, tc.quota, tc.limit)
			for i := 0; i < tc.held/8; i++ {
				e := job("r"+string(rune('a'+i)), "p", "", 1, 8, time.Hour, "")
				w.running(e, onNodes("a-"+e.ID, e, time.Hour, 0, "n"+string(rune('1'+i))))
			}
			e := job("e", "p", "", tc.ranks, 1, time.Hour, "")
			e.Spec.Workers.Max = tc.max
			d := Decide(w.pending(e).in)
			got := 0
			if len(d.Plans) == 1 {
				got = len(d.Plans[0].Ranks)
			}
			if got != tc.wantRanks {
				t.Fatalf("placed %d ranks, want %d (queue %+v)", got, tc.wantRanks, d.Queue)
			}
			if r := entry(d, "e").Reason; r != tc.wantReason {
				t.Fatalf("reason %q, want %q", r, tc.wantReason)
			}
		})
	}
}

// TestQuotaCountsThePass: two experiments of one project that each fit the limit
// alone do not both start when together they exceed it.
func TestQuotaCountsThePass(t *testing.T) {
	w := newWorld(cluster(4, 8)).project("p", 1, 8, 4).pending(
		job("e1", "p", "", 1, 8, 2*time.Hour, ""), job("e2", "p", "", 1, 8, time.Hour, ""))
	d := Decide(w.in)
	if got := placedIDs(d); !slices.Equal(got, []string{"e1"}) {
		t.Fatalf("placed %v, want [e1]", got)
	}
	if r := entry(d, "e2").Reason; r != "quota: project p uses 8 of its limit 12 gpu; this run needs 8 more" {
		t.Fatalf("reason %q", r)
	}
}
