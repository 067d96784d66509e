package coordinator

import (
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/internal/testutil"
)

// A server on disk (BoltDB log, file snapshots) that is stopped misses writes, then
// restarts from its data dir — restoring its own snapshot and replaying its log —
// and catches up with the cluster.
func TestRestartedServerCatchesUp(t *testing.T) {
	dirs := map[string]string{}
	servers := testCluster(t, 3, func(c *Config) {
		c.InMemory = false
		c.DataDir = t.TempDir()
		dirs[c.NodeID] = c.DataDir
	})
	tk := bootstrapACL(t, servers...)
	ctx := t.Context()
	before, err := tk.researcher.SubmitExperiment(ctx, specYAML("before", 1, 1, 0), "")
	if err != nil {
		t.Fatal(err)
	}
	leader := WaitForLeader(t, servers...)
	var f *Server
	for _, s := range servers {
		if s != leader {
			f = s
		}
	}
	testutil.WaitFor(t, 5*time.Second, "the follower to apply the first write", func() (bool, string) {
		_, err := f.State().Experiment(before.ID)
		return err == nil, "not yet"
	})
	if err := f.Raft().Snapshot().Error(); err != nil {
		t.Fatalf("snapshot on follower: %v", err)
	}
	cfg := f.cfg
	cfg.RaftAddr = f.RaftAddr() // come back at the same Raft address
	if err := f.Shutdown(); err != nil {
		t.Fatal(err)
	}
	missed, err := tk.researcher.SubmitExperiment(ctx, specYAML("missed", 1, 1, 0), "")
	if err != nil {
		t.Fatalf("write with one server down: %v", err)
	}
	if cfg.NodeID != "server-1" {
		cfg.Join = []string{leader.HTTPAddr()}
	}
	back := startServer(t, cfg)
	testutil.WaitFor(t, 10*time.Second, "the restarted server to catch up", func() (bool, string) {
		for _, id := range []string{before.ID, missed.ID} {
			if _, err := back.State().Experiment(id); err != nil {
				return false, err.Error()
			}
		}
		return true, ""
	})
	// It comes back on a new HTTP port; the cluster learns it.
	testutil.WaitFor(t, 10*time.Second, "the new http address to be replicated", func() (bool, string) {
		m, err := leader.State().Member(back.ID())
		if err != nil {
			return false, err.Error()
		}
		return m.HTTPAddr == back.HTTPAddr(), m.HTTPAddr
	})
	if tokens := back.State().Tokens(); len(tokens) != 5 {
		t.Fatalf("restarted server has %d tokens, want 5", len(tokens))
	}
}
