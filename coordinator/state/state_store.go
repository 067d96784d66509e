// Package state is the coordinator's replicated store: the in-memory tables the FSM
// mutates and every server reads. Each mutation carries the Raft index it was
// applied at; listings iterate in a deterministic order (sorted by ID) so that two
// servers with the same log give the same answers and the same snapshots.
package state

import (
	"cmp"
	"maps"
	"slices"
	"sync"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// Store holds the replicated tables. All methods are safe for concurrent use; readers
// get copies, so a record a caller holds never changes under it.
type Store struct {
	mu    sync.RWMutex
	index uint64
	watch chan struct{}

	nodes       map[string]*structs.Node
	experiments map[string]*structs.Experiment
	attempts    map[string]*structs.Attempt
	checkpoints map[string]*structs.Checkpoint
	datasets    map[string]*structs.Dataset
	tokens      map[string]*structs.ACLToken // by accessor ID
	bySecret    map[string]string            // secret hash → accessor ID
	members     map[string]*structs.ServerMember
	models      map[string][]*structs.ModelVersion // by name; element i is version i+1
	reports     map[string][]*structs.SiteReport   // by "name@version", in submission order
	alerts      map[string]*structs.Alert
	projects    map[string]*structs.Project
	classes     map[string]*structs.PriorityClass // empty: the built-in classes
	audit       []structs.AuditEntry
	aclBoot     uint64 // index of the ACL bootstrap, 0 if never
}

// New returns an empty store.
func New() *Store {
	return &Store{
		watch:       make(chan struct{}),
		nodes:       map[string]*structs.Node{},
		experiments: map[string]*structs.Experiment{},
		attempts:    map[string]*structs.Attempt{},
		checkpoints: map[string]*structs.Checkpoint{},
		datasets:    map[string]*structs.Dataset{},
		tokens:      map[string]*structs.ACLToken{},
		bySecret:    map[string]string{},
		members:     map[string]*structs.ServerMember{},
		models:      map[string][]*structs.ModelVersion{},
		reports:     map[string][]*structs.SiteReport{},
		alerts:      map[string]*structs.Alert{},
		projects:    map[string]*structs.Project{},
		classes:     map[string]*structs.PriorityClass{},
	}
}

// LatestIndex is the Raft index of the last applied mutation.
func (s *Store) LatestIndex() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.index
}

// WatchCh returns a channel closed at the next mutation (or when the store is
// abandoned by a restore), for blocking queries.
func (s *Store) WatchCh() <-chan struct{} {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.watch
}

// Abandon wakes every watcher; called when a restore replaces this store.
func (s *Store) Abandon() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.watch)
	s.watch = make(chan struct{})
}

// bump records a mutation at index; the caller holds mu.
func (s *Store) bump(index uint64) {
	if index > s.index {
		s.index = index
	}
	close(s.watch)
	s.watch = make(chan struct{})
}

// SetIndex records that index was applied without a table change (a command that
// failed validation at apply time, or a skipped unknown type).
func (s *Store) SetIndex(index uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bump(index)
}

// sortedValues returns copies of the map values sorted by key.
func sortedValues[V any](m map[string]*V, cp func(*V) *V, keep func(*V) bool) []*V {
	keys := slices.Sorted(maps.Keys(m))
	out := make([]*V, 0, len(keys))
	for _, k := range keys {
		if v := m[k]; keep == nil || keep(v) {
			out = append(out, cp(v))
		}
	}
	return out
}

// Snapshot returns a deep copy of the store for an FSM snapshot to persist while
// applies continue on the original.
func (s *Store) Snapshot() *Store {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := New()
	c.index, c.aclBoot = s.index, s.aclBoot
	for k, v := range s.nodes {
		c.nodes[k] = v.Copy()
	}
	for k, v := range s.experiments {
		c.experiments[k] = v.Copy()
	}
	for k, v := range s.attempts {
		c.attempts[k] = v.Copy()
	}
	for k, v := range s.checkpoints {
		c.checkpoints[k] = v.Copy()
	}
	for k, v := range s.datasets {
		c.datasets[k] = v.Copy()
	}
	for k, v := range s.tokens {
		c.tokens[k] = v.Copy()
	}
	maps.Copy(c.bySecret, s.bySecret)
	for k, v := range s.members {
		m := *v
		c.members[k] = &m
	}
	for k, vs := range s.models {
		for _, v := range vs {
			c.models[k] = append(c.models[k], v.Copy())
		}
	}
	for k, v := range s.alerts {
		c.alerts[k] = v.Copy()
	}
	for k, rs := range s.reports {
		c.reports[k] = slices.Clone(rs) // reports are never changed in place
	}
	for k, v := range s.projects {
		c.projects[k] = v.Copy()
	}
	for k, v := range s.classes {
		cc := *v
		cc.Roles = slices.Clone(v.Roles)
		c.classes[k] = &cc
	}
	c.audit = slices.Clone(s.audit)
	return c
}

// ACLBootstrapIndex is the index at which ACLs were bootstrapped, 0 if never.
func (s *Store) ACLBootstrapIndex() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.aclBoot
}

func byCreateIndex[V any](idx func(*V) uint64, id func(*V) string) func(a, b *V) int {
	return func(a, b *V) int {
		if c := cmp.Compare(idx(a), idx(b)); c != 0 {
			return c
		}
		return cmp.Compare(id(a), id(b))
	}
}

// RestoreIndex sets the latest index from a snapshot.
func (s *Store) RestoreIndex(index uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.index = index
}
