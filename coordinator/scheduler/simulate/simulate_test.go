package simulate

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/scheduler"
	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// small is a fifth of the full simulation: 200 agents, 2,000 gangs, 10 projects,
// at three times the cluster's capacity offered, so that backlogs build.
var small = Config{Agents: 200, Gangs: 2000, Projects: 10, MaxRanks: 32, Load: 3, Seed: 1}

// TestSmallScale runs the small simulation twice: the invariants hold (Run fails
// on a device given twice, a project over its limit, a gang that never finishes),
// both runs decide the same, nothing is lost, and issue #17's goals hold.
func TestSmallScale(t *testing.T) {
	a, err := Run(small)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(small)
	if err != nil {
		t.Fatal(err)
	}
	if a.Digest != b.Digest {
		t.Fatalf("two runs decided differently: digests %x and %x", a.Digest, b.Digest)
	}
	a2, b2 := *a, *b
	a2.SchedulerCPU, a2.SchedulerWall, b2.SchedulerCPU, b2.SchedulerWall = 0, 0, 0, 0
	a2.Config, b2.Config = Config{}, Config{} // holds a func, which DeepEqual never finds equal
	if !reflect.DeepEqual(a2, b2) {
		t.Fatalf("two runs measured differently:\n%+v\n%+v", a2, b2)
	}
	if a.Finished != small.Gangs || a.LostDeviceHours != 0 || a.Missed != 0 {
		t.Fatalf("finished %d of %d, lost %v device-h, %d missed deadlines", a.Finished, small.Gangs, a.LostDeviceHours, a.Missed)
	}
	if a.Preemptions == 0 || a.Reclaims == 0 || a.Preemptions == a.Reclaims {
		t.Fatalf("preemptions %d, reclaims %d: the workload should exercise both", a.Preemptions, a.Reclaims)
	}
	t.Logf("placements %d in %d passes, %.0f/s of scheduler CPU; utilisation %.3f; Jain %.3f over %d projects; %d preemptions",
		a.Placements, a.Passes, a.PlacementsPerSecond(), a.Utilisation, a.Jain, a.Always, a.Preemptions)
	if a.Utilisation < 0.90 {
		t.Errorf("utilisation while work waits %.3f, goal 0.90", a.Utilisation)
	}
	if a.Always < small.Projects/2 || a.Jain < 0.95 {
		t.Errorf("Jain's index %.3f over %d projects, goal 0.95 over at least %d", a.Jain, a.Always, small.Projects/2)
	}
	if !raceEnabled && a.PlacementsPerSecond() < 1000 {
		t.Errorf("%.0f placements per second of scheduler CPU, goal 1,000", a.PlacementsPerSecond())
	}
}

// TestLostFraction: victims that miss their deadline lose the work since their
// last periodic checkpoint, and the loss is counted.
func TestLostFraction(t *testing.T) {
	cfg := small
	cfg.Agents, cfg.Gangs, cfg.LostFraction = 100, 500, 0.5
	r, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Missed == 0 || r.LostDeviceHours <= 0 || r.Finished != cfg.Gangs {
		t.Fatalf("%d missed, %v device-h lost, %d of %d finished", r.Missed, r.LostDeviceHours, r.Finished, cfg.Gangs)
	}
}

// TestChecksCatchBadDecisions: the simulation refuses a scheduler that gives a
// device twice, takes a project over its limit, preempts a stopping run, or
// leaves a gang waiting for ever.
func TestChecksCatchBadDecisions(t *testing.T) {
	cfg := Config{Agents: 20, Gangs: 100, Projects: 4, MaxRanks: 4, Seed: 2}
	tests := []struct {
		name   string
		decide func(scheduler.Input) scheduler.Decision
		want   string
	}{
		{"a device given twice", func(in scheduler.Input) scheduler.Decision {
			d := scheduler.Decide(in)
			if len(d.Plans) > 0 && len(in.Running) > 0 {
				r := in.Running[0].Ranks[0]
				d.Plans[0].Ranks[0].NodeID, d.Plans[0].Ranks[0].Devices[0] = r.NodeID, r.Devices[0]
			}
			return d
		}, "which is unknown or held"},
		{"a project over its limit", func(in scheduler.Input) scheduler.Decision {
			return scheduler.Decide(unlimited(in))
		}, "over its limit"},
		{"a stopping run preempted again", func(in scheduler.Input) scheduler.Decision {
			d := scheduler.Decide(in)
			for _, a := range in.Running {
				if a.Stop != nil {
					d.Preemptions = append(d.Preemptions, scheduler.Preemption{AttemptID: a.ID, ExperimentID: a.ExperimentID})
					break
				}
			}
			return d
		}, "already stopping"},
		{"a gang never placed", func(in scheduler.Input) scheduler.Decision {
			d := scheduler.Decide(in)
			d.Plans = d.Plans[:0]
			d.Queue = make([]scheduler.QueueEntry, len(in.Pending))
			return d
		}, "never finished"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg
			c.decide = tc.decide
			if tc.want == "already stopping" {
				c.Load, c.Gangs = 3, 400 // enough contention for preemptions
			}
			_, err := Run(c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// unlimited is the input with every project's borrowing limit lifted, so that the
// policy takes a project past the limit the simulation enforces.
func unlimited(in scheduler.Input) scheduler.Input {
	projects := map[string]*structs.Project{}
	for name, p := range in.Projects {
		q := *p
		q.BorrowLimit = nil
		projects[name] = &q
	}
	in.Projects = projects
	return in
}

// TestUsageMatchesDecayedUsage: the decayed usage the simulation keeps step by
// step is what scheduler.DecayedUsage computes from every attempt.
func TestUsageMatchesDecayedUsage(t *testing.T) {
	cfg := Config{Agents: 50, Gangs: 300, Projects: 5, MaxRanks: 8, Load: 2, Seed: 4}
	checked := 0
	var failure string
	cfg.afterPass = func(s *sim) {
		if s.m.passes%23 != 0 || failure != "" {
			return
		}
		exps := map[string]*structs.Experiment{}
		for _, g := range s.gangs {
			exps[g.exp.ID] = g.exp
		}
		want := scheduler.DecayedUsage(s.attempts, exps, time.Unix(0, s.now), 0)
		for i, p := range s.projects {
			s.advanceUsage(i)
			got, w := s.usage[i].v, want[p.Name]["gpu"]
			if math.Abs(got-w) > 1e-6*math.Max(w, 1) {
				failure = p.Name
				t.Errorf("t=%d: %s usage %v, DecayedUsage %v", s.now, p.Name, got, w)
			}
		}
		checked++
	}
	if _, err := Run(cfg); err != nil {
		t.Fatal(err)
	}
	if checked < 10 {
		t.Fatalf("checked %d passes", checked)
	}
}
