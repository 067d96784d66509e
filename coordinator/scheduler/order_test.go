package scheduler

import (
	"slices"
	"testing"
	"time"
)

// TestOrderPriority: the class comes before age; the queue lists the rest in order.
func TestOrderPriority(t *testing.T) {
	w := newWorld(cluster(1, 8)).project("p", 1, 0, -1).pending(
		job("batch", "p", "batch", 1, 8, 3*time.Hour, ""),
		job("normal", "p", "", 1, 8, 2*time.Hour, ""),
		job("urgent", "p", "urgent", 1, 8, time.Hour, ""),
		job("normal2", "p", "normal", 1, 8, 30*time.Minute, ""))
	d := Decide(w.in)
	if got := placedIDs(d); !slices.Equal(got, []string{"urgent"}) {
		t.Fatalf("placed %v, want [urgent]", got)
	}
	if got, want := queueIDs(d), []string{"normal", "normal2", "batch"}; !slices.Equal(got, want) {
		t.Fatalf("queue %v, want %v", got, want)
	}
	for i, q := range d.Queue {
		if q.Position != i+1 {
			t.Fatalf("entry %d has position %d", i, q.Position)
		}
	}
}

// TestOrderFairShare: among projects of one class, lower decayed usage per weight
// goes first, whatever the age; a project within its quota goes before borrowers.
func TestOrderFairShare(t *testing.T) {
	hour := 3600.0 * 8
	tests := []struct {
		name           string
		weightA, useA  float64
		weightB, useB  float64
		quotaA, quotaB int
		want           string // the project placed on the one free node
	}{
		{"less usage first, though younger", 1, 10 * hour, 1, 5 * hour, 0, 0, "b"},
		{"equal usage: older first", 1, 5 * hour, 1, 5 * hour, 0, 0, "a"},
		{"weight divides usage", 3, 10 * hour, 1, 5 * hour, 0, 0, "a"},
		{"weight divides usage, the other way", 1, 10 * hour, 3, 20 * hour, 0, 0, "b"},
		{"within quota before borrowing, whatever the share", 1, 10 * hour, 1, 0, 8, 0, "a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(cluster(1, 8)).project("a", tc.weightA, tc.quotaA, -1).project("b", tc.weightB, tc.quotaB, -1).
				pending(job("ea", "a", "", 1, 8, 2*time.Hour, ""), job("eb", "b", "", 1, 8, time.Hour, ""))
			w.in.Usage = map[string]map[string]float64{"a": {"gpu": tc.useA}, "b": {"gpu": tc.useB}}
			got := placedIDs(Decide(w.in))
			if !slices.Equal(got, []string{"e" + tc.want}) {
				t.Fatalf("placed %v, want [e%s]", got, tc.want)
			}
		})
	}
}

// TestOrderSharesWithinPass: what a pass places counts at once, so two equal
// projects split the free devices instead of the older one taking them all.
func TestOrderSharesWithinPass(t *testing.T) {
	w := newWorld(cluster(4, 1)).project("a", 1, 0, -1).project("b", 1, 0, -1)
	for i := 0; i < 4; i++ {
		w.pending(job("a"+string(rune('0'+i)), "a", "", 1, 1, time.Duration(10-i)*time.Hour, ""),
			job("b"+string(rune('0'+i)), "b", "", 1, 1, time.Duration(5-i)*time.Hour, ""))
	}
	got := placedIDs(Decide(w.in))
	slices.Sort(got)
	if want := []string{"a0", "a1", "b0", "b1"}; !slices.Equal(got, want) {
		t.Fatalf("placed %v, want %v", got, want)
	}
}

// TestUnknownClassAndProject: an experiment of a class or project that does not
// exist waits with that reason; the default project exists without being created.
func TestUnknownClassAndProject(t *testing.T) {
	w := newWorld(cluster(2, 8)).pending(
		job("noclass", "", "gold", 1, 8, time.Hour, ""),
		job("noproject", "ghost", "", 1, 8, time.Hour, ""),
		job("default", "", "", 1, 8, time.Hour, ""))
	d := Decide(w.in)
	if got := placedIDs(d); !slices.Equal(got, []string{"default"}) {
		t.Fatalf("placed %v, want [default]", got)
	}
	if r := entry(d, "noclass").Reason; r != "priority class: gold is not defined" {
		t.Fatalf("reason %q", r)
	}
	if r := entry(d, "noproject").Reason; r != "project: ghost is not defined" {
		t.Fatalf("reason %q", r)
	}
}
