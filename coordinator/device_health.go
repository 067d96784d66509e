package coordinator

import (
	"sync"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// maxUnhealthyFor bounds how far back an agent may date a fault: a day of checkpoints
// is plenty to distrust, and a bogus value cannot reach back to the first one.
const maxUnhealthyFor = 24 * time.Hour

// heartbeatTransit is how much earlier than the agent's word the leader dates a fault.
// The agent says how long ago it saw the fault, as of when it sent the heartbeat; the
// leader counts back from when the heartbeat arrived, later by a transit it cannot know.
// Dating the fault early costs at most a checkpoint or two marked suspect by caution;
// dating it late would let one written after the fault pass as clean.
const heartbeatTransit = 100 * time.Millisecond

// deviceHealth is the leader's soft state of device health, like heartbeats: what each
// node last reported per device and, for unhealthy devices, when the fault began.
// Only a change to unhealthy is committed (as a cordon).
type deviceHealth struct {
	mu    sync.Mutex
	nodes map[string]map[string]*deviceSoft // node → device → state
}

type deviceSoft struct {
	health  string
	reasons []string
	since   time.Time // first sign of the current fault; zero unless unhealthy
}

func newDeviceHealth() *deviceHealth {
	return &deviceHealth{nodes: map[string]map[string]*deviceSoft{}}
}

// reset forgets everything (a new leader starts from the committed records).
func (h *deviceHealth) reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.nodes = map[string]map[string]*deviceSoft{}
}

// report records one heartbeat's device statuses at now and returns, per unhealthy
// device, the start of its fault: the earlier of the first unhealthy report and what
// the agent says (now − UnhealthyForMS − heartbeatTransit).
func (h *deviceHealth) report(node string, now time.Time, devs []structs.DeviceStatus) map[string]time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.nodes[node]
	if m == nil {
		m = map[string]*deviceSoft{}
		h.nodes[node] = m
	}
	faults := map[string]time.Time{}
	for _, d := range devs {
		prev := m[d.ID]
		cur := &deviceSoft{health: d.Health, reasons: append([]string(nil), d.Reasons...)}
		if d.Health == structs.DeviceUnhealthy {
			ago := min(max(time.Duration(d.UnhealthyForMS)*time.Millisecond, 0)+heartbeatTransit, maxUnhealthyFor)
			cur.since = now.Add(-ago)
			if prev != nil && !prev.since.IsZero() && prev.since.Before(cur.since) {
				cur.since = prev.since
			}
			faults[d.ID] = cur.since
		}
		m[d.ID] = cur
	}
	return faults
}

// forget drops a device's soft state (after an uncordon: a new fault starts afresh).
func (h *deviceHealth) forget(node, device string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.nodes[node], device)
}

// overlay writes the reported health and reasons over a node's committed devices.
func (h *deviceHealth) overlay(n *structs.Node) *structs.Node {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.nodes[n.ID]
	if len(m) == 0 {
		return n
	}
	for i := range n.Devices {
		if st, ok := m[n.Devices[i].ID]; ok {
			n.Devices[i].Health = st.health
			n.Devices[i].Reasons = append([]string(nil), st.reasons...)
		}
	}
	return n
}

// liveNodes returns the committed nodes with this server's device soft state laid
// over them (a follower has none, so it answers with what was registered).
func (s *Server) liveNodes() []*structs.Node {
	nodes := s.State().Nodes()
	for _, n := range nodes {
		s.devices.overlay(n)
	}
	return nodes
}
