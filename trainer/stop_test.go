package trainer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/datasets/ingest"
	"github.com/dxtrain/dxtrain/internal/testutil"
	"github.com/dxtrain/dxtrain/trainer/runtime/bundle"
)

// This file covers issue 17's worker side: an attempt asked to stop checkpoints the
// step it is at, ends "stopped" naming that checkpoint, and the next attempt resumes
// from it. TestTimeLimitStopsNativeAttemptAtACheckpoint runs it with the real leader.
// The other tests play the leader's side, to control which agent hears of the request
// first: they hand the request to the agents' copies of the attempt, as their
// assignment poll would, and an endGate between the agents and the coordinator
// records how they end the attempt. The coordinator refuses "stopped" for an attempt
// whose committed record carries no request, so the gate forwards rank 0's as "failed" (the attempt is restarted and resumes from the newest committed
// checkpoint, as a preempted one is requeued) and the other ranks' as "succeeded"
// (which the coordinator, like "stopped", only counts: the attempt ends with rank 0).

// endGate is a loopback reverse proxy in front of the coordinator that records every
// attempt end the agents send and forwards "stopped" as the coordinator will treat it
// once it has committed the request: rank 0's ends the attempt, others' only count.
// It holds rank 0's "stopped" back until every rank's end is in (for at most 30 s), so
// that the coordinator ending the attempt cannot cancel another agent before it has
// reported: in a real cluster that agent's end would not count, here it is checked.
type endGate struct {
	addr  string
	world int

	mu   sync.Mutex
	ends []structs.AttemptEndArgs
}

func startEndGate(t *testing.T, target string, world int) *endGate {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &endGate{addr: "http://" + ln.Addr().String(), world: world}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.ErrorLog = log.New(t.Output(), "end gate: ", 0) // agents cancelling long polls at the end
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/agent/attempt-end" {
			proxy.ServeHTTP(w, r)
			return
		}
		var end structs.AttemptEndArgs
		if err := json.NewDecoder(r.Body).Decode(&end); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		g.mu.Lock()
		g.ends = append(g.ends, end)
		g.mu.Unlock()
		switch {
		case end.Status != structs.AttemptStopped:
		case end.Rank == 0:
			for wait := time.Now().Add(30 * time.Second); len(g.endsOf(end.AttemptID)) < g.world && time.Now().Before(wait); {
				time.Sleep(10 * time.Millisecond)
			}
			end.Status = structs.AttemptFailed
		default:
			end.Status = structs.AttemptSucceeded
		}
		body, _ := json.Marshal(end)
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		proxy.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return g
}

// endsOf returns the ends recorded for the attempt, by rank.
func (g *endGate) endsOf(attemptID string) map[int]structs.AttemptEndArgs {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[int]structs.AttemptEndArgs{}
	for _, e := range g.ends {
		if e.AttemptID == attemptID {
			out[e.Rank] = e
		}
	}
	return out
}

// startHeldAgent runs a CPU worker agent that reaches the coordinator at apiAddr and
// returns it, so the test can reach its running attempts.
func (c *testCluster) startHeldAgent(t *testing.T, nodeID, apiAddr string, python string) *Agent {
	t.Helper()
	api, err := client.New([]string{apiAddr}, c.agentToken)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testAgentConfig(t, nodeID, api, c.store, cpuCollector(t))
	if python != "" {
		cfg.Python = python
	}
	a, err := NewAgent(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("agent %s stopped: %v", nodeID, err)
		}
	})
	return a
}

// waitNodes waits until n nodes are registered: the leader refuses an experiment the
// registered nodes could never host.
func (c *testCluster) waitNodes(t *testing.T, n int) {
	t.Helper()
	testutil.WaitFor(t, 20*time.Second, fmt.Sprintf("%d registered nodes", n), func() (bool, string) {
		nodes, err := c.admin.Nodes(t.Context())
		return err == nil && len(nodes) >= n, fmt.Sprint(len(nodes), err)
	})
}

// requestStop hands the leader's stop request to the agent's copy of a running
// attempt, as its assignment poll would once the request is committed.
func requestStop(t *testing.T, a *Agent, attemptID string, stop structs.StopRequest) {
	t.Helper()
	a.mu.Lock()
	r, ok := a.running[attemptID]
	a.mu.Unlock()
	if !ok {
		t.Fatalf("agent %s does not run attempt %s", a.cfg.NodeID, attemptID)
	}
	att, _ := r.updates.latest()
	att.Stop = &stop
	att.ModifyIndex += 1 << 40 // newer than anything the poll brings
	r.updates.set(att)
}

// agentOf returns the agent that runs the attempt's rank.
func agentOf(t *testing.T, att structs.Attempt, rank int, agents ...*Agent) *Agent {
	t.Helper()
	for _, r := range att.Ranks {
		for _, a := range agents {
			if r.Rank == rank && r.NodeID == a.cfg.NodeID {
				return a
			}
		}
	}
	t.Fatalf("no agent runs rank %d of %+v", rank, att.Ranks)
	return nil
}

// stopAndResume asks a running two-rank attempt to stop: rank 1's agent first, rank
// 0's 300 ms later (an agent whose poll lags, while the ranks agree among themselves).
// Both ranks must end "stopped" at the same step, naming the request; the newest
// checkpoint of the attempt must be at that step; the next attempt must resume from
// it. It returns the checkpoint.
func stopAndResume(t *testing.T, c *testCluster, gate *endGate, expID string, first structs.Attempt, agents ...*Agent) structs.Checkpoint {
	t.Helper()
	stop := structs.StopRequest{Reason: structs.StopPreempt, Detail: "for experiment exp-urgent (urgent over batch)",
		For: "exp-urgent", RequestedAt: time.Now().UnixNano(), Deadline: time.Now().Add(time.Minute).UnixNano()}
	requestStop(t, agentOf(t, first, 1, agents...), first.ID, stop)
	time.Sleep(300 * time.Millisecond)
	requestStop(t, agentOf(t, first, 0, agents...), first.ID, stop)
	var ends map[int]structs.AttemptEndArgs
	testutil.WaitFor(t, 60*time.Second, "both ranks to end the attempt", func() (bool, string) {
		ends = gate.endsOf(first.ID)
		return len(ends) == 2, fmt.Sprintf("%d ends: %+v", len(ends), ends)
	})
	var cp structs.Checkpoint
	for _, c := range c.checkpoints(t, expID) {
		if c.AttemptID == first.ID && c.Step > cp.Step {
			cp = c
		}
	}
	want := fmt.Sprintf("checkpointed at step %d on request: %s", cp.Step, stop.Detail)
	for r, e := range ends {
		if e.Status != structs.AttemptStopped || e.Reason != want {
			t.Errorf("rank %d ended %s %q, want stopped %q", r, e.Status, e.Reason, want)
		}
	}
	var second structs.Attempt
	testutil.WaitFor(t, 60*time.Second, "a second attempt", func() (bool, string) {
		as := c.attempts(t, expID)
		if len(as) < 2 || as[1].ResumedFrom == "" {
			return false, fmt.Sprintf("%d attempts", len(as))
		}
		second = as[1]
		return true, ""
	})
	if second.ResumedFrom != cp.ID {
		t.Fatalf("attempt 2 resumed from %q, want the stop's checkpoint %s at step %d", second.ResumedFrom, cp.ID, cp.Step)
	}
	return cp
}

// TestStopRequestEndsNativeAttemptStopped: a two-rank native attempt on two agents is
// asked to stop. The ranks agree in the gradient all-reduce and stop after the same
// step, off the checkpoint cadence; rank 0 commits that step; both agents end the
// attempt "stopped" naming it; the restarted attempt resumes there and finishes.
func TestStopRequestEndsNativeAttemptStopped(t *testing.T) {
	c := startCluster(t, 3*time.Second)
	gate := startEndGate(t, c.addr, 2)
	a := c.startHeldAgent(t, "node-a", gate.addr, "")
	b := c.startHeldAgent(t, "node-b", gate.addr, "")
	c.waitNodes(t, 2)
	const every = 1000
	id := c.submit(t, "epochs: 60", "epochs: 600", "every_steps: 50", fmt.Sprintf("every_steps: %d", every),
		"workers: {min: 1, max: 1, device: cpu}", "workers: {min: 2, max: 2, device: cpu}")
	var first structs.Attempt
	testutil.WaitFor(t, 30*time.Second, "attempt 1 past step 100", func() (bool, string) {
		e, err := c.admin.Experiment(t.Context(), id)
		if err != nil {
			return false, err.Error()
		}
		as := c.attempts(t, id)
		if len(as) == 0 {
			return false, "no attempt"
		}
		first = as[0]
		return e.Progress.Step >= 100, fmt.Sprintf("step %d", e.Progress.Step)
	})
	cp := stopAndResume(t, c, gate, id, first, a, b)
	if cp.Step%every == 0 {
		t.Fatalf("the stop's checkpoint is at step %d, on the cadence: the test shows nothing", cp.Step)
	}
	// 7,800 two-rank steps: about 70 s under the race detector on a busy 2-core machine.
	c.waitSucceeded(t, id, 3*time.Minute)
}

// stopScript trains nothing real but is checkable: w accumulates an all-reduced
// gradient, so the final w[0] is a function of the step count alone, whatever the
// interruptions. It checkpoints every 100 steps and at the end, and honours stop
// requests as python/dxtrain's docs recommend.
const stopScript = `import sys, time
import torch
import torch.distributed as dist
import dxtrain

ctx = dxtrain.init()
dist.init_process_group("gloo", rank=ctx.rank, world_size=ctx.world_size)
total = int(sys.argv[1])
w, step = torch.zeros(4, dtype=torch.float64), 0
r = ctx.resume()
if r is not None:
    state = r.load()
    w, step = state["w"], state["step"]
    print("resumed at step", step, flush=True)
while step < total:
    g = torch.full((4,), float(ctx.rank + 1), dtype=torch.float64) * (step + 1)
    dist.all_reduce(g)
    w += g
    step += 1
    time.sleep(0.01)
    if step % 10 == 0:
        ctx.report(step, w0=float(w[0]))
    if step < total and ctx.should_stop():
        ctx.checkpoint(step, {"w": w, "step": step}, w0=float(w[0]))
        ctx.stopped(step)
        print("stopped at step", step, ctx.stop_request, flush=True)
        break
    if step % 100 == 0 and step < total:
        ctx.checkpoint(step, {"w": w, "step": step}, w0=float(w[0]))
else:
    ctx.checkpoint(total, {"w": w, "step": total}, w0=float(w[0]))
dist.barrier()
dist.destroy_process_group()
`

// TestTorchStopRequestCheckpointsAndResumes: a runtime: torch attempt of two ranks on
// two agents (gloo on the CPU, Debian's torch) is asked to stop mid-run. Rank 1 hears
// of it first; the ranks agree in should_stop(); rank 0 checkpoints the step, both say
// stopped and exit; both agents end the attempt "stopped" naming the checkpoint; the
// restarted attempt resumes from it and finishes with the state an uninterrupted run
// would have.
func TestTorchStopRequestCheckpointsAndResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Python processes; skipped under -short")
	}
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Fatal("/usr/bin/python3 is missing: make test installs Debian's python3-numpy and python3-torch")
	}
	c := startCluster(t, 3*time.Second)
	gate := startEndGate(t, c.addr, 2)
	a := c.startHeldAgent(t, "node-a", gate.addr, "/usr/bin/python3")
	b := c.startHeldAgent(t, "node-b", gate.addr, "/usr/bin/python3")
	c.waitNodes(t, 2)
	if _, err := ingest.Ingest(t.Context(), ingest.Config{SpecPath: "../datasets/specs/wdbc-ingest.yaml",
		Store: c.store, Registrar: ClusterRegistrar(c.admin), Seed: 42}); err != nil {
		t.Fatal(err)
	}
	code := t.TempDir()
	if err := os.WriteFile(filepath.Join(code, "stop.py"), []byte(stopScript), 0o644); err != nil {
		t.Fatal(err)
	}
	data, sha, err := bundle.Pack(code, bundle.DefaultMaxBytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Upload(t.Context(), c.store, data); err != nil {
		t.Fatal(err)
	}
	const total = 400
	spec := fmt.Sprintf("name: torch-stop\nruntime: torch\ncode: {path: code, entrypoint: stop.py, args: [\"%d\"]}\n"+
		"dataset: {id: wdbc}\nworkers: {min: 2, max: 2, device: cpu}\nmax_restarts: 2\nsilence_timeout: 30s\n", total)
	sub, err := c.admin.SubmitExperiment(t.Context(), []byte(spec), sha)
	if err != nil {
		t.Fatal(err)
	}
	var first structs.Attempt
	testutil.WaitFor(t, 60*time.Second, "attempt 1 past step 50", func() (bool, string) {
		e, err := c.admin.Experiment(t.Context(), sub.ID)
		if err != nil {
			return false, err.Error()
		}
		as := c.attempts(t, sub.ID)
		if len(as) == 0 {
			return false, "no attempt"
		}
		first = as[0]
		return e.Progress.Step >= 50, fmt.Sprintf("step %d", e.Progress.Step)
	})
	cp := stopAndResume(t, c, gate, sub.ID, first, a, b)
	if cp.Step%100 == 0 || cp.Step >= total {
		t.Fatalf("the stop's checkpoint is at step %d, on the cadence or at the end: the test shows nothing", cp.Step)
	}
	c.waitSucceeded(t, sub.ID, 90*time.Second)
	cps := c.checkpoints(t, sub.ID)
	last := cps[len(cps)-1]
	want := 3.0 * total * (total + 1) / 2 // Σ (1 + 2)·s over s = 1…total
	if last.Step != total || last.Metrics["w0"] != want || last.AttemptID == first.ID {
		t.Fatalf("final checkpoint step %d w0 %v by attempt %s, want step %d w0 %v by attempt 2", last.Step, last.Metrics["w0"], last.AttemptID, total, want)
	}
}

// TestTimeLimitStopsNativeAttemptAtACheckpoint is the whole path with the real leader:
// an experiment with a time limit of 2 s that would train for much longer is asked
// to stop by the leader; its agent checkpoints the step it is at, off the cadence,
// and ends the attempt stopped well before the request's deadline; the experiment
// ends timed_out with that checkpoint as its newest.
func TestTimeLimitStopsNativeAttemptAtACheckpoint(t *testing.T) {
	c := startCluster(t, 3*time.Second)
	c.startAgent(t, "node-a", c.addr, cpuCollector(t))
	c.waitNodes(t, 1)
	const every = 100000
	id := c.submit(t, "epochs: 60", "epochs: 100000", "every_steps: 50", fmt.Sprintf("every_steps: %d", every),
		"max_restarts: 3", "max_restarts: 3\ntime_limit: 2s")
	var e *structs.Experiment
	testutil.WaitFor(t, 20*time.Second, "the experiment to end", func() (bool, string) {
		var err error
		if e, err = c.admin.Experiment(t.Context(), id); err != nil {
			return false, err.Error()
		}
		msg := fmt.Sprintf("%s at step %d", e.Status, e.Progress.Step)
		if as := c.attempts(t, id); len(as) > 0 { // a refused end leaves it running, asked to stop
			msg += fmt.Sprintf("; attempt %s %q, stop %+v", as[0].Status, as[0].EndReason, as[0].Stop)
		}
		return structs.ExperimentTerminal(e.Status), msg
	})
	as := c.attempts(t, id)
	cps := c.checkpoints(t, id)
	if len(as) != 1 || len(cps) == 0 {
		t.Fatalf("%d attempts and %d checkpoints, want one attempt and its stop's checkpoint", len(as), len(cps))
	}
	att, last := as[0], cps[len(cps)-1]
	want := fmt.Sprintf("checkpointed at step %d on request: ", last.Step)
	if e.Status != structs.ExperimentTimedOut || att.Status != structs.AttemptStopped || !strings.HasPrefix(att.EndReason, want) ||
		att.Stop == nil || att.Stop.Reason != structs.StopTimeLimit || last.AttemptID != att.ID || last.Step%every == 0 {
		t.Fatalf("experiment %s (%s); attempt %s %q, stop %+v; newest checkpoint step %d by %s\nwant timed_out, the attempt stopped %q…, the checkpoint off the cadence",
			e.Status, e.StatusReason, att.Status, att.EndReason, att.Stop, last.Step, last.AttemptID, want)
	}
	if took := time.Duration(att.EndedAt - att.Stop.RequestedAt); took > 10*time.Second {
		t.Fatalf("the attempt ended %v after the stop request", took)
	}
	t.Logf("stopped %v after the request: %s", time.Duration(att.EndedAt-att.Stop.RequestedAt).Round(time.Millisecond), att.EndReason)
}
