package structs

// Attempt statuses. An attempt is created running (its ranks are placed) and ends once.
const (
	AttemptRunning   = "running"
	AttemptSucceeded = "succeeded"
	AttemptFailed    = "failed"
	AttemptCancelled = "cancelled"
	// AttemptStopped is an attempt that ended on a stop request (Attempt.Stop) after
	// committing a checkpoint, or that the leader stopped when its deadline passed.
	AttemptStopped = "stopped"
)

// Why an attempt is asked to stop.
const (
	// StopPreempt gives the attempt's devices to another experiment; the experiment
	// goes back to pending and resumes from its newest committed checkpoint.
	StopPreempt = "preempt"
	// StopTimeLimit ends the experiment: it ran past its spec's time_limit.
	StopTimeLimit = "time_limit"
)

// StopRequest asks a running attempt to checkpoint now and stop. Its agents see it
// in their assignments; the leader stops the attempt itself at Deadline.
type StopRequest struct {
	Reason string `json:"reason"` // StopPreempt or StopTimeLimit
	// Detail says why, for people: "for experiment X (urgent over batch)".
	Detail string `json:"detail"`
	// For is the experiment the devices are freed for (preemption only).
	For         string `json:"for,omitempty"`
	RequestedAt int64  `json:"requested_at"`
	Deadline    int64  `json:"deadline"`
}

// Rank is one member of an attempt's fixed world.
type Rank struct {
	Rank    int    `json:"rank"`
	NodeID  string `json:"node_id"`
	Address string `json:"address"`
	// Devices are the IDs of the node's devices the scheduler gave this rank; its
	// processes see exactly these (CUDA_VISIBLE_DEVICES for GPUs).
	Devices []string `json:"devices,omitempty"`
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
	ResumeFrom string `json:"resume_from,omitempty"`
	// ResumedFrom is the checkpoint ID the attempt really resumed from, as its agent
	// reported it after verifying the checkpoint: ResumeFrom unless a resume refused
	// it and fell back, ResumedFromScratch when none was left, "" until reported.
	ResumedFrom string `json:"resumed_from,omitempty"`
	// Rendezvous is host:port of a torch attempt's rank-0 store (MASTER_ADDR and
	// MASTER_PORT), published by rank 0's agent; the other agents wait for it.
	Rendezvous string `json:"rendezvous,omitempty"`
	// Stop is set once the attempt is asked to checkpoint now and stop.
	Stop        *StopRequest `json:"stop,omitempty"`
	Status      string       `json:"status"`
	EndReason   string       `json:"end_reason,omitempty"`
	CreatedAt   int64        `json:"created_at"`
	EndedAt     int64        `json:"ended_at,omitempty"`
	CreateIndex uint64       `json:"create_index"`
	ModifyIndex uint64       `json:"modify_index"`
}

// Copy returns a deep copy.
func (a *Attempt) Copy() *Attempt {
	c := *a
	if a.Stop != nil {
		stop := *a.Stop
		c.Stop = &stop
	}
	c.Ranks = append([]Rank(nil), a.Ranks...)
	for i := range c.Ranks {
		c.Ranks[i].Devices = append([]string(nil), a.Ranks[i].Devices...)
	}
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
	Status    string `json:"status"` // succeeded, failed, or stopped (on a stop request, after its checkpoint)
	Reason    string `json:"reason,omitempty"`
}

// ResumedFromScratch is Attempt.ResumedFrom when a resume refused every committed
// checkpoint and the attempt trains from the start.
const ResumedFromScratch = "scratch"

// AttemptResumedRequest records the checkpoint a running attempt resumed from, once.
type AttemptResumedRequest struct {
	WriteRequest
	AttemptID    string `json:"attempt_id"`
	CheckpointID string `json:"checkpoint_id"` // or ResumedFromScratch
}

// AttemptRendezvousRequest publishes a running attempt's rendezvous address, once.
type AttemptRendezvousRequest struct {
	WriteRequest
	AttemptID  string `json:"attempt_id"`
	Rendezvous string `json:"rendezvous"`
}

// AttemptStopRequest asks a running attempt to checkpoint and stop (once).
type AttemptStopRequest struct {
	WriteRequest
	AttemptID string      `json:"attempt_id"`
	Stop      StopRequest `json:"stop"`
}
