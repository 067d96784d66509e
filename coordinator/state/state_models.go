package state

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// ReleaseModel commits a new, immutable model version and pins its checkpoint in the
// same apply. The version must be the next one for the name (the leader assigned it
// from this table), so a second commit of the same (name, version) is a conflict.
// A suspect checkpoint, an unknown one or one of another experiment is refused.
func (s *Store) ReleaseModel(index uint64, req *structs.ModelReleaseRequest) error {
	m := req.Version.Copy()
	if m.Name == "" {
		return structs.Invalid("version.name", "is empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next := len(s.models[m.Name]) + 1
	if m.Version != next {
		if m.Version >= 1 && m.Version < next {
			return fmt.Errorf("model %s version %d already exists and is immutable: %w", m.Name, m.Version, structs.ErrConflict)
		}
		return fmt.Errorf("model %s version %d is not the next version %d: %w", m.Name, m.Version, next, structs.ErrConflict)
	}
	if _, ok := s.experiments[m.ExperimentID]; !ok {
		return fmt.Errorf("experiment %q: %w", m.ExperimentID, structs.ErrNotFound)
	}
	old, ok := s.checkpoints[m.CheckpointID]
	if !ok {
		return fmt.Errorf("checkpoint %q: %w", m.CheckpointID, structs.ErrNotFound)
	}
	if old.ExperimentID != m.ExperimentID {
		return structs.Invalid("checkpoint_id", fmt.Sprintf("checkpoint %q belongs to experiment %q, not %q", old.ID, old.ExperimentID, m.ExperimentID))
	}
	if old.Suspect {
		return structs.Invalid("checkpoint_id", fmt.Sprintf("checkpoint %q is suspect (written after a device fault) and cannot be released", old.ID))
	}
	c := old.Copy()
	c.Pinned, c.ModifyIndex = true, index
	s.checkpoints[c.ID] = c
	m.CheckpointStep = c.Step
	m.Revoked, m.RevokedReason, m.RevokedAt = false, "", 0
	m.CreatedAt, m.CreateIndex, m.ModifyIndex = req.Timestamp, index, index
	s.models[m.Name] = append(s.models[m.Name], m)
	s.bump(index)
	return nil
}

// RevokeModel marks a version revoked. Revoking twice is a conflict: the first reason
// and time stand.
func (s *Store) RevokeModel(index uint64, req *structs.ModelRevokeRequest) error {
	if req.Reason == "" {
		return structs.Invalid("reason", "is empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, err := s.modelVersion(req.Name, req.Version)
	if err != nil {
		return err
	}
	if old.Revoked {
		return fmt.Errorf("model %s version %d already revoked: %w", req.Name, req.Version, structs.ErrConflict)
	}
	m := old.Copy()
	m.Revoked, m.RevokedReason, m.RevokedAt, m.ModifyIndex = true, req.Reason, req.Timestamp, index
	s.models[m.Name][m.Version-1] = m
	s.bump(index)
	return nil
}

// modelVersion finds a version without locking or copying.
func (s *Store) modelVersion(name string, version int) (*structs.ModelVersion, error) {
	vs, ok := s.models[name]
	if !ok {
		return nil, fmt.Errorf("model %q: %w", name, structs.ErrNotFound)
	}
	if version < 1 || version > len(vs) || vs[version-1].Version != version {
		return nil, fmt.Errorf("model %q version %d: %w", name, version, structs.ErrNotFound)
	}
	return vs[version-1], nil
}

// ModelVersion returns one version.
func (s *Store) ModelVersion(name string, version int) (*structs.ModelVersion, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, err := s.modelVersion(name, version)
	if err != nil {
		return nil, err
	}
	return m.Copy(), nil
}

// NextModelVersion is the version the next release of name gets.
func (s *Store) NextModelVersion(name string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.models[name]) + 1
}

// ModelVersions lists the versions of a model, oldest first.
func (s *Store) ModelVersions(name string) ([]*structs.ModelVersion, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	vs, ok := s.models[name]
	if !ok {
		return nil, fmt.Errorf("model %q: %w", name, structs.ErrNotFound)
	}
	out := make([]*structs.ModelVersion, 0, len(vs))
	for _, v := range vs {
		out = append(out, v.Copy())
	}
	return out, nil
}

// Models lists every model name with its latest version, sorted by name.
func (s *Store) Models() []structs.ModelSummary {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []structs.ModelSummary{}
	for _, name := range slices.Sorted(maps.Keys(s.models)) {
		vs := s.models[name]
		if len(vs) == 0 {
			continue
		}
		last := vs[len(vs)-1]
		out = append(out, structs.ModelSummary{Name: name, LatestVersion: last.Version, Versions: len(vs), Latest: *last.Copy()})
	}
	return out
}

// AllModelVersions lists every version of every model (by name, then version), for
// snapshots.
func (s *Store) AllModelVersions() []*structs.ModelVersion {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*structs.ModelVersion
	for _, name := range slices.Sorted(maps.Keys(s.models)) {
		for _, v := range s.models[name] {
			out = append(out, v.Copy())
		}
	}
	return out
}

// RestoreModelVersion inserts a version from a snapshot, keeping each name's versions
// in order whatever order the records come in.
func (s *Store) RestoreModelVersion(m *structs.ModelVersion) {
	s.mu.Lock()
	defer s.mu.Unlock()
	vs := append(s.models[m.Name], m.Copy())
	slices.SortFunc(vs, func(a, b *structs.ModelVersion) int { return cmp.Compare(a.Version, b.Version) })
	s.models[m.Name] = vs
}
