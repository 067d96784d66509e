package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
)

// trainingEpochs makes the WDBC run last long enough (about 10 s on an idle 2-core machine,
// one checkpoint every 20 steps) to kill processes in the middle of it.
const trainingEpochs = 600

// Three servers and two agents; kill -9 the leader while an experiment trains: a new
// leader is elected, the agents follow it (checkpoints keep being committed), the
// experiment succeeds, and every checkpoint committed before the kill is still listed
// and verifies. The killed server, restarted on its data dir, rejoins and catches up.
func TestLeaderKillDuringTraining(t *testing.T) {
	needProcesses(t)
	c := newCluster(t, 3, clusterOptions{})
	c.startAgent("agent-1")
	c.startAgent("agent-2")
	id := c.submit(wdbcSpec(t, trainingEpochs, 20))
	c.runningAttempt(id, 1, 20*time.Second)
	c.waitCheckpoints(id, 3, 30*time.Second)

	old := c.leader(10 * time.Second)
	before := c.checkpoints(id) // a leader read: these are committed
	killed := time.Now()
	old.kill()
	t.Logf("killed leader %s with %d checkpoints committed (last step %d)", old.id, len(before), before[len(before)-1].Step)

	leader := c.leader(20 * time.Second)
	if leader == old {
		t.Fatalf("the killed server %s still leads", old.id)
	}
	t.Logf("new leader %s %v after the kill", leader.id, time.Since(killed).Round(time.Millisecond))
	// The agents follow the new leader: training commits checkpoints through it. (A
	// commit in flight at the kill has an unknown outcome, which fails the attempt;
	// the next attempt resumes from the latest checkpoint and commits on.)
	lastBefore := before[len(before)-1].Step
	testutil.WaitFor(t, 30*time.Second, "a checkpoint committed through the new leader", func() (bool, string) {
		cps, err := leader.client(c.adminToken).Checkpoints(t.Context(), id)
		if err != nil {
			return false, err.Error()
		}
		for _, cp := range cps {
			if cp.Step > lastBefore {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d checkpoints", len(cps))
	})
	for _, n := range []string{"agent-1", "agent-2"} {
		node, err := c.admin.Node(t.Context(), n)
		if err != nil || node.Status != structs.NodeStatusUp {
			t.Errorf("node %s after failover: %+v, %v", n, node, err)
		}
	}

	e := c.waitExperiment(id, 60*time.Second)
	if e.Status != structs.ExperimentSucceeded {
		t.Fatalf("experiment %s %s (%s)", id, e.Status, e.StatusReason)
	}
	as, err := c.admin.Attempts(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("experiment succeeded at step %d with %d restarts; attempts: %s", e.Progress.Step, e.Restarts, attemptsString(as))

	after := c.checkpoints(id)
	listed := map[string]structs.Checkpoint{}
	for _, cp := range after {
		listed[cp.ID] = cp
	}
	for _, cp := range before {
		got, ok := listed[cp.ID]
		if !ok {
			t.Errorf("checkpoint %s (step %d), committed before the kill, is no longer listed", cp.ID, cp.Step)
			continue
		}
		if got.ManifestHash != cp.ManifestHash || got.Step != cp.Step {
			t.Errorf("checkpoint %s changed across the failover: %+v, was %+v", cp.ID, got, cp)
		}
	}
	c.verifyCheckpoints(before)
	if len(after) <= len(before) {
		t.Errorf("%d checkpoints after the run, %d before the kill: none committed after failover", len(after), len(before))
	}

	// The killed server comes back on the same data dir and ports, rejoins and
	// catches up with everything committed while it was dead.
	st, err := leader.client(c.adminToken).Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	old.start()
	c.waitApplied(old, st.AppliedIndex, 30*time.Second)
	got, err := old.client(c.adminToken).Stale().Checkpoints(t.Context(), id)
	if err != nil {
		t.Fatalf("stale read on the restarted %s: %v", old.id, err)
	}
	if len(got) != len(after) {
		t.Errorf("restarted %s lists %d checkpoints, the leader %d", old.id, len(got), len(after))
	}
	c.leader(20 * time.Second) // a majority, the restarted server included, agrees on a leader
}

// A leader failover should cost training no restart: the agent's checkpoint commit in
// flight at the kill should be retried or found committed, not fail the attempt. With
// max_restarts 0 the experiment must still succeed: a checkpoint commit in flight at the
// kill (outcome unknown) is looked up and retried by the agent, not turned into a failure.
func TestLeaderKillCostsNoRestart(t *testing.T) {
	needProcesses(t)
	c := newCluster(t, 3, clusterOptions{})
	c.startAgent("agent-1")
	id := c.submit(wdbcSpec(t, trainingEpochs, 20, [2]string{"max_restarts: 3", "max_restarts: 0"}))
	c.waitCheckpoints(id, 3, 30*time.Second)
	c.leader(10 * time.Second).kill()
	e := c.waitExperiment(id, 60*time.Second)
	if e.Status != structs.ExperimentSucceeded {
		as, _ := c.admin.Attempts(t.Context(), id)
		t.Fatalf("with max_restarts 0 a leader kill ended the experiment %s: %s", e.Status, attemptsString(as))
	}
}
