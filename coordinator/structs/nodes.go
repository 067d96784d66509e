package structs

// Node statuses. A draining node keeps its running attempts but gets no new ones.
const (
	NodeStatusUp       = "up"
	NodeStatusDown     = "down"
	NodeStatusDraining = "draining"
)

// Device health values, as reported by the agent's device monitor.
const (
	DeviceHealthy   = "healthy"
	DeviceUnhealthy = "unhealthy"
	DeviceCordoned  = "cordoned"
)

// Device is one compute device of a node.
type Device struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"` // "cpu" or "gpu"
	Name   string `json:"name,omitempty"`
	Health string `json:"health"`
}

// Node is a worker agent's machine.
type Node struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Address string   `json:"address"` // host:port the ranks of an attempt use to reach it
	Devices []Device `json:"devices"`
	Status  string   `json:"status"`
	// Drain is set by an operator; Status is "draining" while it is set and the node is up.
	Drain bool `json:"drain"`
	// StatusUpdatedAt is the leader time (Unix ns) of the last status change.
	StatusUpdatedAt int64  `json:"status_updated_at"`
	StatusReason    string `json:"status_reason,omitempty"`
	CreateIndex     uint64 `json:"create_index"`
	ModifyIndex     uint64 `json:"modify_index"`
}

// Copy returns a deep copy.
func (n *Node) Copy() *Node {
	c := *n
	c.Devices = append([]Device(nil), n.Devices...)
	return &c
}

// HealthyDevices counts the healthy devices of a kind ("" counts every kind).
func (n *Node) HealthyDevices(kind string) int {
	c := 0
	for _, d := range n.Devices {
		if d.Health == DeviceHealthy && (kind == "" || d.Kind == kind) {
			c++
		}
	}
	return c
}

// NodeRegisterRequest registers a node or updates its address and devices. A
// registering node that was down comes back up.
type NodeRegisterRequest struct {
	WriteRequest
	Node Node `json:"node"`
}

// NodeStatusRequest commits a status change decided by the leader (heartbeat lost).
// Marking a node down fails every running attempt with a rank on it.
type NodeStatusRequest struct {
	WriteRequest
	NodeID string `json:"node_id"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// NodeDrainRequest sets or clears a node's drain flag.
type NodeDrainRequest struct {
	WriteRequest
	NodeID string `json:"node_id"`
	Enable bool   `json:"enable"`
}
