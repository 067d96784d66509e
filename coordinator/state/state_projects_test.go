package state

import (
	"errors"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/experiments"
)

func stopReq(id, reason string) *structs.AttemptStopRequest {
	return &structs.AttemptStopRequest{WriteRequest: structs.WriteRequest{Timestamp: 50}, AttemptID: id,
		Stop: structs.StopRequest{Reason: reason, Detail: "for urgent e2", For: "e2", RequestedAt: 50, Deadline: 90}}
}

func end(s *Store, idx uint64, id string, rank int, status string) error {
	return s.EndAttempt(idx, &structs.AttemptEndRequest{WriteRequest: structs.WriteRequest{Timestamp: 60},
		AttemptID: id, Rank: rank, Status: status, Reason: "checkpointed at step 30 on request"})
}

// A preempted attempt ends stopped: its experiment is pending again without
// spending a restart, the preemption is recorded, and the next attempt resumes from
// the checkpoint committed after the request.
func TestPreemptedAttemptRequeuesWithoutSpendingARestart(t *testing.T) {
	s, idx := fixture(t, 0)
	mustCreateAttempt(t, s, idx, "a1", "n1", "n2")
	if err := end(s, idx+1, "a1", 0, structs.AttemptStopped); err == nil {
		t.Fatal("an attempt never asked to stop ended as stopped")
	}
	if err := s.StopAttempt(idx+2, stopReq("a1", structs.StopPreempt)); err != nil {
		t.Fatal(err)
	}
	if err := s.StopAttempt(idx+3, stopReq("a1", structs.StopPreempt)); !errors.Is(err, structs.ErrConflict) {
		t.Fatalf("a second stop request: %v, want conflict", err)
	}
	if err := commitCkpt(s, idx+4, "c30", "a1", 30); err != nil {
		t.Fatal(err)
	}
	if err := end(s, idx+5, "a1", 1, structs.AttemptStopped); err != nil {
		t.Fatal(err)
	}
	if a, _ := s.Attempt("a1"); a.Status != structs.AttemptRunning {
		t.Fatalf("rank 1 stopping ended the attempt: %s", a.Status)
	}
	if err := end(s, idx+6, "a1", 0, structs.AttemptStopped); err != nil {
		t.Fatal(err)
	}
	e, _ := s.Experiment("e1")
	if e.Status != structs.ExperimentPending || e.Restarts != 0 || len(e.Preemptions) != 1 || e.QueuedAt != 60 {
		t.Fatalf("after preemption: status %s restarts %d preemptions %v queued %d", e.Status, e.Restarts, e.Preemptions, e.QueuedAt)
	}
	if !strings.Contains(e.StatusReason, "preempted") {
		t.Fatalf("reason %q does not say preempted", e.StatusReason)
	}
	mustCreateAttempt(t, s, idx+7, "a2", "n1")
	if a, _ := s.Attempt("a2"); a.ResumeFrom != "c30" {
		t.Fatalf("the next attempt resumes from %q, want c30", a.ResumeFrom)
	}
}

func TestTimeLimitStopEndsTheExperimentTimedOut(t *testing.T) {
	s, idx := fixture(t, 3)
	mustCreateAttempt(t, s, idx, "a1", "n1")
	if err := s.StopAttempt(idx+1, stopReq("a1", structs.StopTimeLimit)); err != nil {
		t.Fatal(err)
	}
	if err := end(s, idx+2, "a1", 0, structs.AttemptStopped); err != nil {
		t.Fatal(err)
	}
	e, _ := s.Experiment("e1")
	if e.Status != structs.ExperimentTimedOut || !structs.ExperimentTerminal(e.Status) || len(e.Preemptions) != 0 {
		t.Fatalf("after a time-limit stop: %s %q %v", e.Status, e.StatusReason, e.Preemptions)
	}
	if err := s.StopAttempt(idx+3, stopReq("a1", "nap")); err == nil {
		t.Fatal("a stop with an unknown reason was accepted")
	}
}

func TestProjectsAndPriorityClasses(t *testing.T) {
	s, idx := fixture(t, 0)
	if ps := s.Projects(); len(ps) != 1 || ps[0].Name != structs.DefaultProject || !ps[0].HasMember("anyone") {
		t.Fatalf("a new cluster's projects: %+v", ps)
	}
	if _, err := s.Project("ghost"); !errors.Is(err, structs.ErrNotFound) {
		t.Fatalf("unknown project: %v", err)
	}
	p := structs.Project{Name: "radiology", Members: []string{"acc-1"}, Quota: map[string]int{"gpu": 8}, BorrowLimit: map[string]int{"gpu": 2}, Weight: 2}
	if err := s.UpsertProject(idx, &structs.ProjectUpsertRequest{Project: p}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Project("radiology")
	if got.Limit("gpu") != 10 || got.Limit("cpu") != -1 || got.HasMember("acc-2") || !got.HasMember("acc-1") {
		t.Fatalf("project: %+v limit gpu %d cpu %d", got, got.Limit("gpu"), got.Limit("cpu"))
	}
	sub := &structs.ExperimentSubmitRequest{Experiment: structs.Experiment{ID: "e2", Name: "x",
		Spec: experiments.Spec{Name: "x", Project: "radiology"}}}
	if err := s.SubmitExperiment(idx+1, sub); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteProject(idx+2, &structs.ProjectDeleteRequest{Name: "radiology"}); !errors.Is(err, structs.ErrConflict) || !strings.Contains(err.Error(), "e2") {
		t.Fatalf("deleting a project with a pending experiment: %v", err)
	}
	if err := s.CancelExperiment(idx+3, &structs.ExperimentCancelRequest{ExperimentID: "e2"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteProject(idx+4, &structs.ProjectDeleteRequest{Name: "radiology"}); err != nil {
		t.Fatal(err)
	}

	if cs := s.PriorityClasses(); len(cs) != 3 || cs[0].Name != "urgent" || cs[2].Name != "batch" {
		t.Fatalf("built-in classes: %+v", cs)
	}
	if err := s.UpsertPriorityClass(idx+5, &structs.PriorityClassUpsertRequest{Class: structs.PriorityClass{Name: "overnight", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	cs := s.PriorityClasses()
	if len(cs) != 4 || cs[3].Name != "overnight" || cs[0].Name != "urgent" {
		t.Fatalf("defining a class keeps the built-ins: %+v", cs)
	}
}
