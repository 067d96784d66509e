package state

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// CommitCheckpoint adds a checkpoint to the ledger. Only a running attempt of the
// named experiment may commit, so a zombie rank of a failed attempt cannot make its
// checkpoint "latest" after a new attempt has started.
func (s *Store) CommitCheckpoint(index uint64, req *structs.CheckpointCommitRequest) error {
	c := req.Checkpoint.Copy()
	if c.ID == "" {
		return structs.Invalid("checkpoint.id", "is empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.checkpoints[c.ID]; ok {
		return fmt.Errorf("checkpoint %q already exists: %w", c.ID, structs.ErrConflict)
	}
	if _, ok := s.experiments[c.ExperimentID]; !ok {
		return fmt.Errorf("experiment %q: %w", c.ExperimentID, structs.ErrNotFound)
	}
	a, ok := s.attempts[c.AttemptID]
	if !ok {
		return fmt.Errorf("attempt %q: %w", c.AttemptID, structs.ErrNotFound)
	}
	if a.ExperimentID != c.ExperimentID {
		return structs.Invalid("attempt_id", fmt.Sprintf("attempt %q belongs to experiment %q", a.ID, a.ExperimentID))
	}
	if a.Status != structs.AttemptRunning {
		return fmt.Errorf("attempt %q is %s, not running: %w", a.ID, a.Status, structs.ErrConflict)
	}
	c.Pinned, c.Suspect = false, false
	c.CreatedAt, c.CreateIndex, c.ModifyIndex = req.Timestamp, index, index
	s.checkpoints[c.ID] = c
	s.bump(index)
	return nil
}

// FlagCheckpoint pins/unpins a checkpoint or marks it suspect.
func (s *Store) FlagCheckpoint(index uint64, req *structs.CheckpointFlagRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.checkpoints[req.CheckpointID]
	if !ok {
		return fmt.Errorf("checkpoint %q: %w", req.CheckpointID, structs.ErrNotFound)
	}
	c := old.Copy()
	if req.Pinned != nil {
		c.Pinned = *req.Pinned
	}
	if req.Suspect != nil {
		c.Suspect = *req.Suspect
	}
	if req.Replay != nil {
		r := *req.Replay
		c.LastReplay = &r
	}
	c.ModifyIndex = index
	s.checkpoints[c.ID] = c
	s.bump(index)
	return nil
}

// Checkpoint returns one ledger record.
func (s *Store) Checkpoint(id string) (*structs.Checkpoint, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.checkpoints[id]
	if !ok {
		return nil, fmt.Errorf("checkpoint %q: %w", id, structs.ErrNotFound)
	}
	return c.Copy(), nil
}

// Checkpoints lists the checkpoints of an experiment ("" for all) by step, then ID.
func (s *Store) Checkpoints(experimentID string) []*structs.Checkpoint {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := sortedValues(s.checkpoints, (*structs.Checkpoint).Copy, func(c *structs.Checkpoint) bool {
		return experimentID == "" || c.ExperimentID == experimentID
	})
	slices.SortStableFunc(out, func(a, b *structs.Checkpoint) int {
		if a.ExperimentID != b.ExperimentID {
			return cmp.Compare(a.ExperimentID, b.ExperimentID)
		}
		return cmp.Compare(a.Step, b.Step)
	})
	return out
}

// LatestCheckpoint is the committed, non-suspect, non-refused checkpoint with the highest step
// for the experiment (ties: the later commit). ErrNotFound if there is none.
func (s *Store) LatestCheckpoint(experimentID string) (*structs.Checkpoint, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.latestCheckpoint(experimentID)
	if c == nil {
		return nil, fmt.Errorf("latest checkpoint of experiment %q: %w", experimentID, structs.ErrNotFound)
	}
	return c.Copy(), nil
}

// latestCheckpoint is LatestCheckpoint without locking or copying.
func (s *Store) latestCheckpoint(experimentID string) *structs.Checkpoint {
	var best *structs.Checkpoint
	for _, c := range s.checkpoints {
		if c.ExperimentID != experimentID || c.Suspect || c.Refused != nil {
			continue
		}
		if best == nil || c.Step > best.Step || (c.Step == best.Step && c.CreateIndex > best.CreateIndex) {
			best = c
		}
	}
	return best
}

// RestoreCheckpoint inserts a ledger record from a snapshot.
func (s *Store) RestoreCheckpoint(c *structs.Checkpoint) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checkpoints[c.ID] = c.Copy()
}
