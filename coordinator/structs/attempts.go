package structs

// Attempt statuses. An attempt is created running (its ranks are placed) and ends once.
const (
	AttemptRunning   = "running"
	AttemptSucceeded = "succeeded"
	AttemptFailed    = "failed"
	AttemptCancelled = "cancelled"
)

// Rank is one member of an attempt's fixed world.
type Rank struct {
	Rank    int    `json:"rank"`
	NodeID  string `json:"node_id"`
	Address string `json:"address"`
}

// Attempt is one placement of an experiment: a fixed world of ranks that runs until it
// succeeds, fails (a rank failed or its node went down) or is cancelled.
type Attempt struct {
	ID           string `json:"id"`
	ExperimentID string `json:"experiment_id"`
	Number       int    `json:"number"` // 1 for the first attempt of the experiment
	Ranks        []Rank `json:"ranks"`
	// ResumeFrom is the checkpoint ID the attempt starts from ("" = from scratch). The
	// FSM fills it with the latest committed checkpoint when the attempt is created.
	ResumeFrom  string `json:"resume_from,omitempty"`
	Status      string `json:"status"`
	EndReason   string `json:"end_reason,omitempty"`
	CreatedAt   int64  `json:"created_at"`
	EndedAt     int64  `json:"ended_at,omitempty"`
	CreateIndex uint64 `json:"create_index"`
	ModifyIndex uint64 `json:"modify_index"`
}

// Copy returns a deep copy.
func (a *Attempt) Copy() *Attempt {
	c := *a
	c.Ranks = append([]Rank(nil), a.Ranks...)
	return &c
}

// HasNode reports whether any rank of the attempt runs on the node.
func (a *Attempt) HasNode(nodeID string) bool {
	for _, r := range a.Ranks {
		if r.NodeID == nodeID {
			return true
		}
	}
	return false
}

// AttemptCreateRequest commits a placement decided by the leader's scheduler.
type AttemptCreateRequest struct {
	WriteRequest
	Attempt Attempt `json:"attempt"`
}

// AttemptEndRequest ends a running attempt. A failed attempt sends its experiment back
// to pending while restarts remain, and fails it otherwise.
type AttemptEndRequest struct {
	WriteRequest
	AttemptID string `json:"attempt_id"`
	Rank      int    `json:"rank"`
	Status    string `json:"status"` // succeeded or failed
	Reason    string `json:"reason,omitempty"`
}
