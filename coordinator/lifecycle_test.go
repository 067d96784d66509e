package coordinator

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
)

// beater heartbeats a node until stopped, as an agent would.
type beater struct {
	cancel context.CancelFunc
	done   sync.WaitGroup
}

func startBeating(t *testing.T, c *client.Client, node string, every time.Duration) *beater {
	ctx, cancel := context.WithCancel(t.Context())
	b := &beater{cancel: cancel}
	b.done.Add(1)
	go func() {
		defer b.done.Done()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			_, _ = c.Heartbeat(ctx, node)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(b.stop)
	return b
}

func (b *beater) stop() { b.cancel(); b.done.Wait() }

// A node whose heartbeats stop is committed down; its attempt fails and a new one is
// placed on the other node, resuming from the latest committed checkpoint. Then the
// agent path runs the experiment to success.
func TestNodeDownReplacesAttemptFromLatestCheckpoint(t *testing.T) {
	r := startRunning(t, "resume", runningSetup{servers: 3, tweak: func(c *Config) { c.NodeHeartbeatTimeout = 300 * time.Millisecond },
		nodes: []string{"node-001", "node-002"}, beat: true, restarts: 2})
	tk, sub, first, b1 := r.tk, r.sub, r.att, r.beaters["node-001"]
	ctx := t.Context()
	if first.Ranks[0].NodeID != "node-001" || first.ResumeFrom != "" || first.Number != 1 {
		t.Fatalf("first attempt: %+v", first)
	}
	// The agent sees its assignment, reports progress and commits two checkpoints.
	as, idx, err := tk.agent.Assignments(ctx, "node-001", 0, 0)
	if err != nil || len(as) != 1 || as[0].Attempt.ID != first.ID || as[0].Rank != 0 || as[0].Experiment.SpecYAML == "" {
		t.Fatalf("assignments of node-001: %+v %v", as, err)
	}
	if _, err := tk.agent.ReportProgress(ctx, structs.ProgressArgs{ExperimentID: sub.ID, AttemptID: first.ID,
		Step: 20, Loss: 0.3, SamplesPerSec: 1000}); err != nil {
		t.Fatal(err)
	}
	var last string
	for _, step := range []int64{10, 20} {
		c, err := tk.agent.CommitCheckpoint(ctx, structs.CheckpointCommitArgs{ExperimentID: sub.ID, AttemptID: first.ID,
			Step: step, ManifestHash: hash("m"), BlobHashes: []string{hash("b")}, WorldSize: 1})
		if err != nil {
			t.Fatal(err)
		}
		last = c.ID
	}
	m, _, err := tk.researcher.Metrics(ctx, sub.ID, 0, 0)
	if err != nil || m.Progress.Step != 20 || m.Progress.Loss != 0.3 {
		t.Fatalf("metrics: %+v %v", m, err)
	}

	b1.stop() // node-001's agent dies
	testutil.WaitFor(t, 5*time.Second, "node-001 down", func() (bool, string) {
		n, err := tk.researcher.Node(ctx, "node-001")
		if err != nil {
			return false, err.Error()
		}
		return n.Status == structs.NodeStatusDown, n.Status
	})
	second := runningAttempt(t, tk.researcher, sub.ID, first.ID)
	if second.Ranks[0].NodeID != "node-002" || second.ResumeFrom != last || second.Number != 2 {
		t.Fatalf("replacement attempt: %+v (want node-002 resuming from %s)", second, last)
	}
	as, _, err = tk.agent.Assignments(ctx, "node-002", 0, 0)
	if err != nil || len(as) != 1 || as[0].ResumeFrom == nil || as[0].ResumeFrom.ID != last {
		t.Fatalf("assignment of node-002: %+v %v", as, err)
	}
	atts, _ := tk.researcher.Attempts(ctx, sub.ID)
	if atts[0].Status != structs.AttemptFailed || atts[0].EndReason == "" {
		t.Fatalf("first attempt after node down: %+v", atts[0])
	}
	// node-001's assignments are gone; a long poll on it returns once the state moves.
	if as, _, err := tk.agent.Assignments(ctx, "node-001", idx, 50*time.Millisecond); err != nil || len(as) != 0 {
		t.Fatalf("node-001 still assigned: %+v %v", as, err)
	}
	// A zombie commit from the failed attempt is refused.
	_, err = tk.agent.CommitCheckpoint(ctx, structs.CheckpointCommitArgs{ExperimentID: sub.ID, AttemptID: first.ID,
		Step: 99, ManifestHash: hash("m"), BlobHashes: []string{hash("b")}, WorldSize: 1})
	if !errors.Is(err, structs.ErrConflict) {
		t.Fatalf("zombie commit: %v", err)
	}
	if _, err := tk.agent.EndAttempt(ctx, structs.AttemptEndArgs{AttemptID: second.ID, Rank: 0, Status: structs.AttemptSucceeded}); err != nil {
		t.Fatal(err)
	}
	e, err := tk.researcher.Experiment(ctx, sub.ID)
	if err != nil || e.Status != structs.ExperimentSucceeded || e.Restarts != 1 {
		t.Fatalf("experiment after success: %+v %v", e, err)
	}
	// The dead agent comes back: its node is committed up again.
	startBeating(t, tk.agent, "node-001", 50*time.Millisecond)
	testutil.WaitFor(t, 5*time.Second, "node-001 up again", func() (bool, string) {
		n, _ := tk.researcher.Node(ctx, "node-001")
		return n.Status == structs.NodeStatusUp, n.Status
	})
}

// Cancelling ends the running attempt; draining keeps new work off a node.
func TestCancelAndDrain(t *testing.T) {
	servers := testCluster(t, 1, nil)
	tk := bootstrapACL(t, servers...)
	ctx := t.Context()
	registerNode(t, tk.agent, "node-001")
	if _, err := tk.admin.DrainNode(ctx, "node-001", true); err != nil {
		t.Fatal(err)
	}
	sub, err := tk.researcher.SubmitExperiment(ctx, specYAML("drained", 1, 1, 0), "")
	if err != nil {
		t.Fatal(err)
	}
	// Let the leader run several scheduling passes; nothing may be placed.
	idx := servers[0].State().LatestIndex()
	for range 3 {
		servers[0].wakeLeader()
		_, _, _ = tk.researcher.Metrics(ctx, sub.ID, idx, 60*time.Millisecond)
	}
	if atts, _ := tk.researcher.Attempts(ctx, sub.ID); len(atts) != 0 {
		t.Fatalf("placed on a draining node: %+v", atts)
	}
	if _, err := tk.admin.DrainNode(ctx, "node-001", false); err != nil {
		t.Fatal(err)
	}
	att := runningAttempt(t, tk.researcher, sub.ID, "")
	if _, err := tk.researcher.CancelExperiment(ctx, sub.ID); err != nil {
		t.Fatal(err)
	}
	atts, _ := tk.researcher.Attempts(ctx, sub.ID)
	e, _ := tk.researcher.Experiment(ctx, sub.ID)
	if len(atts) != 1 || atts[0].ID != att.ID || atts[0].Status != structs.AttemptCancelled || e.Status != structs.ExperimentCancelled {
		t.Fatalf("after cancel: experiment %s attempts %+v", e.Status, atts)
	}
	if _, err := tk.researcher.CancelExperiment(ctx, sub.ID); !errors.Is(err, structs.ErrConflict) {
		t.Fatalf("second cancel: %v", err)
	}
}
