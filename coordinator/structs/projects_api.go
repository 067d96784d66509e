package structs

// ProjectStatus is a project with what it holds now, for `dxtrain projects`.
type ProjectStatus struct {
	Project
	// InUse is the devices per kind its running attempts hold.
	InUse map[string]int `json:"in_use"`
	// Usage is its decayed device-seconds per kind: what fair share orders by.
	Usage   map[string]float64 `json:"usage"`
	Running int                `json:"running"`
	Pending int                `json:"pending"`
	// Notes say what people should know: a quota below current use, and so on.
	Notes []string `json:"notes,omitempty"`
}

// ProjectSetRequest is the body of PUT /v1/projects/{name}: the whole project.
type ProjectSetRequest struct {
	Members     []string       `json:"members"`
	Quota       map[string]int `json:"quota"`
	BorrowLimit map[string]int `json:"borrow_limit"`
	Weight      float64        `json:"weight"`
}

// ProjectSetResponse answers a project change, with any note (a quota below use).
type ProjectSetResponse struct {
	Index uint64   `json:"index"`
	Notes []string `json:"notes,omitempty"`
}

// PriorityClassSetRequest is the body of PUT /v1/priority-classes/{name}.
type PriorityClassSetRequest struct {
	Value       int      `json:"value"`
	Roles       []string `json:"roles"`
	Description string   `json:"description"`
}

// QueueEntry is one pending experiment in the leader's last scheduling pass.
type QueueEntry struct {
	Position     int    `json:"position"`
	ExperimentID string `json:"experiment_id"`
	Name         string `json:"name"`
	Project      string `json:"project"`
	Priority     string `json:"priority"`
	// Reason says why it waits.
	Reason string `json:"reason"`
	// EstimatedStart is unix nanoseconds, 0 when it cannot be estimated.
	EstimatedStart int64 `json:"estimated_start,omitempty"`
	QueuedAt       int64 `json:"queued_at"`
}

// QueueResponse is GET /v1/queue.
type QueueResponse struct {
	// At is when the leader's pass ran (unix nanoseconds).
	At      int64        `json:"at"`
	Entries []QueueEntry `json:"entries"`
}
