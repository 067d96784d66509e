package state

import (
	"fmt"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// RegisterDataset records a dataset whose shards and manifest are already uploaded.
// IDs and names are unique.
func (s *Store) RegisterDataset(index uint64, req *structs.DatasetRegisterRequest) error {
	d := req.Dataset.Copy()
	if d.ID == "" {
		return structs.Invalid("dataset.id", "is empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.datasets[d.ID]; ok {
		return fmt.Errorf("dataset %q already exists: %w", d.ID, structs.ErrConflict)
	}
	for _, o := range s.datasets {
		if o.Name == d.Name {
			return fmt.Errorf("dataset name %q is taken by %s: %w", d.Name, o.ID, structs.ErrConflict)
		}
	}
	d.CreatedAt, d.CreateIndex, d.ModifyIndex = req.Timestamp, index, index
	s.datasets[d.ID] = d
	s.bump(index)
	return nil
}

// Dataset returns a dataset by ID or name.
func (s *Store) Dataset(idOrName string) (*structs.Dataset, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if d, ok := s.datasets[idOrName]; ok {
		return d.Copy(), nil
	}
	for _, d := range s.datasets {
		if d.Name == idOrName {
			return d.Copy(), nil
		}
	}
	return nil, fmt.Errorf("dataset %q: %w", idOrName, structs.ErrNotFound)
}

// Datasets lists every dataset, sorted by ID.
func (s *Store) Datasets() []*structs.Dataset {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedValues(s.datasets, (*structs.Dataset).Copy, nil)
}

// RestoreDataset inserts a dataset from a snapshot.
func (s *Store) RestoreDataset(d *structs.Dataset) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.datasets[d.ID] = d.Copy()
}
