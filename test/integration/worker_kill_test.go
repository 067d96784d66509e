package integration

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
)

// Kill -9 one of three data-parallel workers mid-run: the attempt fails on every rank
// within 10 s, the very next attempt has the two survivors and resumes from the latest
// committed checkpoint (data sharding follows the new world size), and the experiment
// finishes.
func TestWorkerKillShrinksTheWorld(t *testing.T) {
	needProcesses(t)
	c := newCluster(t, 3, clusterOptions{NodeHeartbeatTimeout: 2 * time.Second})
	for _, id := range []string{"agent-1", "agent-2", "agent-3"} {
		c.startAgent(id)
	}
	spec := wdbcSpec(t, trainingEpochs, 20,
		[2]string{"workers: {min: 1, max: 1, device: cpu}", "workers: {min: 2, max: 3, device: cpu}"},
		[2]string{"max_restarts: 3", "max_restarts: 5"})
	id := c.submit(spec)
	first := c.runningAttempt(id, 1, 20*time.Second)
	if len(first.Ranks) != 3 {
		t.Fatalf("attempt 1 has %d ranks, want 3", len(first.Ranks))
	}
	c.waitCheckpoints(id, 2, 60*time.Second)
	victim := first.Ranks[1].NodeID
	killed := time.Now()
	c.agents[victim].kill()

	testutil.WaitFor(t, 10*time.Second, "attempt 1 to fail", func() (bool, string) {
		as, err := c.admin.Attempts(t.Context(), id)
		if err != nil {
			return false, err.Error()
		}
		for _, a := range as {
			if a.ID == first.ID {
				return a.Status == structs.AttemptFailed, a.Status
			}
		}
		return false, "attempt 1 missing"
	})
	failedAfter := time.Since(killed)

	// The next attempt that actually trains has the two survivors and resumes.
	var resumed structs.Attempt
	testutil.WaitFor(t, 90*time.Second, "a two-rank attempt that trains past the resumed step", func() (bool, string) {
		e, err := c.admin.Experiment(t.Context(), id)
		if err != nil {
			return false, err.Error()
		}
		as, err := c.admin.Attempts(t.Context(), id)
		if err != nil {
			return false, err.Error()
		}
		for _, a := range as {
			if a.ID == e.Progress.AttemptID && a.Number > 1 && len(a.Ranks) == 2 && a.ResumeFrom != "" {
				resumed = a
				return true, ""
			}
		}
		return false, fmt.Sprintf("progress from attempt %s; attempts %s", e.Progress.AttemptID, attemptsString(as))
	})
	for _, r := range resumed.Ranks {
		if r.NodeID == victim {
			t.Fatalf("the resumed attempt uses the killed node %s", victim)
		}
	}
	if resumed.Number != 2 {
		t.Errorf("the two survivors train in attempt %d; want attempt 2 (no restart spent on the dead node)", resumed.Number)
	}
	t.Logf("worker %s killed: attempt 1 failed after %v; attempt %d (2 ranks) training %v after the kill",
		victim, failedAfter.Round(time.Millisecond), resumed.Number, time.Since(killed).Round(time.Millisecond))
	if failedAfter > 10*time.Second {
		t.Errorf("attempt 1 failed %v after the kill, want within 10 s", failedAfter)
	}
	e := c.waitExperiment(id, 120*time.Second)
	if e.Status != structs.ExperimentSucceeded {
		t.Fatalf("experiment %s: %s", e.Status, e.StatusReason)
	}

	// The validator replays the retained history link by link, each checkpoint from the
	// parent its manifest names: links inside either attempt and the one across the
	// restart (three ranks before it, two after) are all bit-identical.
	out := runCLI(t, c.cliEnv("DXTRAIN_TOKEN="+c.adminToken), "checkpoints", "replay", id, "--all", "--json",
		"--addr", c.addrList(), "--store", "file://"+c.storeDir)
	var reps []struct {
		FromStep  int64 `json:"from_step"`
		ToStep    int64 `json:"to_step"`
		WorldSize int   `json:"world_size"`
		Identical bool  `json:"identical"`
	}
	if err := json.Unmarshal([]byte(out), &reps); err != nil {
		t.Fatalf("replay --all --json: %v\n%s", err, out)
	}
	if len(reps) == 0 {
		t.Fatal("replay --all replayed nothing")
	}
	byWorld := map[int]int{}
	for i, r := range reps {
		if !r.Identical {
			t.Errorf("replay %d → %d on %d ranks: not identical", r.FromStep, r.ToStep, r.WorldSize)
		}
		if i > 0 && r.WorldSize != reps[i-1].WorldSize {
			t.Logf("replay across the restart: %d → %d on %d ranks, identical %t", r.FromStep, r.ToStep, r.WorldSize, r.Identical)
		}
		byWorld[r.WorldSize]++
	}
	if byWorld[3] == 0 || byWorld[2] == 0 {
		t.Errorf("replayed links by world size %v, want some on 3 ranks and some on 2", byWorld)
	}
	t.Logf("replay --all: %d links, by world size %v", len(reps), byWorld)
}
