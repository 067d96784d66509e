package coordinator

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
)

// ledgerInput is one operation on an experiment's checkpoint ledger.
type ledgerInput struct {
	commit bool
	step   int64 // commit: the step committed
}

// ledgerOutput is what the client saw.
type ledgerOutput struct {
	unknown bool  // commit whose outcome is unknown (timeout, lost leader)
	latest  int64 // read: the latest step (0 = no checkpoint)
}

// ledgerModel: the state is the highest committed step; "latest" must return it.
var ledgerModel = porcupine.Model{
	Init: func() any { return int64(0) },
	Step: func(state, input, output any) (bool, any) {
		st, in, out := state.(int64), input.(ledgerInput), output.(ledgerOutput)
		if in.commit {
			return true, max(st, in.step)
		}
		return out.latest == st, st
	},
}

// A history of ledger commits and "latest" reads, recorded while the leader is killed
// and restarted repeatedly, is linearizable.
func TestLedgerLinearizableAcrossLeaderKills(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts leaders for several seconds; skipped with -short")
	}
	r := startRunning(t, "lin", runningSetup{servers: 3, tweak: func(c *Config) {
		c.InMemory = false
		c.DataDir = t.TempDir()
	}, beat: true})
	servers, tk, sub, att := r.servers, r.tk, r.sub, r.att
	ctx := t.Context()

	var (
		mu      sync.Mutex
		ops     []porcupine.Operation
		nextStp atomic.Int64
		stop    = make(chan struct{})
		wg      sync.WaitGroup
		origin  = time.Now()
	)
	now := func() int64 { return int64(time.Since(origin)) }
	record := func(op porcupine.Operation) {
		mu.Lock()
		ops = append(ops, op)
		mu.Unlock()
	}
	agentSecret := tk.secrets[4]
	worker := func(id int, commit bool) {
		defer wg.Done()
		c, _ := client.New(addrs(servers...), agentSecret, client.WithRetryFor(3*time.Second))
		for {
			select {
			case <-stop:
				return
			default:
			}
			call := now()
			if commit {
				step := nextStp.Add(1)
				_, err := c.CommitCheckpoint(ctx, structs.CheckpointCommitArgs{ExperimentID: sub.ID, AttemptID: att.ID,
					Step: step, ManifestHash: hash("m"), BlobHashes: []string{hash("b")}, WorldSize: 1})
				in := ledgerInput{commit: true, step: step}
				switch {
				case err == nil:
					record(porcupine.Operation{ClientId: id, Input: in, Call: call, Output: ledgerOutput{}, Return: now()})
				case errors.Is(err, structs.ErrInvalid), errors.Is(err, structs.ErrConflict), errors.Is(err, structs.ErrNotFound):
					// Refused before or at apply: no effect.
				default:
					// It may or may not have been applied: it may take effect any time after its call.
					record(porcupine.Operation{ClientId: id, Input: in, Call: call, Output: ledgerOutput{unknown: true}, Return: math.MaxInt64})
				}
				continue
			}
			cp, err := c.LatestCheckpoint(ctx, sub.ID)
			ret := now()
			switch {
			case err == nil:
				record(porcupine.Operation{ClientId: id, Input: ledgerInput{}, Call: call, Output: ledgerOutput{latest: cp.Step}, Return: ret})
			case errors.Is(err, structs.ErrNotFound):
				record(porcupine.Operation{ClientId: id, Input: ledgerInput{}, Call: call, Output: ledgerOutput{latest: 0}, Return: ret})
			}
		}
	}
	for i := range 4 {
		wg.Add(1)
		go worker(i, i%2 == 0)
	}

	opCounts := func() (commits, reads int) {
		mu.Lock()
		defer mu.Unlock()
		for _, op := range ops {
			if op.Input.(ledgerInput).commit {
				commits++
			} else {
				reads++
			}
		}
		return commits, reads
	}
	// trafficFlows waits until more commits and more reads complete under the current
	// leader: counting both, not operations in all, keeps a loaded machine (where reads
	// outpace commits) from ending the run with too few commits to check.
	trafficFlows := func() {
		baseCommits, baseReads := opCounts()
		testutil.WaitFor(t, 20*time.Second, "commits and reads under the current leader", func() (bool, string) {
			c, r := opCounts()
			return c >= baseCommits+5 && r >= baseReads+20, fmt.Sprintf("%d commits, %d reads since the last kill", c-baseCommits, r-baseReads)
		})
	}
	live := append([]*Server(nil), servers...)
	for kill := range 3 {
		trafficFlows()
		leader := WaitForLeader(t, live...)
		cfg := leader.cfg
		// Servers have fixed addresses; the clients know only these.
		cfg.RaftAddr, cfg.HTTPAddr = leader.RaftAddr(), leader.HTTPAddr()
		if err := leader.Shutdown(); err != nil {
			t.Fatalf("kill %d: %v", kill, err)
		}
		var rest []*Server
		for _, s := range live {
			if s != leader {
				rest = append(rest, s)
			}
		}
		newLeader := WaitForLeader(t, rest...)
		if cfg.NodeID != "server-1" || !cfg.Bootstrap {
			cfg.Join = []string{newLeader.HTTPAddr()}
		}
		back := startServer(t, cfg)
		live = append(rest, back)
		testutil.WaitFor(t, 10*time.Second, "the restarted server to catch up", func() (bool, string) {
			return back.Raft().AppliedIndex() >= newLeader.Raft().CommitIndex(), "behind"
		})
	}
	trafficFlows()
	close(stop)
	wg.Wait()

	commits, reads := 0, 0
	for _, op := range ops {
		if op.Input.(ledgerInput).commit {
			commits++
		} else {
			reads++
		}
	}
	if commits < 10 || reads < 10 {
		t.Fatalf("history too small to mean anything: %d commits, %d reads", commits, reads)
	}
	res, _ := porcupine.CheckOperationsVerbose(ledgerModel, ops, 30*time.Second)
	if res != porcupine.Ok {
		t.Fatalf("ledger history of %d commits and %d reads is not linearizable (%s)", commits, reads, res)
	}
	t.Logf("linearizable: %d commits, %d latest reads across 3 leader kills", commits, reads)
}

// The model is not vacuous: a read that misses an acknowledged commit is refused.
func TestLedgerModelRejectsStaleRead(t *testing.T) {
	ops := []porcupine.Operation{
		{ClientId: 0, Input: ledgerInput{commit: true, step: 5}, Call: 0, Output: ledgerOutput{}, Return: 10},
		{ClientId: 1, Input: ledgerInput{}, Call: 20, Output: ledgerOutput{latest: 0}, Return: 30},
	}
	if porcupine.CheckOperations(ledgerModel, ops) {
		t.Fatal("a stale read after an acknowledged commit was accepted")
	}
	ops[1].Output = ledgerOutput{latest: 5}
	if !porcupine.CheckOperations(ledgerModel, ops) {
		t.Fatal("a correct history was refused")
	}
}
