package state

import (
	"errors"
	"testing"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/experiments"
)

// fixture builds a store with two up nodes and one pending experiment allowing
// maxRestarts restarts; it returns the next free index.
func fixture(t *testing.T, maxRestarts int) (*Store, uint64) {
	t.Helper()
	s := New()
	for i, id := range []string{"n1", "n2"} {
		req := &structs.NodeRegisterRequest{Node: structs.Node{ID: id, Address: id + ":7000",
			Devices: []structs.Device{{ID: "cpu0", Kind: "cpu", Health: structs.DeviceHealthy}}}}
		if err := s.UpsertNode(uint64(i+1), req); err != nil {
			t.Fatal(err)
		}
	}
	sub := &structs.ExperimentSubmitRequest{Experiment: structs.Experiment{ID: "e1", Name: "wdbc",
		Spec: experiments.Spec{Name: "wdbc", MaxRestarts: maxRestarts}}}
	if err := s.SubmitExperiment(3, sub); err != nil {
		t.Fatal(err)
	}
	return s, 4
}

func mustCreateAttempt(t *testing.T, s *Store, idx uint64, id string, nodes ...string) {
	t.Helper()
	a := structs.Attempt{ID: id, ExperimentID: "e1"}
	for i, n := range nodes {
		a.Ranks = append(a.Ranks, structs.Rank{Rank: i, NodeID: n, Address: n + ":7000"})
	}
	if err := s.CreateAttempt(idx, &structs.AttemptCreateRequest{Attempt: a}); err != nil {
		t.Fatalf("create attempt %s: %v", id, err)
	}
}

func commitCkpt(s *Store, idx uint64, id, attempt string, step int64) error {
	return s.CommitCheckpoint(idx, &structs.CheckpointCommitRequest{Checkpoint: structs.Checkpoint{
		ID: id, ExperimentID: "e1", AttemptID: attempt, Step: step, ManifestHash: "m" + id, WorldSize: 2}})
}

func TestNodeDownFailsAttemptAndRestartsFromLatest(t *testing.T) {
	s, idx := fixture(t, 1)
	mustCreateAttempt(t, s, idx, "a1", "n1", "n2")
	for i, step := range []int64{10, 30, 20} {
		if err := commitCkpt(s, idx+1+uint64(i), []string{"c10", "c30", "c20"}[i], "a1", step); err != nil {
			t.Fatal(err)
		}
	}
	idx += 4
	if err := s.UpdateNodeStatus(idx, &structs.NodeStatusRequest{NodeID: "n2", Status: structs.NodeStatusDown, Reason: "heartbeat lost"}); err != nil {
		t.Fatal(err)
	}
	a, _ := s.Attempt("a1")
	if a.Status != structs.AttemptFailed || a.EndReason == "" {
		t.Fatalf("attempt after node down: %+v", a)
	}
	e, _ := s.Experiment("e1")
	if e.Status != structs.ExperimentPending || e.Restarts != 1 {
		t.Fatalf("experiment after first failure: status %s restarts %d", e.Status, e.Restarts)
	}
	// A zombie rank of the failed attempt cannot commit.
	if err := commitCkpt(s, idx+1, "c99", "a1", 99); !errors.Is(err, structs.ErrConflict) {
		t.Fatalf("zombie commit: got %v, want ErrConflict", err)
	}
	mustCreateAttempt(t, s, idx+2, "a2", "n1")
	a2, _ := s.Attempt("a2")
	if a2.ResumeFrom != "c30" || a2.Number != 2 {
		t.Fatalf("second attempt resumes from %q number %d, want c30 number 2", a2.ResumeFrom, a2.Number)
	}
	if err := s.EndAttempt(idx+3, &structs.AttemptEndRequest{AttemptID: "a2", Rank: 0, Status: structs.AttemptFailed, Reason: "oom"}); err != nil {
		t.Fatal(err)
	}
	e, _ = s.Experiment("e1")
	if e.Status != structs.ExperimentFailed {
		t.Fatalf("experiment after restarts spent: %s", e.Status)
	}
	if s.LatestIndex() != idx+3 {
		t.Fatalf("latest index %d, want %d", s.LatestIndex(), idx+3)
	}
}

func TestLatestCheckpointSkipsSuspect(t *testing.T) {
	s, idx := fixture(t, 0)
	mustCreateAttempt(t, s, idx, "a1", "n1")
	if _, err := s.LatestCheckpoint("e1"); !errors.Is(err, structs.ErrNotFound) {
		t.Fatalf("no checkpoints: got %v", err)
	}
	_ = commitCkpt(s, idx+1, "c1", "a1", 100)
	_ = commitCkpt(s, idx+2, "c2", "a1", 200)
	yes := true
	if err := s.FlagCheckpoint(idx+3, &structs.CheckpointFlagRequest{CheckpointID: "c2", Suspect: &yes}); err != nil {
		t.Fatal(err)
	}
	c, err := s.LatestCheckpoint("e1")
	if err != nil || c.ID != "c1" {
		t.Fatalf("latest = %v, %v; want c1", c, err)
	}
}

func TestSucceedAndCancel(t *testing.T) {
	tests := []struct {
		name       string
		end        func(s *Store, idx uint64) error
		wantExp    string
		wantAttemp string
	}{
		{"rank0 succeeds", func(s *Store, idx uint64) error {
			return s.EndAttempt(idx, &structs.AttemptEndRequest{AttemptID: "a1", Rank: 0, Status: structs.AttemptSucceeded})
		}, structs.ExperimentSucceeded, structs.AttemptSucceeded},
		{"rank1 success waits for rank0", func(s *Store, idx uint64) error {
			return s.EndAttempt(idx, &structs.AttemptEndRequest{AttemptID: "a1", Rank: 1, Status: structs.AttemptSucceeded})
		}, structs.ExperimentRunning, structs.AttemptRunning},
		{"cancel", func(s *Store, idx uint64) error {
			return s.CancelExperiment(idx, &structs.ExperimentCancelRequest{ExperimentID: "e1"})
		}, structs.ExperimentCancelled, structs.AttemptCancelled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, idx := fixture(t, 0)
			mustCreateAttempt(t, s, idx, "a1", "n1", "n2")
			if err := tc.end(s, idx+1); err != nil {
				t.Fatal(err)
			}
			e, _ := s.Experiment("e1")
			a, _ := s.Attempt("a1")
			if e.Status != tc.wantExp || a.Status != tc.wantAttemp {
				t.Fatalf("experiment %s attempt %s, want %s %s", e.Status, a.Status, tc.wantExp, tc.wantAttemp)
			}
		})
	}
}

func TestRejectsBadWrites(t *testing.T) {
	tests := []struct {
		name string
		do   func(s *Store) error
		want error
	}{
		{"attempt for unknown node", func(s *Store) error {
			return s.CreateAttempt(9, &structs.AttemptCreateRequest{Attempt: structs.Attempt{ID: "a", ExperimentID: "e1",
				Ranks: []structs.Rank{{Rank: 0, NodeID: "nope"}}}})
		}, structs.ErrNotFound},
		{"two ranks on one node", func(s *Store) error {
			return s.CreateAttempt(9, &structs.AttemptCreateRequest{Attempt: structs.Attempt{ID: "a", ExperimentID: "e1",
				Ranks: []structs.Rank{{Rank: 0, NodeID: "n1"}, {Rank: 1, NodeID: "n1"}}}})
		}, structs.ErrInvalid},
		{"cancel unknown", func(s *Store) error {
			return s.CancelExperiment(9, &structs.ExperimentCancelRequest{ExperimentID: "zz"})
		}, structs.ErrNotFound},
		{"duplicate experiment", func(s *Store) error {
			return s.SubmitExperiment(9, &structs.ExperimentSubmitRequest{Experiment: structs.Experiment{ID: "e1"}})
		}, structs.ErrConflict},
		{"token with bad role", func(s *Store) error {
			return s.UpsertToken(9, &structs.ACLTokenUpsertRequest{Token: structs.ACLToken{AccessorID: "x", SecretHash: "h", Roles: []string{"root"}}})
		}, structs.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := fixture(t, 0)
			before := s.LatestIndex()
			if err := tc.do(s); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if s.LatestIndex() != before {
				t.Fatalf("failed write moved the index %d → %d", before, s.LatestIndex())
			}
		})
	}
}

func TestACLBootstrapOnce(t *testing.T) {
	s := New()
	tok := structs.ACLToken{AccessorID: "a", SecretHash: structs.HashSecret("s"), Roles: []string{structs.RoleAdmin}}
	if err := s.BootstrapACL(1, &structs.ACLBootstrapRequest{Token: tok}); err != nil {
		t.Fatal(err)
	}
	tok.AccessorID, tok.SecretHash = "b", structs.HashSecret("t")
	if err := s.BootstrapACL(2, &structs.ACLBootstrapRequest{Token: tok}); !errors.Is(err, structs.ErrConflict) {
		t.Fatalf("second bootstrap: %v", err)
	}
	got, err := s.TokenBySecretHash(structs.HashSecret("s"))
	if err != nil || got.AccessorID != "a" {
		t.Fatalf("lookup: %v %v", got, err)
	}
	if _, err := s.TokenBySecretHash(structs.HashSecret("t")); !errors.Is(err, structs.ErrUnauthenticated) {
		t.Fatalf("unknown secret: %v", err)
	}
}

func TestNodeComesBackOnRegister(t *testing.T) {
	s, idx := fixture(t, 0)
	_ = s.DrainNode(idx, &structs.NodeDrainRequest{NodeID: "n1", Enable: true})
	_ = s.UpdateNodeStatus(idx+1, &structs.NodeStatusRequest{NodeID: "n1", Status: structs.NodeStatusDown})
	_ = s.UpsertNode(idx+2, &structs.NodeRegisterRequest{Node: structs.Node{ID: "n1"}})
	n, _ := s.Node("n1")
	if n.Status != structs.NodeStatusDraining || !n.Drain {
		t.Fatalf("re-registered drained node: status %s drain %v", n.Status, n.Drain)
	}
}
