package state

import (
	"fmt"
	"strings"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// MarkDeviceUnhealthy cordons a device that turned unhealthy and, in the same apply,
// fails every running attempt with a rank on its node and marks suspect the
// checkpoints that the node's attempts committed at or after the fault's first sign —
// those of the running attempts, and of attempts that ended after the fault began
// (a rank that crashed on the fault before the heartbeat told the leader). Resume and
// release skip suspect checkpoints, so the experiment restarts from the last clean one.
func (s *Store) MarkDeviceUnhealthy(index uint64, req *structs.DeviceUnhealthyRequest) error {
	if req.FaultSince <= 0 {
		return structs.Invalid("fault_since", fmt.Sprintf("%d is not a Unix-ns time", req.FaultSince))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.nodes[req.NodeID]
	if !ok {
		return fmt.Errorf("node %q: %w", req.NodeID, structs.ErrNotFound)
	}
	i := old.Device(req.DeviceID)
	if i < 0 {
		return fmt.Errorf("device %q of node %q: %w", req.DeviceID, req.NodeID, structs.ErrNotFound)
	}
	if old.Devices[i].Cordoned {
		return fmt.Errorf("device %q of node %q is already cordoned: %w", req.DeviceID, req.NodeID, structs.ErrConflict)
	}
	why := strings.Join(req.Reasons, "; ")
	if why == "" {
		why = "reported unhealthy"
	}
	reason := fmt.Sprintf("device %s unhealthy: %s", req.DeviceID, why)
	n := old.Copy()
	d := &n.Devices[i]
	d.Health, d.Reasons = structs.DeviceUnhealthy, append([]string(nil), req.Reasons...)
	d.Cordoned, d.CordonReason, d.CordonedAt = true, reason, req.Timestamp
	n.ModifyIndex = index
	s.nodes[n.ID] = n

	affected := map[string]bool{}
	for _, a := range sortedValues(s.attempts, (*structs.Attempt).Copy, nil) {
		if !a.HasNode(n.ID) {
			continue
		}
		switch {
		case a.Status == structs.AttemptRunning:
			s.endAttempt(index, a, structs.AttemptFailed, reason, req.Timestamp)
			affected[a.ID] = true
		case a.EndedAt >= req.FaultSince:
			affected[a.ID] = true
		}
	}
	for id, c := range s.checkpoints {
		if affected[c.AttemptID] && !c.Suspect && c.CreatedAt >= req.FaultSince {
			c = c.Copy()
			c.Suspect, c.ModifyIndex = true, index
			s.checkpoints[id] = c
		}
	}
	s.bump(index)
	return nil
}

// UncordonDevice returns a repaired device to service: it is healthy again until the
// agent reports otherwise.
func (s *Store) UncordonDevice(index uint64, req *structs.DeviceUncordonRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.nodes[req.NodeID]
	if !ok {
		return fmt.Errorf("node %q: %w", req.NodeID, structs.ErrNotFound)
	}
	i := old.Device(req.DeviceID)
	if i < 0 {
		return fmt.Errorf("device %q of node %q: %w", req.DeviceID, req.NodeID, structs.ErrNotFound)
	}
	if !old.Devices[i].Cordoned {
		return fmt.Errorf("device %q of node %q is not cordoned: %w", req.DeviceID, req.NodeID, structs.ErrConflict)
	}
	n := old.Copy()
	d := &n.Devices[i]
	d.Health, d.Reasons = structs.DeviceHealthy, nil
	d.Cordoned, d.CordonReason, d.CordonedAt = false, "", 0
	n.ModifyIndex = index
	s.nodes[n.ID] = n
	s.bump(index)
	return nil
}

// keepCordons carries the committed cordons of old devices over to a re-registration:
// an agent cannot lift a cordon by registering again.
func keepCordons(n, old *structs.Node) {
	for i := range n.Devices {
		d := &n.Devices[i]
		d.Cordoned, d.CordonReason, d.CordonedAt = false, "", 0
		if old == nil {
			continue
		}
		if j := old.Device(d.ID); j >= 0 && old.Devices[j].Cordoned {
			o := old.Devices[j]
			d.Cordoned, d.CordonReason, d.CordonedAt = true, o.CordonReason, o.CordonedAt
		}
	}
}
