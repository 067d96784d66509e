package scheduler

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// victim describes one full-node run for the victim-order table.
type victim struct {
	id      string
	project string
	class   string
	ago     time.Duration
	lost    int64
}

// TestPreemptVictimOrder: a full cluster of one-node runs; an urgent one-node
// experiment preempts exactly one, chosen lowest class first, then the most over
// its project's quota, then the least work lost, then the youngest.
func TestPreemptVictimOrder(t *testing.T) {
	tests := []struct {
		name string
		runs []victim
		want string
	}{
		{"lowest class first", []victim{
			{"normal", "a", "normal", time.Hour, 0}, {"batch", "a", "batch", 2 * time.Hour, 100}}, "batch"},
		{"then most over quota", []victim{
			{"a1", "a", "batch", time.Hour, 0}, {"b1", "b", "batch", time.Hour, 50}, {"b2", "b", "batch", 2 * time.Hour, 50}}, "b1"},
		{"then least lost", []victim{
			{"a1", "a", "batch", time.Hour, 30}, {"a2", "a", "batch", 2 * time.Hour, 10}}, "a2"},
		{"then youngest", []victim{
			{"a1", "a", "batch", 2 * time.Hour, 10}, {"a2", "a", "batch", time.Hour, 10}}, "a2"},
		{"never a higher or equal class", []victim{
			{"u1", "a", "urgent", time.Hour, 0}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(cluster(len(tc.runs), 8)).project("a", 1, 8, -1).project("b", 1, 0, -1).project("c", 1, 0, -1)
			for i, v := range tc.runs {
				e := job("e-"+v.id, v.project, v.class, 1, 8, 5*time.Hour, "")
				w.running(e, onNodes(v.id, e, v.ago, 0, "n"+string(rune('1'+i))))
				w.in.LostIfStopped[v.id] = v.lost
			}
			d := Decide(w.pending(job("u", "c", "urgent", 1, 8, time.Minute, "")).in)
			got := victims(d)
			if tc.want == "" {
				if len(got) != 0 {
					t.Fatalf("victims %v, want none", got)
				}
				return
			}
			if !slices.Equal(got, []string{tc.want}) {
				t.Fatalf("victims %v, want [%s]", got, tc.want)
			}
			p := d.Preemptions[0]
			if p.For != "u" || p.ExperimentID != "e-"+tc.want || !strings.HasPrefix(p.Detail, "for experiment u: priority urgent over ") {
				t.Fatalf("preemption %+v", p)
			}
			if r := entry(d, "u").Reason; r != "waiting for preempted run "+tc.want+" to checkpoint" {
				t.Fatalf("reason %q", r)
			}
			if len(d.Plans) != 0 {
				t.Fatalf("placed %v while its victim checkpoints", placedIDs(d))
			}
		})
	}
}

// TestPreemptMinimal: victims are added in preference order until the gang fits,
// then those the fit does not need are let go. Here the preferred victim (batch,
// half of n1) cannot make room alone; the normal run filling n2 can, so the
// batch run is kept.
func TestPreemptMinimal(t *testing.T) {
	half := job("e-half", "a", "batch", 1, 4, 5*time.Hour, "")
	other := job("e-other", "a", "normal", 1, 4, 5*time.Hour, "")
	full := job("e-full", "a", "normal", 1, 8, 5*time.Hour, "")
	w := newWorld(cluster(2, 8)).project("a", 1, 0, -1).
		running(half, onNodes("half", half, time.Hour, 0, "n1")).
		running(other, onNodes("other", other, 2*time.Hour, 4, "n1")).
		running(full, onNodes("full", full, time.Hour, 0, "n2"))
	w.in.LostIfStopped["other"] = 100 // so that full comes before it among normals
	d := Decide(w.pending(job("u", "a", "urgent", 1, 8, time.Minute, "")).in)
	if got := victims(d); !slices.Equal(got, []string{"full"}) {
		t.Fatalf("victims %v, want [full]", got)
	}
}

// TestPreemptGangNeedsSeveral: a two-node gang takes two victims on distinct nodes.
func TestPreemptGangNeedsSeveral(t *testing.T) {
	w := newWorld(cluster(3, 8)).project("a", 1, 0, -1)
	for i, n := range []string{"n1", "n2", "n3"} {
		e := job("e"+n, "a", "batch", 1, 8, 5*time.Hour, "")
		w.running(e, onNodes("r"+n, e, time.Duration(i+1)*time.Hour, 0, n))
	}
	d := Decide(w.pending(job("u", "a", "normal", 2, 8, time.Minute, "")).in)
	got := victims(d)
	slices.Sort(got)
	if !slices.Equal(got, []string{"rn1", "rn2"}) { // the two youngest
		t.Fatalf("victims %v, want [rn1 rn2]", got)
	}
}

// TestReclaim: a project within its quota takes back devices from a project that
// borrows above its own, at the same class, but never from a higher class, and not
// when the gang would take it past its quota.
func TestReclaim(t *testing.T) {
	tests := []struct {
		name        string
		gang        int    // nodes of 8 the reclaimer asks for
		borrowClass string // class of the borrower's runs
		want        int    // victims
	}{
		{"within quota: reclaims", 1, "normal", 1},
		{"within quota, two nodes", 2, "normal", 2},
		{"beyond its quota: no reclaim", 3, "normal", 0},
		{"borrower of a higher class is left alone", 1, "urgent", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(cluster(4, 8)).project("q", 1, 16, -1).project("b", 1, 8, -1)
			for _, n := range []string{"n1", "n2", "n3", "n4"} {
				e := job("e"+n, "b", tc.borrowClass, 1, 8, 5*time.Hour, "")
				w.running(e, onNodes("r"+n, e, time.Hour, 0, n))
			}
			d := Decide(w.pending(job("x", "q", "normal", tc.gang, 8, time.Minute, "")).in)
			if len(d.Preemptions) != tc.want {
				t.Fatalf("victims %v, want %d", victims(d), tc.want)
			}
			for _, p := range d.Preemptions {
				if p.Detail != "for experiment x: project q reclaims its quota from borrowing project b" {
					t.Fatalf("detail %q", p.Detail)
				}
			}
		})
	}
}

// TestReclaimStopsAtQuota: the borrower is not pushed below its own quota by a
// reclaim: it keeps its 8 and gives back only what it borrowed.
func TestReclaimStopsAtQuota(t *testing.T) {
	w := newWorld(cluster(4, 8)).project("q", 1, 24, -1).project("b", 1, 16, -1)
	for _, n := range []string{"n1", "n2", "n3", "n4"} {
		e := job("e"+n, "b", "normal", 1, 8, 5*time.Hour, "")
		w.running(e, onNodes("r"+n, e, time.Hour, 0, n))
	}
	d := Decide(w.pending(job("x", "q", "normal", 3, 8, time.Minute, "")).in)
	if len(d.Preemptions) != 0 {
		t.Fatalf("victims %v: b holds 32 of quota 16, so only 2 nodes may be reclaimed, not 3", victims(d))
	}
	w.in.Pending[0].Spec.Workers.Min, w.in.Pending[0].Spec.Workers.Max = 2, 2
	if d = Decide(w.in); len(d.Preemptions) != 2 {
		t.Fatalf("victims %v, want 2", victims(d))
	}
}

// TestProtected: a run preempted ProtectAfter times within the window is not a
// victim; older preemptions do not count.
func TestProtected(t *testing.T) {
	tests := []struct {
		name        string
		preemptions []time.Duration // ago
		want        []string
	}{
		{"never preempted", nil, []string{"r"}},
		{"once lately", []time.Duration{10 * time.Minute}, []string{"r"}},
		{"twice lately: protected", []time.Duration{50 * time.Minute, 10 * time.Minute}, nil},
		{"twice, once outside the window", []time.Duration{2 * time.Hour, 10 * time.Minute}, []string{"r"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := job("e", "a", "batch", 1, 8, 5*time.Hour, "")
			for _, ago := range tc.preemptions {
				e.Preemptions = append(e.Preemptions, t0.Add(-ago).UnixNano())
			}
			w := newWorld(cluster(1, 8)).project("a", 1, 0, -1).running(e, onNodes("r", e, time.Minute, 0, "n1"))
			d := Decide(w.pending(job("u", "a", "urgent", 1, 8, time.Minute, "")).in)
			if got := victims(d); !slices.Equal(got, tc.want) {
				t.Fatalf("victims %v, want %v", got, tc.want)
			}
		})
	}
}

// TestNoDoublePreemption: while the runs preempted for an experiment checkpoint,
// no more are preempted for it, the free devices it will need are held for it, and
// a stopping run is never taken as a victim by another preemptor.
func TestNoDoublePreemption(t *testing.T) {
	stopping := job("e-stop", "a", "batch", 1, 8, 5*time.Hour, "")
	other := job("e-other", "a", "batch", 1, 8, 5*time.Hour, "")
	w := newWorld(cluster(3, 8)).project("a", 1, 0, -1).
		running(stopping, onNodes("stop", stopping, time.Hour, 0, "n1")).
		running(other, onNodes("other", other, time.Hour, 0, "n2"))
	w.in.Running[0].Stop = &structs.StopRequest{Reason: structs.StopPreempt, For: "u", RequestedAt: t0.UnixNano(),
		Deadline: t0.Add(2 * time.Minute).UnixNano()}
	w.pending(job("u", "a", "urgent", 2, 8, time.Hour, ""), job("small", "a", "batch", 1, 1, 2*time.Hour, "10m"))
	d := Decide(w.in)
	if len(d.Preemptions) != 0 {
		t.Fatalf("preempted %v while u's victim checkpoints with n3 free", victims(d))
	}
	if len(d.Plans) != 0 {
		t.Fatalf("placed %v on n3, which is held for u", placedIDs(d))
	}
	u := entry(d, "u")
	if u.Reason != "waiting for preempted run stop to checkpoint" || !u.EstimatedStart.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("u %+v", u)
	}

	// A second urgent experiment preempts the other batch run, never the stopping one.
	w.pending(job("u2", "a", "urgent", 1, 8, 3*time.Hour, ""))
	d = Decide(w.in)
	if got := victims(d); !slices.Equal(got, []string{"other"}) {
		t.Fatalf("victims %v, want [other]", got)
	}
}

// TestOnePreemptorPerPass: two urgent experiments, two batch victims: one pass
// preempts for the first only.
func TestOnePreemptorPerPass(t *testing.T) {
	w := newWorld(cluster(2, 8)).project("a", 1, 0, -1)
	for _, n := range []string{"n1", "n2"} {
		e := job("e"+n, "a", "batch", 1, 8, 5*time.Hour, "")
		w.running(e, onNodes("r"+n, e, time.Hour, 0, n))
	}
	d := Decide(w.pending(job("u1", "a", "urgent", 1, 8, 2*time.Hour, ""), job("u2", "a", "urgent", 1, 8, time.Hour, "")).in)
	if len(d.Preemptions) != 1 || d.Preemptions[0].For != "u1" {
		t.Fatalf("preemptions %+v, want one for u1", d.Preemptions)
	}
}
