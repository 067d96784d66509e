package state

import (
	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// AppendAudit appends an entry stamped with the Raft index of the write it describes.
func (s *Store) AppendAudit(index uint64, e structs.AuditEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.Index = index
	s.audit = append(s.audit, e)
	s.bump(index)
}

// Audit returns the entries with Index > after, oldest first, at most limit (0 = all).
func (s *Store) Audit(after uint64, limit int) []structs.AuditEntry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []structs.AuditEntry{}
	for _, e := range s.audit {
		if e.Index > after {
			out = append(out, e)
			if limit > 0 && len(out) == limit {
				break
			}
		}
	}
	return out
}

// RestoreAudit appends an entry from a snapshot (entries arrive in log order).
func (s *Store) RestoreAudit(e structs.AuditEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.audit = append(s.audit, e)
}
