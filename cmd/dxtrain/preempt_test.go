package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
)

// preemptSpec is the WDBC MLP on two ranks (one per dev agent: the whole cluster) at
// a priority class, long enough to be preempted mid-run.
func preemptSpec(t *testing.T, dir, name, priority string, epochs, ranks int) string {
	t.Helper()
	b, err := os.ReadFile("../../experiments/wdbc-mlp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec := string(b)
	for _, r := range [][2]string{
		{"name: wdbc-mlp", "name: " + name},
		{"epochs: 60", fmt.Sprintf("epochs: %d", epochs)},
		{"workers: {min: 1, max: 1, device: cpu}", fmt.Sprintf("workers: {min: %d, max: %d, device: cpu}\npriority: %s", ranks, ranks, priority)},
		{"onnx: true", "onnx: false"},
	} {
		if !strings.Contains(spec, r[0]) {
			t.Fatalf("wdbc-mlp.yaml has no %q", r[0])
		}
		spec = strings.Replace(spec, r[0], r[1], 1)
	}
	path := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestUrgentRunPreemptsBatchAtACheckpoint is issue 17's bar on a real `dxtrain dev`
// with two agents: a batch run fills the cluster, an urgent run arrives, the batch
// run checkpoints and stops, the urgent run starts within the checkpoint's time
// plus 2 s, and when it ends the batch run resumes from the preemption checkpoint
// and finishes with parameters bit-identical to an uninterrupted run.
func TestUrgentRunPreemptsBatchAtACheckpoint(t *testing.T) {
	c := startDev(t, "--agents", "2")
	c.waitNodes(t, "dev-agent-1", "dev-agent-2")
	api := c.api(t, c.admin)
	dir := t.TempDir()
	const epochs = 800
	batch := strings.TrimSpace(c.must(t, c.admin, "run", preemptSpec(t, dir, "batch-run", "batch", epochs, 2), "--detach"))
	testutil.WaitFor(t, 60*time.Second, "the batch run to train on both agents", func() (bool, string) {
		e, err := api.Experiment(t.Context(), batch)
		if err != nil {
			return false, err.Error()
		}
		return e.Status == structs.ExperimentRunning && e.Progress.Step > 200, fmt.Sprintf("%s step %d", e.Status, e.Progress.Step)
	})

	urgent := strings.TrimSpace(c.must(t, c.admin, "run", preemptSpec(t, dir, "urgent-run", "urgent", 20, 1), "--detach"))
	var stopped structs.Attempt
	testutil.WaitFor(t, 60*time.Second, "the batch run to stop at a checkpoint", func() (bool, string) {
		as, err := api.Attempts(t.Context(), batch)
		if err != nil || len(as) == 0 {
			return false, fmt.Sprint(err)
		}
		stopped = as[0]
		return stopped.Status != structs.AttemptRunning, stopped.Status
	})
	if stopped.Status != structs.AttemptStopped || stopped.Stop == nil || stopped.Stop.Reason != structs.StopPreempt || stopped.Stop.For != urgent {
		t.Fatalf("batch attempt 1 ended %s (%s), stop %+v; want stopped on a preemption for %s", stopped.Status, stopped.EndReason, stopped.Stop, urgent)
	}
	preemptCkpt := checkpointOf(t, api, batch, stopped.ID, stopped.Stop.RequestedAt)

	ua := firstAttempt(t, api, urgent)
	requested := time.Unix(0, stopped.Stop.RequestedAt)
	ckptTime := time.Unix(0, preemptCkpt.CreatedAt).Sub(requested)
	startedAfter := time.Unix(0, ua.CreatedAt).Sub(requested)
	t.Logf("stop requested; preemption checkpoint at step %d committed after %v; urgent run placed after %v",
		preemptCkpt.Step, ckptTime.Round(time.Millisecond), startedAfter.Round(time.Millisecond))
	if startedAfter > ckptTime+2*time.Second {
		t.Errorf("the urgent run started %v after the stop request, more than the checkpoint's %v + 2 s", startedAfter, ckptTime)
	}
	audit, err := api.Audit(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(audit, func(a structs.AuditEntry) bool {
		return a.Action == "attempt_preempt" && a.Target == stopped.ID && strings.Contains(a.Reason, urgent)
	}) {
		t.Errorf("no audit record of the preemption of %s with its reason", stopped.ID)
	}
	if !slices.ContainsFunc(audit, func(a structs.AuditEntry) bool {
		return a.Action == "attempt_place" && a.Target == urgent && strings.HasPrefix(a.Reason, "class urgent, project default")
	}) {
		t.Errorf("no audit record of the urgent run's placement with its reason")
	}

	c.waitSucceeded(t, urgent)
	waitTerminal(t, api, batch, 120*time.Second)
	as, err := api.Attempts(t.Context(), batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 2 || as[1].ResumeFrom != preemptCkpt.ID || as[1].Status != structs.AttemptSucceeded {
		t.Fatalf("batch attempts after the urgent run: %s; want a second that resumes from %s and succeeds", attemptsLine(as), preemptCkpt.ID)
	}

	// The same run, uninterrupted, ends with the same parameters and optimizer state.
	ref := strings.TrimSpace(c.must(t, c.admin, "run", preemptSpec(t, dir, "batch-run", "batch", epochs, 2), "--detach"))

	// Another batch run waits behind it (same class: no preemption), and the queue,
	// the experiment and the project say so.
	waiting := strings.TrimSpace(c.must(t, c.admin, "run", preemptSpec(t, dir, "waiting-run", "batch", 1, 2), "--detach"))
	testutil.WaitFor(t, 30*time.Second, "the queue to list the waiting run", func() (bool, string) {
		out := c.must(t, c.admin, "queue")
		return strings.Contains(out, waiting) && strings.Contains(out, "no capacity"), out
	})
	if out := c.must(t, c.admin, "experiments", "show", waiting); !strings.Contains(out, "queue position 1: no capacity") || !strings.Contains(out, "priority batch") {
		t.Errorf("experiments show of a waiting run:\n%s", out)
	}
	if out := c.must(t, c.admin, "projects", "ls"); !strings.Contains(out, "default") || !strings.Contains(out, "cpu 2/0 (no limit)") {
		t.Errorf("projects ls while the reference run holds both devices:\n%s", out)
	}
	c.must(t, c.admin, "experiments", "cancel", waiting)
	waitTerminal(t, api, ref, 120*time.Second)
	got, want := finalCheckpoint(t, api, batch), finalCheckpoint(t, api, ref)
	if got.Step != want.Step || !slices.Equal(got.BlobHashes, want.BlobHashes) {
		t.Fatalf("preempted run ends at step %d with blobs %v; uninterrupted at step %d with %v", got.Step, got.BlobHashes, want.Step, want.BlobHashes)
	}
}

// waitNodes waits until every named node is registered and up: a gang wider than
// the registered nodes is refused at submission.
func (c *devCluster) waitNodes(t *testing.T, nodes ...string) {
	t.Helper()
	api := c.api(t, c.admin)
	for _, id := range nodes {
		testutil.WaitFor(t, 30*time.Second, "node "+id+" to be up", func() (bool, string) {
			n, err := api.Node(t.Context(), id)
			if err != nil {
				return false, err.Error()
			}
			return n.Status == structs.NodeStatusUp, n.Status
		})
	}
}

func waitTerminal(t *testing.T, api *client.Client, id string, within time.Duration) {
	t.Helper()
	testutil.WaitFor(t, within, "experiment "+id+" to succeed", func() (bool, string) {
		e, err := api.Experiment(t.Context(), id)
		if err != nil {
			return false, err.Error()
		}
		if structs.ExperimentTerminal(e.Status) && e.Status != structs.ExperimentSucceeded {
			t.Fatalf("experiment %s %s: %s", id, e.Status, e.StatusReason)
		}
		return e.Status == structs.ExperimentSucceeded, fmt.Sprintf("%s step %d", e.Status, e.Progress.Step)
	})
}

func firstAttempt(t *testing.T, api *client.Client, id string) structs.Attempt {
	t.Helper()
	var a structs.Attempt
	testutil.WaitFor(t, 30*time.Second, "an attempt of "+id, func() (bool, string) {
		as, err := api.Attempts(t.Context(), id)
		if err != nil || len(as) == 0 {
			return false, fmt.Sprint(err)
		}
		a = as[0]
		return true, ""
	})
	return a
}

// checkpointOf is the attempt's last checkpoint, which it has to have committed
// after the stop request.
func checkpointOf(t *testing.T, api *client.Client, exp, attempt string, after int64) structs.Checkpoint {
	t.Helper()
	cps, err := api.Checkpoints(t.Context(), exp)
	if err != nil {
		t.Fatal(err)
	}
	var last *structs.Checkpoint
	for i, cp := range cps {
		if cp.AttemptID == attempt && (last == nil || cp.Step > last.Step) {
			last = &cps[i]
		}
	}
	if last == nil || last.CreatedAt < after {
		t.Fatalf("attempt %s committed no checkpoint after its stop request (last %+v)", attempt, last)
	}
	return *last
}

func finalCheckpoint(t *testing.T, api *client.Client, exp string) structs.Checkpoint {
	t.Helper()
	cps, err := api.Checkpoints(t.Context(), exp)
	if err != nil || len(cps) == 0 {
		t.Fatalf("checkpoints of %s: %v", exp, err)
	}
	final := cps[0]
	for _, cp := range cps {
		if cp.Step > final.Step {
			final = cp
		}
	}
	return final
}

func attemptsLine(as []structs.Attempt) string {
	var parts []string
	for _, a := range as {
		parts = append(parts, fmt.Sprintf("#%d %s resume %q (%s)", a.Number, a.Status, a.ResumeFrom, a.EndReason))
	}
	return strings.Join(parts, "; ")
}
