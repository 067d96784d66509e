package state

import (
	"fmt"

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

// AuditTail returns the newest n audit entries, oldest first.
func (s *Store) AuditTail(n int) []structs.AuditEntry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]structs.AuditEntry{}, s.audit[max(len(s.audit)-n, 0):]...)
}

// RestoreAudit appends an entry from a snapshot (entries arrive in log order).
func (s *Store) RestoreAudit(e structs.AuditEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.audit = append(s.audit, e)
}

// RecordSecurityEvents appends one audit entry per refusal run.
func (s *Store) RecordSecurityEvents(index uint64, req *structs.SecurityEventsRequest) error {
	for _, ev := range req.Events {
		msg := ev.Reason
		if ev.Peer != "" {
			msg += " (" + ev.Peer + ")"
		}
		if ev.Count > 1 {
			msg += fmt.Sprintf(" ×%d", ev.Count)
		}
		s.AppendAudit(index, structs.AuditEntry{Time: ev.Last, Actor: "peer " + ev.Source, Action: structs.ActionTLSRefused,
			Target: ev.Server + "/" + ev.Listener, Outcome: structs.OutcomeRefused, Error: msg})
	}
	s.SetIndex(index)
	return nil
}
