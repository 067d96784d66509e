package coordinator

import (
	"errors"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
)

// Killing the leader elects a new one; every committed record survives and writes
// resume through the same client.
func TestLeaderKillKeepsCommittedRecords(t *testing.T) {
	r := startRunning(t, "wdbc", runningSetup{servers: 3, restarts: 1})
	servers, tk, sub, att := r.servers, r.tk, r.sub, r.att
	ctx := t.Context()
	var committed []string
	for step := int64(10); step <= 30; step += 10 {
		c, err := tk.agent.CommitCheckpoint(ctx, structs.CheckpointCommitArgs{ExperimentID: sub.ID, AttemptID: att.ID,
			Step: step, ManifestHash: hash("m"), BlobHashes: []string{hash("b")}, WorldSize: 1})
		if err != nil {
			t.Fatalf("commit step %d: %v", step, err)
		}
		committed = append(committed, c.ID)
	}

	old := WaitForLeader(t, servers...)
	killed := time.Now()
	if err := old.Shutdown(); err != nil {
		t.Fatalf("kill leader: %v", err)
	}
	var live []*Server
	for _, s := range servers {
		if s != old {
			live = append(live, s)
		}
	}
	leader := WaitForLeader(t, live...)
	if leader == old {
		t.Fatal("dead server still leads")
	}
	// The same client (all three addresses) fails over and writes again.
	if _, err := tk.researcher.SubmitExperiment(ctx, specYAML("after-failover", 1, 1, 0), ""); err != nil {
		t.Fatalf("write after failover: %v", err)
	}
	t.Logf("failover: kill → first successful write in %v", time.Since(killed).Round(time.Millisecond))

	got, err := tk.validator.Checkpoints(ctx, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(committed) {
		t.Fatalf("after failover %d checkpoints, committed %d", len(got), len(committed))
	}
	for i, c := range got {
		if c.ID != committed[i] {
			t.Fatalf("checkpoint %d is %s, committed %s", i, c.ID, committed[i])
		}
	}
	latest, err := tk.agent.LatestCheckpoint(ctx, sub.ID)
	if err != nil || latest.ID != committed[2] || latest.Step != 30 {
		t.Fatalf("latest after failover: %+v %v", latest, err)
	}
}

// A write sent only to a follower is forwarded to the leader and committed.
func TestFollowerForwardsWritesAndServesStaleReads(t *testing.T) {
	servers := testCluster(t, 3, nil)
	tk := bootstrapACL(t, servers...)
	leader := WaitForLeader(t, servers...)
	var follower *Server
	for _, s := range servers {
		if s != leader {
			follower = s
			break
		}
	}
	ctx := t.Context()
	viaFollower, err := client.New([]string{follower.HTTPAddr()}, "")
	if err != nil {
		t.Fatal(err)
	}
	res := viaFollower.WithToken(tk.secrets[1]) // researcher
	sub, err := res.SubmitExperiment(ctx, specYAML("fwd", 1, 1, 0), "")
	if err != nil {
		t.Fatalf("submit via follower: %v", err)
	}
	if sub.Index == 0 {
		t.Fatal("forwarded write returned index 0")
	}
	if _, err := leader.State().Experiment(sub.ID); err != nil {
		t.Fatalf("leader does not have the forwarded write: %v", err)
	}
	// A default read through the follower is answered by the leader, so it sees the
	// write at once; a stale read is answered by the follower itself.
	if e, err := res.Experiment(ctx, sub.ID); err != nil || e.Name != "fwd" {
		t.Fatalf("read via follower: %+v %v", e, err)
	}
	testutil.WaitFor(t, 5*time.Second, "the follower to apply the write", func() (bool, string) {
		_, err := follower.State().Experiment(sub.ID)
		return err == nil, "not yet applied"
	})
	if e, err := res.Stale().Experiment(ctx, sub.ID); err != nil || e.ID != sub.ID {
		t.Fatalf("stale read on follower: %+v %v", e, err)
	}
	// Every server answers status itself and names the same leader and its API.
	for _, srv := range servers {
		c, _ := client.New([]string{srv.HTTPAddr()}, tk.secrets[2])
		st, err := c.Status(ctx)
		if err != nil || st.ServerID != srv.ID() || st.LeaderID != leader.ID() || st.LeaderHTTPAddr != leader.HTTPAddr() || len(st.Peers) != 3 || st.LastIndex == 0 {
			t.Fatalf("status from %s: %+v %v", srv.ID(), st, err)
		}
	}
	// A stale read of an unknown experiment is a 404 from the follower, not forwarded.
	if _, err := res.Stale().Experiment(ctx, "nope"); !errors.Is(err, structs.ErrNotFound) {
		t.Fatalf("stale read of unknown experiment: %v", err)
	}
}

// An admin removes a server; the configuration and the member table shrink.
func TestRemovePeer(t *testing.T) {
	servers := testCluster(t, 3, nil)
	tk := bootstrapACL(t, servers...)
	leader := WaitForLeader(t, servers...)
	var victim *Server
	for _, s := range servers {
		if s != leader {
			victim = s
		}
	}
	if _, err := tk.researcher.RemovePeer(t.Context(), victim.ID()); !errors.Is(err, structs.ErrPermissionDenied) {
		t.Fatalf("researcher removed a peer: %v", err)
	}
	if _, err := tk.admin.RemovePeer(t.Context(), "server-9"); !errors.Is(err, structs.ErrNotFound) {
		t.Fatalf("removing an unknown peer: %v", err)
	}
	if _, err := tk.admin.RemovePeer(t.Context(), victim.ID()); err != nil {
		t.Fatal(err)
	}
	peers, err := tk.admin.Peers(t.Context())
	if err != nil || len(peers) != 2 {
		t.Fatalf("peers after removal: %+v %v", peers, err)
	}
	for _, p := range peers {
		if p.ID == victim.ID() {
			t.Fatalf("removed peer still listed: %+v", peers)
		}
	}
	if _, err := leader.State().Member(victim.ID()); !errors.Is(err, structs.ErrNotFound) {
		t.Fatalf("removed server still in the member table: %v", err)
	}
}
