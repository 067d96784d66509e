package state

import (
	"fmt"
	"slices"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// RecordAlert adds an alert. The experiment it names must exist, and so must the
// attempt and checkpoint when named (the endpoint checks the same before proposing;
// this re-check keeps a replayed log from inventing references).
func (s *Store) RecordAlert(index uint64, req *structs.AlertRecordRequest) error {
	a := req.Alert.Copy()
	if a.ID == "" {
		return structs.Invalid("alert.id", "is empty")
	}
	if !structs.ValidAlertKind(a.Kind) {
		return structs.Invalid("alert.kind", fmt.Sprintf("%q is not a known alert kind", a.Kind))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.alerts[a.ID]; ok {
		return fmt.Errorf("alert %q already exists: %w", a.ID, structs.ErrConflict)
	}
	if _, ok := s.experiments[a.ExperimentID]; !ok {
		return fmt.Errorf("experiment %q: %w", a.ExperimentID, structs.ErrNotFound)
	}
	if a.AttemptID != "" {
		att, ok := s.attempts[a.AttemptID]
		if !ok {
			return fmt.Errorf("attempt %q: %w", a.AttemptID, structs.ErrNotFound)
		}
		if att.ExperimentID != a.ExperimentID {
			return structs.Invalid("attempt_id", fmt.Sprintf("attempt %q belongs to experiment %q", att.ID, att.ExperimentID))
		}
	}
	// A checkpoint the alert names may since have been deleted by retention; the
	// alert keeps its ID and hashes as evidence, so only its experiment is checked.
	if c, ok := s.checkpoints[a.CheckpointID]; ok && c.ExperimentID != a.ExperimentID {
		return structs.Invalid("checkpoint_id", fmt.Sprintf("checkpoint %q belongs to experiment %q", c.ID, c.ExperimentID))
	}
	a.Time, a.AckedAt, a.AckedBy = req.Timestamp, 0, ""
	a.CreateIndex, a.ModifyIndex = index, index
	s.alerts[a.ID] = a
	s.markRefused(index, a)
	s.bump(index)
	return nil
}

// markRefused marks the checkpoint a checkpoint_refused alert names as refused, so
// that it is never offered again; the first refusal is the one kept. The alert must
// name the checkpoint's own manifest: an alert is evidence about those bytes.
func (s *Store) markRefused(index uint64, a *structs.Alert) {
	if a.Kind != structs.AlertCheckpointRefused {
		return
	}
	old, ok := s.checkpoints[a.CheckpointID]
	if !ok || old.Refused != nil || old.ManifestHash != a.ManifestHash {
		return
	}
	c := old.Copy()
	c.Refused = &structs.CheckpointRefusal{AlertID: a.ID, AttemptID: a.AttemptID, BlobHash: a.BlobHash, Reason: a.Reason, Time: a.Time}
	c.ModifyIndex = index
	s.checkpoints[c.ID] = c
}

// AckAlert acknowledges an open alert.
func (s *Store) AckAlert(index uint64, req *structs.AlertAckRequest) error {
	if req.AckedBy == "" {
		return structs.Invalid("acked_by", "is empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.alerts[req.AlertID]
	if !ok {
		return fmt.Errorf("alert %q: %w", req.AlertID, structs.ErrNotFound)
	}
	if !old.Open() {
		return fmt.Errorf("alert %q was already acknowledged by %s: %w", old.ID, old.AckedBy, structs.ErrConflict)
	}
	a := old.Copy()
	a.AckedAt, a.AckedBy, a.ModifyIndex = req.Timestamp, req.AckedBy, index
	s.alerts[a.ID] = a
	s.bump(index)
	return nil
}

// Alert returns one alert.
func (s *Store) Alert(id string) (*structs.Alert, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.alerts[id]
	if !ok {
		return nil, fmt.Errorf("alert %q: %w", id, structs.ErrNotFound)
	}
	return a.Copy(), nil
}

// Alerts lists the alerts of an experiment ("" for all), oldest first.
func (s *Store) Alerts(experimentID string) []*structs.Alert {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := sortedValues(s.alerts, (*structs.Alert).Copy, func(a *structs.Alert) bool {
		return experimentID == "" || a.ExperimentID == experimentID
	})
	slices.SortStableFunc(out, byCreateIndex(
		func(a *structs.Alert) uint64 { return a.CreateIndex }, func(a *structs.Alert) string { return a.ID }))
	return out
}

// OpenAlerts counts the alerts nobody has acknowledged.
func (s *Store) OpenAlerts() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, a := range s.alerts {
		if a.Open() {
			n++
		}
	}
	return n
}

// RestoreAlert inserts an alert from a snapshot.
func (s *Store) RestoreAlert(a *structs.Alert) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.alerts[a.ID] = a.Copy()
}
