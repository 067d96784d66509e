package structs

// Node statuses. A draining node keeps its running attempts but gets no new ones.
const (
	NodeStatusUp       = "up"
	NodeStatusDown     = "down"
	NodeStatusDraining = "draining"
)

// Device health values, as reported by the agent's device monitor. Degraded devices
// (hot, throttling) still take work; unhealthy ones do not. DeviceCordoned is the
// value older agents registered; cordoning is now the Cordoned flag.
const (
	DeviceHealthy   = "healthy"
	DeviceDegraded  = "degraded"
	DeviceUnhealthy = "unhealthy"
	DeviceCordoned  = "cordoned"
)

// Device is one compute device of a node. Health and Reasons are what the agent last
// reported (the leader overlays its heartbeat soft state on reads); Cordoned is
// committed: set when the device turned unhealthy, cleared only by an operator.
type Device struct {
	ID           string   `json:"id"`
	Kind         string   `json:"kind"` // "cpu" or "gpu"
	Name         string   `json:"name,omitempty"`
	Health       string   `json:"health"`
	Reasons      []string `json:"reasons,omitempty"`
	Cordoned     bool     `json:"cordoned,omitempty"`
	CordonReason string   `json:"cordon_reason,omitempty"`
	CordonedAt   int64    `json:"cordoned_at,omitempty"`
}

// Usable reports whether the device may take new work: healthy or degraded, and not
// cordoned.
func (d *Device) Usable() bool {
	return !d.Cordoned && (d.Health == DeviceHealthy || d.Health == DeviceDegraded)
}

// DeviceStatus is one device's health in a heartbeat.
type DeviceStatus struct {
	ID      string   `json:"id"`
	Health  string   `json:"health"` // healthy, degraded or unhealthy
	Reasons []string `json:"reasons,omitempty"`
	// UnhealthyForMS, for an unhealthy device, is how long ago the agent first saw the
	// fault (a duration, so agent and leader clocks need not agree). The leader takes
	// the earlier of that and its own first unhealthy report as the fault's start.
	UnhealthyForMS int64 `json:"unhealthy_for_ms,omitempty"`
	// Reading is the device's gauges at the heartbeat, for the console's time series;
	// older agents send none.
	Reading *DeviceReading `json:"reading,omitempty"`
}

// DeviceReading is one device's gauges. A CPU device's utilisation is its one-minute
// load over its cores; fields a device cannot read are zero.
type DeviceReading struct {
	UtilizationPct   int     `json:"utilization_pct"`
	MemoryUsedBytes  uint64  `json:"memory_used_bytes"`
	MemoryTotalBytes uint64  `json:"memory_total_bytes"`
	TemperatureC     int     `json:"temperature_c"`
	PowerWatts       float64 `json:"power_watts"`
}

// DeviceSample is a reading with the leader's time (Unix ms) of the heartbeat.
type DeviceSample struct {
	Time int64 `json:"t"`
	DeviceReading
}

// NodeSamples is GET /v1/nodes/{id}/samples: each device's recent readings, oldest
// first. The leader keeps them in memory only, so a new leader starts empty.
type NodeSamples struct {
	NodeID  string                    `json:"node_id"`
	Devices map[string][]DeviceSample `json:"devices"`
}

// Node is a worker agent's machine.
type Node struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Address string `json:"address"` // host:port the ranks of an attempt use to reach it
	// LogAddress is host:port of the agent's log server (`dxtrain logs` reads the
	// ranks' output there); empty for agents that serve none.
	LogAddress string   `json:"log_address,omitempty"`
	Devices    []Device `json:"devices"`
	Status     string   `json:"status"`
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
	for i := range c.Devices {
		c.Devices[i].Reasons = append([]string(nil), n.Devices[i].Reasons...)
	}
	return &c
}

// Device returns the index of the device with the given ID, or -1.
func (n *Node) Device(id string) int {
	for i := range n.Devices {
		if n.Devices[i].ID == id {
			return i
		}
	}
	return -1
}

// UsableDevices counts the devices of a kind that may take new work ("" counts
// every kind).
func (n *Node) UsableDevices(kind string) int {
	c := 0
	for i := range n.Devices {
		if n.Devices[i].Usable() && (kind == "" || n.Devices[i].Kind == kind) {
			c++
		}
	}
	return c
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

// DeviceUnhealthyRequest commits a device turning unhealthy, decided by the leader from
// heartbeats. In one entry it cordons the device, fails every running attempt with a
// rank on the node, and marks suspect the checkpoints of the node's attempts
// committed at or after FaultSince.
type DeviceUnhealthyRequest struct {
	WriteRequest
	NodeID   string   `json:"node_id"`
	DeviceID string   `json:"device_id"`
	Reasons  []string `json:"reasons,omitempty"`
	// FaultSince is the leader time (Unix ns) of the fault's first sign.
	FaultSince int64 `json:"fault_since"`
}

// DeviceUncordonRequest returns a repaired device to service.
type DeviceUncordonRequest struct {
	WriteRequest
	NodeID   string `json:"node_id"`
	DeviceID string `json:"device_id"`
}
