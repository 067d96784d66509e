package state

import (
	"errors"
	"testing"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

func release(s *Store, idx uint64, name string, version int, ckpt string) error {
	return s.ReleaseModel(idx, &structs.ModelReleaseRequest{WriteRequest: structs.WriteRequest{Timestamp: int64(idx)},
		Version: structs.ModelVersion{Name: name, Version: version, ExperimentID: "e1", CheckpointID: ckpt,
			ONNXSHA256: "o", CardSHA256: "c", StatementSHA256: "s", SignatureSHA256: "g", Approver: "dr-a", ApproverKey: "k"}})
}

func TestReleaseModelPinsAndStaysImmutable(t *testing.T) {
	s, idx := fixture(t, 1)
	mustCreateAttempt(t, s, idx, "a1", "n1")
	if err := commitCkpt(s, idx+1, "c1", "a1", 10); err != nil {
		t.Fatal(err)
	}
	if err := commitCkpt(s, idx+2, "c2", "a1", 20); err != nil {
		t.Fatal(err)
	}
	yes := true
	if err := s.FlagCheckpoint(idx+3, &structs.CheckpointFlagRequest{CheckpointID: "c2", Suspect: &yes}); err != nil {
		t.Fatal(err)
	}
	idx += 4
	if err := release(s, idx, "wdbc", 1, "c1"); err != nil {
		t.Fatalf("release v1: %v", err)
	}
	c, _ := s.Checkpoint("c1")
	m, err := s.ModelVersion("wdbc", 1)
	if err != nil || !c.Pinned || c.ModifyIndex != idx || m.CheckpointStep != 10 || m.CreateIndex != idx || m.CreatedAt != int64(idx) {
		t.Fatalf("after release: checkpoint %+v model %+v %v", c, m, err)
	}
	tests := []struct {
		name    string
		version int
		ckpt    string
		want    error
	}{
		{"same version again", 1, "c1", structs.ErrConflict},
		{"skipped version", 3, "c1", structs.ErrConflict},
		{"suspect checkpoint", 2, "c2", structs.ErrInvalid},
		{"unknown checkpoint", 2, "nope", structs.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			idx++
			if err := release(s, idx, "wdbc", tc.version, tc.ckpt); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	if m2, _ := s.ModelVersion("wdbc", 1); m2.ModifyIndex != m.ModifyIndex {
		t.Fatalf("refused releases changed v1: %+v", m2)
	}
	idx++
	if err := release(s, idx, "wdbc", 2, "c1"); err != nil {
		t.Fatalf("release v2: %v", err)
	}
	idx++
	if err := s.RevokeModel(idx, &structs.ModelRevokeRequest{WriteRequest: structs.WriteRequest{Timestamp: 99}, Name: "wdbc", Version: 1, Reason: "bias found"}); err != nil {
		t.Fatal(err)
	}
	idx++
	if err := s.RevokeModel(idx, &structs.ModelRevokeRequest{Name: "wdbc", Version: 1, Reason: "again"}); !errors.Is(err, structs.ErrConflict) {
		t.Fatalf("second revoke: %v", err)
	}
	if err := s.RevokeModel(idx, &structs.ModelRevokeRequest{Name: "wdbc", Version: 9, Reason: "x"}); !errors.Is(err, structs.ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
	vs, err := s.ModelVersions("wdbc")
	if err != nil || len(vs) != 2 || !vs[0].Revoked || vs[0].RevokedReason != "bias found" || vs[0].RevokedAt != 99 || vs[1].Revoked {
		t.Fatalf("versions: %+v %v", vs, err)
	}
	if sum := s.Models(); len(sum) != 1 || sum[0].LatestVersion != 2 || sum[0].Versions != 2 {
		t.Fatalf("models: %+v", sum)
	}
}
