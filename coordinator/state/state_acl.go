package state

import (
	"fmt"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// BootstrapACL stores the first admin token. It succeeds once per cluster.
func (s *Store) BootstrapACL(index uint64, req *structs.ACLBootstrapRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.aclBoot != 0 {
		return fmt.Errorf("acl already bootstrapped at index %d: %w", s.aclBoot, structs.ErrConflict)
	}
	if err := s.insertToken(index, &req.Token, req.Timestamp); err != nil {
		return err
	}
	s.aclBoot = index
	s.bump(index)
	return nil
}

// UpsertToken stores a new token.
func (s *Store) UpsertToken(index uint64, req *structs.ACLTokenUpsertRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.insertToken(index, &req.Token, req.Timestamp); err != nil {
		return err
	}
	s.bump(index)
	return nil
}

func (s *Store) insertToken(index uint64, in *structs.ACLToken, ts int64) error {
	if in.AccessorID == "" || in.SecretHash == "" {
		return structs.Invalid("token", "accessor_id and secret_hash are required")
	}
	for i, r := range in.Roles {
		if !structs.ValidRole(r) {
			return structs.Invalid(fmt.Sprintf("roles[%d]", i), fmt.Sprintf("unknown role %q", r))
		}
	}
	if _, ok := s.tokens[in.AccessorID]; ok {
		return fmt.Errorf("token %q already exists: %w", in.AccessorID, structs.ErrConflict)
	}
	if _, ok := s.bySecret[in.SecretHash]; ok {
		return fmt.Errorf("token secret collides: %w", structs.ErrConflict)
	}
	t := in.Copy()
	t.CreatedAt, t.CreateIndex, t.ModifyIndex = ts, index, index
	s.tokens[t.AccessorID] = t
	s.bySecret[t.SecretHash] = t.AccessorID
	return nil
}

// DeleteToken removes a token.
func (s *Store) DeleteToken(index uint64, req *structs.ACLTokenDeleteRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[req.AccessorID]
	if !ok {
		return fmt.Errorf("token %q: %w", req.AccessorID, structs.ErrNotFound)
	}
	delete(s.tokens, t.AccessorID)
	delete(s.bySecret, t.SecretHash)
	s.bump(index)
	return nil
}

// TokenBySecretHash resolves a presented secret (already hashed) to its token.
func (s *Store) TokenBySecretHash(hash string) (*structs.ACLToken, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.bySecret[hash]
	if !ok {
		return nil, structs.ErrUnauthenticated
	}
	return s.tokens[id].Copy(), nil
}

// TokenByAccessor returns the token with this accessor ID.
func (s *Store) TokenByAccessor(id string) (*structs.ACLToken, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.tokens[id]
	if !ok {
		return nil, fmt.Errorf("token %q: %w", id, structs.ErrNotFound)
	}
	return t.Copy(), nil
}

// Tokens lists every token, sorted by accessor ID.
func (s *Store) Tokens() []*structs.ACLToken {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedValues(s.tokens, (*structs.ACLToken).Copy, nil)
}

// RestoreToken inserts a token from a snapshot.
func (s *Store) RestoreToken(t *structs.ACLToken) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[t.AccessorID] = t.Copy()
	s.bySecret[t.SecretHash] = t.AccessorID
}

// RestoreACLBootstrap restores the bootstrap marker from a snapshot.
func (s *Store) RestoreACLBootstrap(index uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.aclBoot = index
}
