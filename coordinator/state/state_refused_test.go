package state

import (
	"errors"
	"testing"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// A checkpoint_refused alert marks the checkpoint it names (and only when the alert
// names its manifest); a refused checkpoint is never latest again, and the attempt
// records where it really resumed from, once.
func TestRefusalMarksCheckpointAndAttemptRecordsResume(t *testing.T) {
	s, idx := fixture(t, 3)
	mustCreateAttempt(t, s, idx, "a1", "n1")
	for i, step := range []int64{100, 200} {
		if err := commitCkpt(s, idx+1+uint64(i), []string{"c1", "c2"}[i], "a1", step); err != nil {
			t.Fatal(err)
		}
	}
	alert := func(id, manifest string) *structs.AlertRecordRequest {
		return &structs.AlertRecordRequest{WriteRequest: structs.WriteRequest{Timestamp: 42}, Alert: structs.Alert{ID: id,
			Kind: structs.AlertCheckpointRefused, ExperimentID: "e1", AttemptID: "a1", Step: 200, CheckpointID: "c2",
			ManifestHash: manifest, BlobHash: "b", Reason: "blob b: blob corrupt"}}
	}
	if err := s.RecordAlert(idx+3, alert("al-other", "not-c2s-manifest")); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Checkpoint("c2"); c.Refused != nil {
		t.Fatalf("an alert naming another manifest marked c2: %+v", c.Refused)
	}
	if err := s.RecordAlert(idx+4, alert("al-1", "mc2")); err != nil {
		t.Fatal(err)
	}
	c, err := s.Checkpoint("c2")
	if err != nil || c.Refused == nil || c.Refused.AlertID != "al-1" || c.Refused.BlobHash != "b" || c.Refused.Time != 42 || c.ModifyIndex != idx+4 {
		t.Fatalf("c2 after the refusal: %+v, %v", c, err)
	}
	if latest, err := s.LatestCheckpoint("e1"); err != nil || latest.ID != "c1" {
		t.Fatalf("latest = %v, %v; want c1 (c2 is refused)", latest, err)
	}

	set := func(i uint64, cp string) error {
		return s.SetResumedFrom(i, &structs.AttemptResumedRequest{AttemptID: "a1", CheckpointID: cp})
	}
	if err := set(idx+5, "nope"); !errors.Is(err, structs.ErrNotFound) {
		t.Fatalf("unknown checkpoint: %v", err)
	}
	if err := set(idx+6, "c1"); err != nil {
		t.Fatal(err)
	}
	if err := set(idx+7, "c1"); err != nil {
		t.Fatalf("the same report again: %v", err)
	}
	if err := set(idx+8, structs.ResumedFromScratch); !errors.Is(err, structs.ErrConflict) {
		t.Fatalf("a second, different report: %v", err)
	}
	if a, _ := s.Attempt("a1"); a.ResumedFrom != "c1" {
		t.Fatalf("attempt resumed_from %q, want c1", a.ResumedFrom)
	}
}
