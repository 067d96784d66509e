package state

import (
	"slices"
	"testing"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/experiments"
)

// retentionFixture builds a store with one running attempt "a1" of experiment "e1"
// whose spec keeps keepLast checkpoints and the best by keepBest, and commits one
// checkpoint per entry of losses (c1 at step 10, c2 at step 20, …) with val_loss and
// val_auroc = 1 - val_loss. It returns the next free index.
func retentionFixture(t *testing.T, keepLast int, keepBest string, losses []float64) (*Store, uint64) {
	t.Helper()
	s := New()
	if err := s.UpsertNode(1, &structs.NodeRegisterRequest{Node: structs.Node{ID: "n1", Address: "n1:7000",
		Devices: []structs.Device{{ID: "cpu0", Kind: "cpu", Health: structs.DeviceHealthy}}}}); err != nil {
		t.Fatal(err)
	}
	spec := experiments.Spec{Name: "wdbc", MaxRestarts: 2,
		Checkpoint: experiments.CheckpointSpec{EverySteps: 10, KeepLast: keepLast, KeepBest: keepBest}}
	if err := s.SubmitExperiment(2, &structs.ExperimentSubmitRequest{Experiment: structs.Experiment{ID: "e1", Name: "wdbc", Spec: spec}}); err != nil {
		t.Fatal(err)
	}
	mustCreateAttempt(t, s, 3, "a1", "n1")
	idx := uint64(4)
	for i, l := range losses {
		id := "c" + string(rune('1'+i))
		err := s.CommitCheckpoint(idx, &structs.CheckpointCommitRequest{Checkpoint: structs.Checkpoint{
			ID: id, ExperimentID: "e1", AttemptID: "a1", Step: int64(10 * (i + 1)), ManifestHash: "m" + id, WorldSize: 1,
			Metrics: map[string]float64{"val_loss": l, "val_auroc": 1 - l}}})
		if err != nil {
			t.Fatal(err)
		}
		idx++
	}
	return s, idx
}

func TestRetentionCandidates(t *testing.T) {
	yes := true
	losses := []float64{0.9, 0.2, 0.5, 0.6, 0.7} // c2 is best by val_loss (and by val_auroc)
	tests := []struct {
		name     string
		keepLast int
		keepBest string
		prepare  func(t *testing.T, s *Store, idx uint64)
		want     []string
	}{
		{"last two", 2, "", nil, []string{"c1", "c2", "c3"}},
		{"last two and best loss", 2, "val_loss", nil, []string{"c1", "c3"}},
		{"last two and best auroc", 2, "val_auroc", nil, []string{"c1", "c3"}},
		{"keep_last 0 keeps everything", 0, "", nil, nil},
		{"more kept than exist", 10, "", nil, nil},
		{"validator pin", 1, "", func(t *testing.T, s *Store, idx uint64) {
			if err := s.FlagCheckpoint(idx, &structs.CheckpointFlagRequest{CheckpointID: "c1", Pinned: &yes}); err != nil {
				t.Fatal(err)
			}
		}, []string{"c2", "c3", "c4"}},
		{"model release keeps it even unpinned", 1, "", func(t *testing.T, s *Store, idx uint64) {
			if err := release(s, idx, "wdbc", 1, "c3"); err != nil {
				t.Fatal(err)
			}
			no := false
			if err := s.FlagCheckpoint(idx+1, &structs.CheckpointFlagRequest{CheckpointID: "c3", Pinned: &no}); err != nil {
				t.Fatal(err)
			}
		}, []string{"c1", "c2", "c4"}},
		{"suspect does not count as last", 2, "", func(t *testing.T, s *Store, idx uint64) {
			if err := s.FlagCheckpoint(idx, &structs.CheckpointFlagRequest{CheckpointID: "c5", Suspect: &yes}); err != nil {
				t.Fatal(err)
			}
		}, []string{"c1", "c2", "c5"}},
		{"running attempt's resume point", 1, "", func(t *testing.T, s *Store, idx uint64) {
			if err := s.EndAttempt(idx, &structs.AttemptEndRequest{AttemptID: "a1", Status: structs.AttemptFailed, Reason: "test"}); err != nil {
				t.Fatal(err)
			}
			mustCreateAttempt(t, s, idx+1, "a2", "n1") // resumes from c5
			if err := s.CommitCheckpoint(idx+2, &structs.CheckpointCommitRequest{Checkpoint: structs.Checkpoint{
				ID: "c6", ExperimentID: "e1", AttemptID: "a2", Step: 60, ManifestHash: "mc6", WorldSize: 1}}); err != nil {
				t.Fatal(err)
			}
		}, []string{"c1", "c2", "c3", "c4"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, idx := retentionFixture(t, tc.keepLast, tc.keepBest, losses)
			if tc.prepare != nil {
				tc.prepare(t, s, idx)
			}
			got := s.RetentionCandidates()
			if !slices.Equal(got, tc.want) {
				t.Fatalf("retention candidates = %v, want %v", got, tc.want)
			}
		})
	}
}

// The FSM re-checks at apply time: an ID the leader proposed that became pinned in
// between is skipped, the others are deleted, and unknown IDs are ignored.
func TestDeleteCheckpointsRechecks(t *testing.T) {
	s, idx := retentionFixture(t, 2, "", []float64{0.9, 0.8, 0.7, 0.6})
	proposed := s.RetentionCandidates()
	if !slices.Equal(proposed, []string{"c1", "c2"}) {
		t.Fatalf("candidates = %v, want [c1 c2]", proposed)
	}
	yes := true
	if err := s.FlagCheckpoint(idx, &structs.CheckpointFlagRequest{CheckpointID: "c2", Pinned: &yes}); err != nil {
		t.Fatal(err)
	}
	req := &structs.CheckpointDeleteRequest{CheckpointIDs: append(proposed, "c3", "nope")}
	if err := s.DeleteCheckpoints(idx+1, req); err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, c := range s.Checkpoints("e1") {
		left = append(left, c.ID)
	}
	if !slices.Equal(left, []string{"c2", "c3", "c4"}) {
		t.Fatalf("after delete: %v, want [c2 c3 c4] (c2 pinned meanwhile, c3 among the last two)", left)
	}
	if s.LatestIndex() != idx+1 {
		t.Fatalf("index %d, want %d", s.LatestIndex(), idx+1)
	}
}
