package state

import (
	"fmt"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// UpsertMember records a server's Raft and HTTP addresses.
func (s *Store) UpsertMember(index uint64, req *structs.ServerMemberUpsertRequest) error {
	if req.Member.ID == "" {
		return structs.Invalid("member.id", "is empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := req.Member
	m.CreateIndex = index
	if old, ok := s.members[m.ID]; ok {
		m.CreateIndex = old.CreateIndex
	}
	m.ModifyIndex = index
	s.members[m.ID] = &m
	s.bump(index)
	return nil
}

// DeleteMember forgets a server.
func (s *Store) DeleteMember(index uint64, req *structs.ServerMemberDeleteRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.members[req.ID]; !ok {
		return fmt.Errorf("server %q: %w", req.ID, structs.ErrNotFound)
	}
	delete(s.members, req.ID)
	s.bump(index)
	return nil
}

// Member returns one server's addresses.
func (s *Store) Member(id string) (*structs.ServerMember, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.members[id]
	if !ok {
		return nil, fmt.Errorf("server %q: %w", id, structs.ErrNotFound)
	}
	c := *m
	return &c, nil
}

// Members lists every server, sorted by ID.
func (s *Store) Members() []*structs.ServerMember {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedValues(s.members, func(m *structs.ServerMember) *structs.ServerMember { c := *m; return &c }, nil)
}

// RestoreMember inserts a server from a snapshot.
func (s *Store) RestoreMember(m *structs.ServerMember) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *m
	s.members[m.ID] = &c
}
