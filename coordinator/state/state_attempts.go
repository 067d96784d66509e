package state

import (
	"fmt"
	"slices"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// CreateAttempt commits a placement: the experiment must be pending, every rank on a
// distinct known node. The attempt's number and the checkpoint it resumes from (the
// latest committed one at this index) are filled here, deterministically.
func (s *Store) CreateAttempt(index uint64, req *structs.AttemptCreateRequest) error {
	a := req.Attempt.Copy()
	if a.ID == "" {
		return structs.Invalid("attempt.id", "is empty")
	}
	if len(a.Ranks) == 0 {
		return structs.Invalid("attempt.ranks", "is empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.attempts[a.ID]; ok {
		return fmt.Errorf("attempt %q already exists: %w", a.ID, structs.ErrConflict)
	}
	old, ok := s.experiments[a.ExperimentID]
	if !ok {
		return fmt.Errorf("experiment %q: %w", a.ExperimentID, structs.ErrNotFound)
	}
	if old.Status != structs.ExperimentPending {
		return fmt.Errorf("experiment %q is %s, not pending: %w", old.ID, old.Status, structs.ErrConflict)
	}
	seen := map[string]bool{}
	for i, r := range a.Ranks {
		if r.Rank != i {
			return structs.Invalid(fmt.Sprintf("attempt.ranks[%d].rank", i), fmt.Sprintf("is %d, want %d", r.Rank, i))
		}
		if _, ok := s.nodes[r.NodeID]; !ok {
			return fmt.Errorf("rank %d node %q: %w", i, r.NodeID, structs.ErrNotFound)
		}
		if seen[r.NodeID] {
			return structs.Invalid(fmt.Sprintf("attempt.ranks[%d].node_id", i), "node already holds a rank of this attempt")
		}
		seen[r.NodeID] = true
	}
	n := 0
	for _, o := range s.attempts {
		if o.ExperimentID == a.ExperimentID {
			n++
		}
	}
	a.Number = n + 1
	a.ResumeFrom = ""
	if c := s.latestCheckpoint(a.ExperimentID); c != nil {
		a.ResumeFrom = c.ID
	}
	a.Status, a.EndReason, a.EndedAt = structs.AttemptRunning, "", 0
	a.CreatedAt, a.CreateIndex, a.ModifyIndex = req.Timestamp, index, index
	s.attempts[a.ID] = a
	e := old.Copy()
	e.Status, e.StatusReason, e.UpdatedAt, e.ModifyIndex = structs.ExperimentRunning, "", req.Timestamp, index
	s.experiments[e.ID] = e
	s.bump(index)
	return nil
}

// EndAttempt ends a running attempt as a rank reported it. Any rank failing fails the
// attempt; rank 0 succeeding succeeds it (rank 0 is the one that finishes the run).
func (s *Store) EndAttempt(index uint64, req *structs.AttemptEndRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.attempts[req.AttemptID]
	if !ok {
		return fmt.Errorf("attempt %q: %w", req.AttemptID, structs.ErrNotFound)
	}
	if old.Status != structs.AttemptRunning {
		return fmt.Errorf("attempt %q already %s: %w", old.ID, old.Status, structs.ErrConflict)
	}
	if req.Rank < 0 || req.Rank >= len(old.Ranks) {
		return structs.Invalid("rank", fmt.Sprintf("%d is outside the attempt's world of %d", req.Rank, len(old.Ranks)))
	}
	switch req.Status {
	case structs.AttemptFailed:
	case structs.AttemptSucceeded, structs.AttemptStopped:
		if req.Status == structs.AttemptStopped && old.Stop == nil {
			return structs.Invalid("status", fmt.Sprintf("attempt %q was not asked to stop", old.ID))
		}
		if req.Rank != 0 {
			// Non-zero ranks finishing is expected; the attempt ends with rank 0.
			s.bump(index)
			return nil
		}
	default:
		return structs.Invalid("status", fmt.Sprintf("%q is not succeeded, failed or stopped", req.Status))
	}
	reason := req.Reason
	if req.Status == structs.AttemptFailed {
		reason = fmt.Sprintf("rank %d failed: %s", req.Rank, req.Reason)
	}
	s.endAttempt(index, old.Copy(), req.Status, reason, req.Timestamp)
	s.bump(index)
	return nil
}

// endAttempt ends a and moves its experiment on: succeeded → succeeded; failed →
// pending again while restarts remain, failed otherwise; stopped on a preemption →
// pending again (no restart spent, the preemption recorded); stopped at its time
// limit → timed_out. The caller holds mu.
func (s *Store) endAttempt(index uint64, a *structs.Attempt, status, reason string, ts int64) {
	a.Status, a.EndReason, a.EndedAt, a.ModifyIndex = status, reason, ts, index
	s.attempts[a.ID] = a
	old, ok := s.experiments[a.ExperimentID]
	if !ok || structs.ExperimentTerminal(old.Status) {
		return
	}
	e := old.Copy()
	e.UpdatedAt, e.ModifyIndex = ts, index
	switch status {
	case structs.AttemptSucceeded:
		e.Status, e.StatusReason = structs.ExperimentSucceeded, ""
	case structs.AttemptFailed:
		if e.Restarts < e.Spec.MaxRestarts {
			e.Restarts++
			e.Status = structs.ExperimentPending
			e.StatusReason = fmt.Sprintf("attempt %d failed (%s); restart %d of %d", a.Number, reason, e.Restarts, e.Spec.MaxRestarts)
		} else {
			e.Status = structs.ExperimentFailed
			e.StatusReason = fmt.Sprintf("attempt %d failed (%s); max_restarts %d spent", a.Number, reason, e.Spec.MaxRestarts)
		}
	case structs.AttemptStopped:
		if a.Stop != nil && a.Stop.Reason == structs.StopTimeLimit {
			e.Status, e.StatusReason = structs.ExperimentTimedOut, fmt.Sprintf("attempt %d: %s (%s)", a.Number, a.Stop.Detail, reason)
		} else {
			e.Status = structs.ExperimentPending
			e.StatusReason = fmt.Sprintf("attempt %d preempted (%s); resumes from its newest committed checkpoint", a.Number, reason)
			e.Preemptions = append(e.Preemptions, ts)
		}
	}
	if e.Status == structs.ExperimentPending {
		e.QueuedAt = ts
	}
	s.experiments[e.ID] = e
}

// Attempt returns one attempt.
func (s *Store) Attempt(id string) (*structs.Attempt, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.attempts[id]
	if !ok {
		return nil, fmt.Errorf("attempt %q: %w", id, structs.ErrNotFound)
	}
	return a.Copy(), nil
}

// Attempts lists the attempts of an experiment ("" for all) in creation order.
func (s *Store) Attempts(experimentID string) []*structs.Attempt {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := sortedValues(s.attempts, (*structs.Attempt).Copy, func(a *structs.Attempt) bool {
		return experimentID == "" || a.ExperimentID == experimentID
	})
	slices.SortFunc(out, byCreateIndex(
		func(a *structs.Attempt) uint64 { return a.CreateIndex },
		func(a *structs.Attempt) string { return a.ID }))
	return out
}

// RunningAttempts lists running attempts, optionally only those with a rank on nodeID.
func (s *Store) RunningAttempts(nodeID string) []*structs.Attempt {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedValues(s.attempts, (*structs.Attempt).Copy, func(a *structs.Attempt) bool {
		return a.Status == structs.AttemptRunning && (nodeID == "" || a.HasNode(nodeID))
	})
}

// RestoreAttempt inserts an attempt from a snapshot.
func (s *Store) RestoreAttempt(a *structs.Attempt) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts[a.ID] = a.Copy()
}

// SetResumedFrom records the checkpoint a running attempt resumed from. It is set
// once: the same value again is a no-op, another one a conflict. The checkpoint must
// be one of the attempt's experiment's (or ResumedFromScratch).
func (s *Store) SetResumedFrom(index uint64, req *structs.AttemptResumedRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.setOnce(index, req.AttemptID, "resumed from", req.CheckpointID,
		func(a *structs.Attempt) *string { return &a.ResumedFrom },
		func(old *structs.Attempt) error {
			if req.CheckpointID == structs.ResumedFromScratch {
				return nil
			}
			c, ok := s.checkpoints[req.CheckpointID]
			if !ok {
				return fmt.Errorf("checkpoint %q: %w", req.CheckpointID, structs.ErrNotFound)
			}
			if c.ExperimentID != old.ExperimentID {
				return structs.Invalid("checkpoint_id", fmt.Sprintf("checkpoint %q belongs to experiment %q", c.ID, c.ExperimentID))
			}
			return nil
		})
}

// SetRendezvous records a running attempt's rendezvous address. It is set once: the
// same address again is a no-op, another one a conflict (the ranks already met there).
func (s *Store) SetRendezvous(index uint64, req *structs.AttemptRendezvousRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.setOnce(index, req.AttemptID, "meets at", req.Rendezvous,
		func(a *structs.Attempt) *string { return &a.Rendezvous }, nil)
}

// setOnce sets a field of a running attempt that is written once: the same value again
// (a retried request) is a no-op, another one a conflict naming what it already holds.
// check, when given, vets the value against the attempt. s.mu must be held.
func (s *Store) setOnce(index uint64, attemptID, holds, value string, field func(*structs.Attempt) *string,
	check func(old *structs.Attempt) error) error {
	old, ok := s.attempts[attemptID]
	if !ok {
		return fmt.Errorf("attempt %q: %w", attemptID, structs.ErrNotFound)
	}
	if old.Status != structs.AttemptRunning {
		return fmt.Errorf("attempt %q already %s: %w", old.ID, old.Status, structs.ErrConflict)
	}
	if check != nil {
		if err := check(old); err != nil {
			return err
		}
	}
	switch current := *field(old); current {
	case value:
		s.bump(index)
		return nil
	case "":
	default:
		return fmt.Errorf("attempt %q already %s %s: %w", old.ID, holds, current, structs.ErrConflict)
	}
	a := old.Copy()
	*field(a) = value
	a.ModifyIndex = index
	s.attempts[a.ID] = a
	s.bump(index)
	return nil
}

// StopAttempt records a stop request on a running attempt, once: its agents
// checkpoint and end it as stopped, or the leader ends it at the deadline.
func (s *Store) StopAttempt(index uint64, req *structs.AttemptStopRequest) error {
	if req.Stop.Reason != structs.StopPreempt && req.Stop.Reason != structs.StopTimeLimit {
		return structs.Invalid("stop.reason", fmt.Sprintf("%q is not %s or %s", req.Stop.Reason, structs.StopPreempt, structs.StopTimeLimit))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.attempts[req.AttemptID]
	if !ok {
		return fmt.Errorf("attempt %q: %w", req.AttemptID, structs.ErrNotFound)
	}
	if old.Status != structs.AttemptRunning {
		return fmt.Errorf("attempt %q already %s: %w", old.ID, old.Status, structs.ErrConflict)
	}
	if old.Stop != nil {
		return fmt.Errorf("attempt %q is already stopping (%s): %w", old.ID, old.Stop.Reason, structs.ErrConflict)
	}
	a := old.Copy()
	stop := req.Stop
	a.Stop, a.ModifyIndex = &stop, index
	s.attempts[a.ID] = a
	s.bump(index)
	return nil
}
