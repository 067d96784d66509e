package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
)

// Kill -9 the agent running an attempt: with a 2 s node heartbeat timeout its node is
// marked down, the attempt fails, and attempt 2 resumes on the other agent from the
// latest committed checkpoint; the experiment succeeds.
func TestAgentKillDuringTraining(t *testing.T) {
	needProcesses(t)
	c := newCluster(t, 3, clusterOptions{NodeHeartbeatTimeout: 2 * time.Second})
	c.startAgent("agent-1")
	c.startAgent("agent-2")
	id := c.submit(wdbcSpec(t, trainingEpochs, 20))
	first := c.runningAttempt(id, 1, 20*time.Second)
	if len(first.Ranks) != 1 {
		t.Fatalf("attempt 1 has %d ranks, the spec asks for one worker", len(first.Ranks))
	}
	victim := first.Ranks[0].NodeID
	survivor := map[string]string{"agent-1": "agent-2", "agent-2": "agent-1"}[victim]
	if survivor == "" {
		t.Fatalf("attempt 1 runs on unknown node %q", victim)
	}
	c.waitCheckpoints(id, 3, 30*time.Second)
	killed := time.Now()
	c.agents[victim].kill()

	testutil.WaitFor(t, 20*time.Second, "node "+victim+" to be marked down", func() (bool, string) {
		n, err := c.admin.Node(t.Context(), victim)
		if err != nil {
			return false, err.Error()
		}
		return n.Status == structs.NodeStatusDown, n.Status
	})
	down := time.Since(killed)
	second := c.runningAttempt(id, 2, 20*time.Second)
	// Attempt 2 must start from attempt 1's last committed checkpoint (attempt 2
	// commits its own from the moment it is placed, so "latest" moves on).
	var latest structs.Checkpoint
	for _, cp := range c.checkpoints(id) {
		if cp.AttemptID == first.ID && cp.Step > latest.Step {
			latest = cp
		}
	}
	if latest.ID == "" {
		t.Fatal("attempt 1 has no committed checkpoint")
	}
	as, err := c.admin.Attempts(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if a.ID == first.ID && (a.Status != structs.AttemptFailed || a.EndReason == "") {
			t.Errorf("attempt 1 after its node died: status %s, reason %q; want failed with a reason", a.Status, a.EndReason)
		}
	}
	if second.ResumeFrom != latest.ID {
		t.Errorf("attempt 2 resumes from %q, attempt 1's last committed checkpoint is %s (step %d)", second.ResumeFrom, latest.ID, latest.Step)
	}
	if len(second.Ranks) != 1 || second.Ranks[0].NodeID != survivor {
		t.Errorf("attempt 2 placed on %+v, want the surviving %s", second.Ranks, survivor)
	}
	testutil.WaitFor(t, 30*time.Second, "attempt 2's first progress report", func() (bool, string) {
		e, err := c.admin.Experiment(t.Context(), id)
		if err != nil {
			return false, err.Error()
		}
		return e.Progress.AttemptID == second.ID && e.Progress.Step > latest.Step,
			fmt.Sprintf("progress of attempt %s step %d", e.Progress.AttemptID, e.Progress.Step)
	})
	t.Logf("agent %s killed at step %d: node down after %v, attempt 2 on %s progressing after %v",
		victim, latest.Step, down.Round(time.Millisecond), survivor, time.Since(killed).Round(time.Millisecond))

	e := c.waitExperiment(id, 60*time.Second)
	if e.Status != structs.ExperimentSucceeded {
		t.Fatalf("experiment %s %s (%s); attempts: %s", id, e.Status, e.StatusReason, attemptsString(as))
	}
	// Attempt 2 really resumed: its first checkpoint comes after the one it resumed
	// from instead of starting again from step 0.
	for _, cp := range c.checkpoints(id) {
		if cp.AttemptID == second.ID {
			if cp.Step <= latest.Step {
				t.Errorf("attempt 2's first checkpoint is at step %d, not after the resumed step %d", cp.Step, latest.Step)
			}
			break
		}
	}
	if e.Restarts != 1 {
		t.Errorf("experiment restarts = %d, want 1 (%s)", e.Restarts, strings.TrimSpace(attemptsString(as)))
	}
}
