package state

import (
	"fmt"
	"slices"
	"sort"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// SubmitExperiment inserts a pending experiment. The ID is stamped by the leader.
func (s *Store) SubmitExperiment(index uint64, req *structs.ExperimentSubmitRequest) error {
	e := req.Experiment.Copy()
	if e.ID == "" {
		return structs.Invalid("experiment.id", "is empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.experiments[e.ID]; ok {
		return fmt.Errorf("experiment %q already exists: %w", e.ID, structs.ErrConflict)
	}
	e.Status, e.Restarts = structs.ExperimentPending, 0
	e.CreatedAt, e.UpdatedAt, e.QueuedAt = req.Timestamp, req.Timestamp, req.Timestamp
	e.Preemptions = nil
	e.CreateIndex, e.ModifyIndex = index, index
	s.experiments[e.ID] = e
	s.bump(index)
	return nil
}

// CancelExperiment cancels a non-terminal experiment and its running attempts.
func (s *Store) CancelExperiment(index uint64, req *structs.ExperimentCancelRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.experiments[req.ExperimentID]
	if !ok {
		return fmt.Errorf("experiment %q: %w", req.ExperimentID, structs.ErrNotFound)
	}
	if structs.ExperimentTerminal(old.Status) {
		return fmt.Errorf("experiment %q is already %s: %w", old.ID, old.Status, structs.ErrConflict)
	}
	reason := req.Reason
	if reason == "" {
		reason = "cancelled"
	}
	e := old.Copy()
	e.Status, e.StatusReason, e.UpdatedAt, e.ModifyIndex = structs.ExperimentCancelled, reason, req.Timestamp, index
	s.experiments[e.ID] = e
	for _, a := range sortedValues(s.attempts, (*structs.Attempt).Copy, nil) {
		if a.ExperimentID == e.ID && a.Status == structs.AttemptRunning {
			s.endAttempt(index, a, structs.AttemptCancelled, reason, req.Timestamp)
		}
	}
	s.bump(index)
	return nil
}

// RecordProgress stores an agent's latest progress on a running experiment.
func (s *Store) RecordProgress(index uint64, req *structs.ExperimentProgressRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.experiments[req.ExperimentID]
	if !ok {
		return fmt.Errorf("experiment %q: %w", req.ExperimentID, structs.ErrNotFound)
	}
	if old.Status != structs.ExperimentRunning {
		return fmt.Errorf("experiment %q is %s, not running: %w", old.ID, old.Status, structs.ErrConflict)
	}
	e := old.Copy()
	e.Progress = req.Progress
	e.Progress.ReportedAt = req.Timestamp
	e.Series = appendSeries(e.Series, structs.SeriesPoint{Step: req.Progress.Step, AttemptID: req.Progress.AttemptID,
		Metrics: seriesMetrics(req.Progress), ReportedAt: req.Timestamp})
	e.UpdatedAt, e.ModifyIndex = req.Timestamp, index
	s.experiments[e.ID] = e
	s.bump(index)
	return nil
}

// appendSeries appends p, first halving a full series (every other point kept, the
// newest always) so that it stays within MaxSeriesPoints and still spans the run.
func appendSeries(series []structs.SeriesPoint, p structs.SeriesPoint) []structs.SeriesPoint {
	if len(series) >= structs.MaxSeriesPoints {
		kept := make([]structs.SeriesPoint, 0, structs.MaxSeriesPoints)
		for i := len(series) - 1; i >= 0; i -= 2 {
			kept = append(kept, series[i])
		}
		slices.Reverse(kept)
		series = kept
	}
	return append(series, p)
}

// seriesMetrics is a report's metrics with the loss, the one value progress carries
// outside its map.
func seriesMetrics(p structs.Progress) map[string]float64 {
	m := make(map[string]float64, len(p.Metrics)+1)
	for k, v := range p.Metrics {
		m[k] = v
	}
	if _, ok := m["loss"]; !ok && p.Loss != 0 {
		m["loss"] = p.Loss
	}
	return m
}

// RecordArtifact adds a checked artifact to a running experiment.
func (s *Store) RecordArtifact(index uint64, req *structs.ExperimentArtifactRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.experiments[req.ExperimentID]
	if !ok {
		return fmt.Errorf("experiment %q: %w", req.ExperimentID, structs.ErrNotFound)
	}
	a, ok := s.attempts[req.Artifact.AttemptID]
	if !ok || a.ExperimentID != old.ID || a.Status != structs.AttemptRunning {
		return fmt.Errorf("artifact of experiment %q: attempt %q is not running: %w", old.ID, req.Artifact.AttemptID, structs.ErrConflict)
	}
	e := old.Copy()
	art := req.Artifact
	art.CreatedAt = req.Timestamp
	e.Artifacts = append(e.Artifacts, art)
	e.UpdatedAt, e.ModifyIndex = req.Timestamp, index
	s.experiments[e.ID] = e
	s.bump(index)
	return nil
}

// Experiment returns one experiment.
func (s *Store) Experiment(id string) (*structs.Experiment, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.experiments[id]
	if !ok {
		return nil, fmt.Errorf("experiment %q: %w", id, structs.ErrNotFound)
	}
	return e.Copy(), nil
}

// ExperimentSince is an experiment with only the series points reported after since
// (unix ns): a console following a run copies each point once, not the whole series
// on every report. Points are appended in report order, so the tail is a suffix.
func (s *Store) ExperimentSince(id string, since int64) (*structs.Experiment, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.experiments[id]
	if !ok {
		return nil, fmt.Errorf("experiment %q: %w", id, structs.ErrNotFound)
	}
	c := e.Summary()
	c.SpecYAML = e.SpecYAML
	i := sort.Search(len(e.Series), func(i int) bool { return e.Series[i].ReportedAt > since })
	c.Series = append([]structs.SeriesPoint(nil), e.Series[i:]...)
	return c, nil
}

// ExperimentSummaries lists every experiment without series or spec text, by ID.
func (s *Store) ExperimentSummaries() []*structs.Experiment {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedValues(s.experiments, (*structs.Experiment).Summary, nil)
}

// Experiments lists every experiment, sorted by ID.
func (s *Store) Experiments() []*structs.Experiment {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedValues(s.experiments, (*structs.Experiment).Copy, nil)
}

// PendingExperiments is the scheduler's FIFO queue: pending experiments in the order
// they were submitted (by create index).
func (s *Store) PendingExperiments() []*structs.Experiment {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := sortedValues(s.experiments, (*structs.Experiment).Copy, func(e *structs.Experiment) bool {
		return e.Status == structs.ExperimentPending
	})
	slices.SortFunc(out, byCreateIndex(
		func(e *structs.Experiment) uint64 { return e.CreateIndex },
		func(e *structs.Experiment) string { return e.ID }))
	return out
}

// RestoreExperiment inserts an experiment from a snapshot.
func (s *Store) RestoreExperiment(e *structs.Experiment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.experiments[e.ID] = e.Copy()
}
