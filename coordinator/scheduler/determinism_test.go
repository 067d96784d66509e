package scheduler

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// busyWorld is a contended cluster: 40 nodes of 8 gpus, runs of three classes and
// four projects on most of them, some stopping, and 200 pending experiments.
func busyWorld(seed uint64) *world {
	rng := rand.New(rand.NewPCG(seed, 1))
	w := newWorld(cluster(40, 8))
	projects := []string{"a", "b", "c", "d"}
	for i, p := range projects {
		w.project(p, float64(1+i%3), 40, 40)
		w.in.Usage[p] = map[string]float64{"gpu": float64(rng.IntN(1000000))}
	}
	cls := []string{"urgent", "normal", "batch", "batch"}
	for i := 1; i <= 40; i++ {
		if rng.IntN(5) == 0 {
			continue
		}
		n := fmt.Sprintf("n%d", i)
		for first := 0; first < 8; first += 4 {
			e := job(fmt.Sprintf("run-%s-%d", n, first), projects[rng.IntN(4)], cls[1+rng.IntN(3)], 1, 4, time.Hour,
				[]string{"", "1h", "3h"}[rng.IntN(3)])
			a := onNodes("a-"+e.ID, e, time.Duration(rng.IntN(120))*time.Minute, first, n)
			if rng.IntN(10) == 0 {
				a.Stop = &structs.StopRequest{Reason: structs.StopPreempt, Deadline: t0.Add(time.Minute).UnixNano()}
			}
			w.running(e, a)
			w.in.LostIfStopped[a.ID] = int64(rng.IntN(100))
		}
	}
	for i := 0; i < 200; i++ {
		ranks := []int{1, 1, 2, 4, 8}[rng.IntN(5)]
		devs := []int{1, 2, 4, 8}[rng.IntN(4)]
		w.pending(job(fmt.Sprintf("p%03d", i), projects[rng.IntN(4)], cls[rng.IntN(4)], ranks, devs,
			time.Duration(rng.IntN(600))*time.Minute, []string{"", "30m", "2h"}[rng.IntN(3)]))
	}
	return w
}

// TestDeterministic: the same input, in any order, gives the same decision.
func TestDeterministic(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		w := busyWorld(seed)
		want := Decide(w.in)
		if len(want.Plans)+len(want.Queue) != len(w.in.Pending) {
			t.Fatalf("seed %d: %d plans + %d queued of %d pending", seed, len(want.Plans), len(want.Queue), len(w.in.Pending))
		}
		rng := rand.New(rand.NewPCG(seed, 2))
		for round := 0; round < 3; round++ {
			rng.Shuffle(len(w.in.Pending), func(i, j int) { w.in.Pending[i], w.in.Pending[j] = w.in.Pending[j], w.in.Pending[i] })
			rng.Shuffle(len(w.in.Running), func(i, j int) { w.in.Running[i], w.in.Running[j] = w.in.Running[j], w.in.Running[i] })
			rng.Shuffle(len(w.in.Nodes), func(i, j int) { w.in.Nodes[i], w.in.Nodes[j] = w.in.Nodes[j], w.in.Nodes[i] })
			if got := Decide(w.in); !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d round %d: decisions differ with the input reordered", seed, round)
			}
		}
	}
}

// TestDecisionInvariants: on contended random inputs, no plan takes a device a
// running rank or another plan holds, or an unusable one; ranks are on distinct
// nodes; no project passes its limit; victims are neither stopping nor of a class
// at or above their preemptor's unless reclaimed.
func TestDecisionInvariants(t *testing.T) {
	for seed := uint64(1); seed <= 50; seed++ {
		w := busyWorld(seed)
		d := Decide(w.in)
		taken := map[string]bool{}
		held, added := map[string]int{}, map[string]int{}
		for _, a := range w.in.Running {
			for _, r := range a.Ranks {
				for _, dev := range r.Devices {
					taken[r.NodeID+"/"+dev] = true
				}
			}
			held[ProjectOf(w.in.Experiments[a.ExperimentID])] += 4
		}
		for _, p := range d.Plans {
			e := w.in.Experiments[p.ExperimentID]
			need := NeedOf(e)
			if len(p.Ranks) < need.Min || len(p.Ranks) > need.Max {
				t.Fatalf("seed %d: %s got %d ranks", seed, p.ExperimentID, len(p.Ranks))
			}
			nodes := map[string]bool{}
			for _, r := range p.Ranks {
				if nodes[r.NodeID] {
					t.Fatalf("seed %d: %s has two ranks on %s", seed, p.ExperimentID, r.NodeID)
				}
				nodes[r.NodeID] = true
				if len(r.Devices) != need.Devices {
					t.Fatalf("seed %d: %s rank has %v", seed, p.ExperimentID, r.Devices)
				}
				for _, dev := range r.Devices {
					if taken[r.NodeID+"/"+dev] {
						t.Fatalf("seed %d: %s/%s given twice", seed, r.NodeID, dev)
					}
					taken[r.NodeID+"/"+dev] = true
				}
			}
			added[ProjectOf(e)] += len(p.Ranks) * need.Devices
		}
		for name, n := range added {
			if lim := w.in.Projects[name].Limit("gpu"); lim >= 0 && held[name]+n > lim {
				t.Fatalf("seed %d: %s holds %d and is given %d, over its limit %d", seed, name, held[name], n, lim)
			}
		}
		for _, pr := range d.Preemptions {
			var a *structs.Attempt
			for _, x := range w.in.Running {
				if x.ID == pr.AttemptID {
					a = x
				}
			}
			if a == nil || a.Stop != nil {
				t.Fatalf("seed %d: victim %s is stopping or not running", seed, pr.AttemptID)
			}
			v, f := w.in.Classes[ClassOf(w.in.Experiments[a.ExperimentID])], w.in.Classes[ClassOf(w.in.Experiments[pr.For])]
			if v.Value > f.Value {
				t.Fatalf("seed %d: %s preempted for a lower class", seed, pr.AttemptID)
			}
		}
	}
}
