package integration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
)

// A server that was stopped or killed while the leader kept committing checkpoints
// never answers a decision's read ("latest checkpoint", the checkpoint list an agent
// resumes from) with its own stale state: the answer is an error or the truth. Reads
// are sent while the server is stopped and answered the moment it continues, when
// its own state is at its most stale. The checkpoints are committed over the agent
// API by the test itself (a registered node that heartbeats), so the true latest is
// known exactly.
func TestStoppedServerServesNoStaleCheckpoint(t *testing.T) {
	needProcesses(t)
	c := newCluster(t, 3, clusterOptions{})
	c.heartbeatNode("node-sim")
	id := c.submit(wdbcSpec(t, trainingEpochs, 20))
	att := c.runningAttempt(id, 1, 20*time.Second)
	step := int64(0)
	commit := func(t *testing.T, via *client.Client) structs.Checkpoint {
		t.Helper()
		step += 10
		args := structs.CheckpointCommitArgs{ExperimentID: id, AttemptID: att.ID, Step: step, WorldSize: 1,
			ManifestHash: sha256Hex(fmt.Sprint("manifest", step)), BlobHashes: []string{sha256Hex(fmt.Sprint("blob", step))}}
		r, err := via.CommitCheckpoint(t.Context(), args)
		if err != nil {
			t.Fatalf("commit step %d: %v", step, err)
		}
		return structs.Checkpoint{ID: r.ID, Step: step}
	}
	leader := c.leader(10 * time.Second)
	commit(t, leader.client(c.agentToken))
	c.waitCaughtUp(10 * time.Second)

	t.Run("paused follower", func(t *testing.T) {
		c := c.in(t)
		leader := c.leader(10 * time.Second)
		f := c.follower(leader)
		f.pause()
		var truth structs.Checkpoint
		for range 3 {
			truth = commit(t, leader.client(c.agentToken)) // the leader keeps committing without it
		}
		c.checkNoStaleAnswer(t, f, id, truth, f.resume)
	})
	t.Run("killed follower", func(t *testing.T) {
		c := c.in(t)
		leader := c.leader(10 * time.Second)
		f := c.follower(leader)
		f.kill()
		var truth structs.Checkpoint
		for range 3 {
			truth = commit(t, leader.client(c.agentToken))
		}
		c.checkNoStaleAnswer(t, f, id, truth, f.start)
		c.waitCaughtUp(20 * time.Second)
	})
	t.Run("paused leader", func(t *testing.T) {
		c := c.in(t)
		old := c.leader(10 * time.Second)
		old.pause()
		leader := c.leader(20 * time.Second) // the other two elect one of themselves
		if leader == old {
			t.Fatalf("the stopped %s still leads", old.id)
		}
		var truth structs.Checkpoint
		for range 3 {
			truth = commit(t, leader.client(c.agentToken))
		}
		c.checkNoStaleAnswer(t, old, id, truth, old.resume)
	})
}

// checkNoStaleAnswer sends reads to s while it is stopped or dead and waits until each
// has reached it (was written to its socket, or found nothing listening), then calls
// release (resume or start); a read that finds no listener is sent again until s
// listens. Every answer must be an error or name truth as the latest checkpoint, and
// s must have answered at least one of them (with the truth or a refusal): reads that
// all fail in transport check nothing. A stale (?stale=true) read is sent alongside to
// show how old s's own state is.
func (c *cluster) checkNoStaleAnswer(t *testing.T, s *server, expID string, truth structs.Checkpoint, release func()) {
	t.Helper()
	api, err := client.New([]string{s.httpAddr}, c.agentToken, client.WithRetryFor(0),
		client.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}), c.pki.agentOption("stale-reader"))
	if err != nil {
		t.Fatal(err)
	}
	type answer struct {
		what string
		step int64
		id   string
		err  error
	}
	var (
		mu      sync.Mutex
		answers []answer
		wg      sync.WaitGroup
		asked   int
		reached atomic.Int32 // reads written to s's socket, or refused for want of a listener
	)
	ask := func(what string, read func(context.Context) (string, int64, error)) {
		asked++
		wg.Add(1)
		go func() {
			defer wg.Done()
			var once sync.Once
			arrived := func() { once.Do(func() { reached.Add(1) }) }
			ctx := httptrace.WithClientTrace(t.Context(), &httptrace.ClientTrace{
				// Over TLS a stopped server cannot finish the handshake: a connection
				// in its accept queue is as far as a read can get.
				ConnectDone: func(_, _ string, err error) {
					if err == nil {
						arrived()
					}
				},
				WroteRequest: func(w httptrace.WroteRequestInfo) {
					if w.Err == nil {
						arrived()
					}
				},
			})
			deadline := time.Now().Add(20 * time.Second)
			id, step, err := read(ctx)
			for refused(err) && time.Now().Before(deadline) {
				arrived()
				time.Sleep(5 * time.Millisecond) // the retry interval while nothing listens
				id, step, err = read(ctx)
			}
			mu.Lock()
			answers = append(answers, answer{what, step, id, err})
			mu.Unlock()
		}()
	}
	latest := func(api *client.Client) func(context.Context) (string, int64, error) {
		return func(ctx context.Context) (string, int64, error) {
			cp, err := api.LatestCheckpoint(ctx, expID)
			if err != nil {
				return "", 0, err
			}
			return cp.ID, cp.Step, nil
		}
	}
	list := func(api *client.Client) func(context.Context) (string, int64, error) {
		return func(ctx context.Context) (string, int64, error) {
			cps, err := api.Checkpoints(ctx, expID)
			if err != nil || len(cps) == 0 {
				return "", 0, err
			}
			last := cps[0]
			for _, cp := range cps {
				if cp.Step > last.Step {
					last = cp
				}
			}
			return last.ID, last.Step, nil
		}
	}
	for range 3 {
		ask("latest", latest(api))
		ask("list", list(api))
	}
	ask("stale latest", latest(api.Stale()))
	testutil.WaitFor(t, 10*time.Second, fmt.Sprintf("the %d reads to reach the stopped %s", asked, s.id), func() (bool, string) {
		n := int(reached.Load())
		return n == asked, fmt.Sprintf("%d of %d", n, asked)
	})
	release()
	wg.Wait()

	good, answered := 0, 0
	for _, a := range answers {
		var apiErr *client.APIError
		if a.what != "stale latest" && (a.err == nil || errors.As(a.err, &apiErr)) {
			answered++ // s answered it: with a checkpoint, or an HTTP refusal
		}
		switch {
		case a.what == "stale latest":
			t.Logf("%s's own (stale) view: latest step %d, err %v; the truth is step %d", s.id, a.step, a.err, truth.Step)
		case a.err != nil:
			t.Logf("%s read from %s refused: %v", a.what, s.id, a.err)
		case a.id != truth.ID:
			t.Errorf("%s read from %s answered step %d (%s), the latest committed is step %d (%s)", a.what, s.id, a.step, a.id, truth.Step, truth.ID)
		default:
			good++
		}
	}
	if answered == 0 {
		t.Errorf("%s answered none of the %d decision reads sent while it was down (every one failed in transport): nothing was checked", s.id, len(answers)-1)
	}
	// Once it is back, it answers with the truth.
	testutil.WaitFor(t, 20*time.Second, s.id+" to answer the latest checkpoint", func() (bool, string) {
		id, step, err := latest(api)(t.Context())
		if err != nil {
			return false, err.Error()
		}
		if id != truth.ID {
			t.Errorf("latest from %s: step %d, want step %d", s.id, step, truth.Step)
		}
		return true, ""
	})
	t.Logf("%d of %d decision reads sent while %s was down answered (the rest were refused); none stale", good, len(answers)-1, s.id)
}

// heartbeatNode registers a CPU node over the agent API and heartbeats it until the
// test ends, so the scheduler places attempts on it without an agent running them.
func (c *cluster) heartbeatNode(nodeID string) {
	c.t.Helper()
	_, err := c.agentAPI.RegisterNode(c.t.Context(), structs.NodeRegisterArgs{ID: nodeID, Name: nodeID, Address: freePort(c.t),
		Devices: []structs.Device{{ID: "cpu0", Kind: "cpu", Name: "cpu", Health: structs.DeviceHealthy}}})
	if err != nil {
		c.t.Fatalf("register node %s: %v", nodeID, err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				_, _ = c.agentAPI.Heartbeat(c.t.Context(), nodeID) // a missed beat is retried next tick
			}
		}
	}()
	c.t.Cleanup(func() { close(done); wg.Wait() })
}

// follower returns a running server other than leader.
func (c *cluster) follower(leader *server) *server {
	c.t.Helper()
	for _, s := range c.live() {
		if s != leader {
			return s
		}
	}
	c.t.Fatal("no running follower")
	return nil
}

// refused reports whether a request found no server listening.
func refused(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
