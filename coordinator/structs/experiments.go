package structs

import "github.com/dxtrain/dxtrain/experiments"

// Experiment statuses: pending → running → succeeded | failed | cancelled. A failed
// attempt sends a running experiment back to pending while restarts remain.
const (
	ExperimentPending   = "pending"
	ExperimentRunning   = "running"
	ExperimentSucceeded = "succeeded"
	ExperimentFailed    = "failed"
	ExperimentCancelled = "cancelled"
)

// ExperimentTerminal reports whether an experiment status is final.
func ExperimentTerminal(status string) bool {
	return status == ExperimentSucceeded || status == ExperimentFailed || status == ExperimentCancelled
}

// Progress is the latest training progress an agent reported.
type Progress struct {
	AttemptID     string             `json:"attempt_id,omitempty"`
	Step          int64              `json:"step"`
	Epoch         int                `json:"epoch"`
	Loss          float64            `json:"loss"`
	SamplesPerSec float64            `json:"samples_per_sec"`
	Metrics       map[string]float64 `json:"metrics,omitempty"`
	ReportedAt    int64              `json:"reported_at"`
}

// Experiment is a submitted training run.
type Experiment struct {
	ID           string           `json:"id"`
	Name         string           `json:"name"`
	Spec         experiments.Spec `json:"spec"`
	SpecYAML     string           `json:"spec_yaml"`
	SpecHash     string           `json:"spec_hash"`
	Status       string           `json:"status"`
	StatusReason string           `json:"status_reason,omitempty"`
	Restarts     int              `json:"restarts"`
	Submitter    string           `json:"submitter,omitempty"` // accessor ID of the submitting token
	Progress     Progress         `json:"progress"`
	CreatedAt    int64            `json:"created_at"`
	UpdatedAt    int64            `json:"updated_at"`
	CreateIndex  uint64           `json:"create_index"`
	ModifyIndex  uint64           `json:"modify_index"`
}

// Copy returns a deep copy (the spec's slices are shared: specs are never mutated).
func (e *Experiment) Copy() *Experiment {
	c := *e
	if e.Progress.Metrics != nil {
		c.Progress.Metrics = make(map[string]float64, len(e.Progress.Metrics))
		for k, v := range e.Progress.Metrics {
			c.Progress.Metrics[k] = v
		}
	}
	return &c
}

// ExperimentSubmitRequest creates a pending experiment; the leader stamps its ID.
type ExperimentSubmitRequest struct {
	WriteRequest
	Experiment Experiment `json:"experiment"`
}

// ExperimentCancelRequest cancels an experiment and ends its running attempt.
type ExperimentCancelRequest struct {
	WriteRequest
	ExperimentID string `json:"experiment_id"`
	Reason       string `json:"reason,omitempty"`
}

// ExperimentProgressRequest records an agent's progress report.
type ExperimentProgressRequest struct {
	WriteRequest
	ExperimentID string   `json:"experiment_id"`
	Progress     Progress `json:"progress"`
}
