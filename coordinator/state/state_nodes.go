package state

import (
	"fmt"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// UpsertNode registers a node or refreshes its address and devices. A node that was
// down comes back up (or draining, if its drain flag is set).
func (s *Store) UpsertNode(index uint64, req *structs.NodeRegisterRequest) error {
	if req.Node.ID == "" {
		return structs.Invalid("node.id", "is empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := req.Node.Copy()
	keepCordons(n, s.nodes[n.ID])
	if old, ok := s.nodes[n.ID]; ok {
		n.CreateIndex, n.Drain = old.CreateIndex, old.Drain
		n.Status, n.StatusUpdatedAt, n.StatusReason = old.Status, old.StatusUpdatedAt, old.StatusReason
		if old.Status == structs.NodeStatusDown {
			n.Status, n.StatusUpdatedAt, n.StatusReason = liveStatus(n.Drain), req.Timestamp, "registered"
		}
	} else {
		n.CreateIndex = index
		n.Status, n.StatusUpdatedAt, n.StatusReason = liveStatus(n.Drain), req.Timestamp, "registered"
	}
	n.ModifyIndex = index
	s.nodes[n.ID] = n
	s.bump(index)
	return nil
}

func liveStatus(drain bool) string {
	if drain {
		return structs.NodeStatusDraining
	}
	return structs.NodeStatusUp
}

// UpdateNodeStatus commits a status change. Marking a node down fails every running
// attempt with a rank on it, in the same apply, so nothing is half done.
func (s *Store) UpdateNodeStatus(index uint64, req *structs.NodeStatusRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.nodes[req.NodeID]
	if !ok {
		return fmt.Errorf("node %q: %w", req.NodeID, structs.ErrNotFound)
	}
	switch req.Status {
	case structs.NodeStatusUp, structs.NodeStatusDown:
	default:
		return structs.Invalid("status", fmt.Sprintf("%q is not up or down", req.Status))
	}
	n := old.Copy()
	n.Status = req.Status
	if req.Status == structs.NodeStatusUp {
		n.Status = liveStatus(n.Drain)
	}
	n.StatusUpdatedAt, n.StatusReason, n.ModifyIndex = req.Timestamp, req.Reason, index
	s.nodes[n.ID] = n
	if req.Status == structs.NodeStatusDown {
		reason := fmt.Sprintf("node %s down: %s", n.ID, req.Reason)
		for _, a := range sortedValues(s.attempts, (*structs.Attempt).Copy, nil) {
			if a.Status == structs.AttemptRunning && a.HasNode(n.ID) {
				s.endAttempt(index, a, structs.AttemptFailed, reason, req.Timestamp)
			}
		}
	}
	s.bump(index)
	return nil
}

// DrainNode sets or clears a node's drain flag.
func (s *Store) DrainNode(index uint64, req *structs.NodeDrainRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.nodes[req.NodeID]
	if !ok {
		return fmt.Errorf("node %q: %w", req.NodeID, structs.ErrNotFound)
	}
	n := old.Copy()
	n.Drain = req.Enable
	if n.Status != structs.NodeStatusDown {
		n.Status = liveStatus(n.Drain)
		n.StatusUpdatedAt = req.Timestamp
		n.StatusReason = "drain set"
		if !req.Enable {
			n.StatusReason = "drain cleared"
		}
	}
	n.ModifyIndex = index
	s.nodes[n.ID] = n
	s.bump(index)
	return nil
}

// Node returns one node.
func (s *Store) Node(id string) (*structs.Node, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n, ok := s.nodes[id]
	if !ok {
		return nil, fmt.Errorf("node %q: %w", id, structs.ErrNotFound)
	}
	return n.Copy(), nil
}

// Nodes lists every node, sorted by ID.
func (s *Store) Nodes() []*structs.Node {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedValues(s.nodes, (*structs.Node).Copy, nil)
}

// RestoreNode inserts a node from a snapshot.
func (s *Store) RestoreNode(n *structs.Node) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nodes[n.ID] = n.Copy()
}
