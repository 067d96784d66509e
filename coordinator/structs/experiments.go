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
	// ExperimentTimedOut ran past its spec's time_limit and stopped at a checkpoint.
	ExperimentTimedOut = "timed_out"
)

// ExperimentTerminal reports whether an experiment status is final.
func ExperimentTerminal(status string) bool {
	return status == ExperimentSucceeded || status == ExperimentFailed || status == ExperimentCancelled || status == ExperimentTimedOut
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
	// Preemptions are the times (unix nanoseconds) its attempts were preempted,
	// newest last; a run preempted often within the protection window is protected.
	Preemptions []int64 `json:"preemptions,omitempty"`
	// QueuedAt is when the experiment last became pending: its age in the queue.
	QueuedAt  int64    `json:"queued_at,omitempty"`
	Submitter string   `json:"submitter,omitempty"` // accessor ID of the submitting token
	Progress  Progress `json:"progress"`
	// CodeBundle is the SHA-256 of the code bundle of a runtime: torch experiment: the
	// researcher's code directory packed deterministically by `dxtrain run`.
	CodeBundle string `json:"code_bundle,omitempty"`
	// Series is the reported metrics over time, bounded to MaxSeriesPoints.
	Series []SeriesPoint `json:"series,omitempty"`
	// Artifacts are the files a run produced besides its checkpoints (a torch run's
	// ONNX model), each checked by the agent before it was recorded.
	Artifacts   []Artifact `json:"artifacts,omitempty"`
	CreatedAt   int64      `json:"created_at"`
	UpdatedAt   int64      `json:"updated_at"`
	CreateIndex uint64     `json:"create_index"`
	ModifyIndex uint64     `json:"modify_index"`
}

// MaxSeriesPoints bounds an experiment's metric series: when full, every other
// point is dropped, so the series keeps the whole run at half the resolution. 2,560
// reports of the native engine's four metrics are the 10,000 points the console's
// experiment page is measured with.
const MaxSeriesPoints = 2560

// SeriesPoint is one progress report in an experiment's metric series.
type SeriesPoint struct {
	Step       int64              `json:"step"`
	AttemptID  string             `json:"attempt_id,omitempty"`
	Metrics    map[string]float64 `json:"metrics"`
	ReportedAt int64              `json:"reported_at"`
}

// Artifact is a file a run produced, stored content-addressed.
type Artifact struct {
	Name      string  `json:"name"` // "model.onnx"
	SHA256    string  `json:"sha256"`
	Size      int64   `json:"size"`
	Step      int64   `json:"step"` // the step of the checkpoint it was made after
	AttemptID string  `json:"attempt_id"`
	MaxDiff   float64 `json:"max_abs_diff"` // ONNX Runtime vs the script's own outputs
	// SampleInputs and SampleOutputs are the SHA-256s of the .npy samples the script
	// handed over with the model (its inputs, and its own framework's outputs), so that
	// a release checks the model against them again.
	SampleInputs  string `json:"sample_inputs_sha256,omitempty"`
	SampleOutputs string `json:"sample_outputs_sha256,omitempty"`
	CreatedAt     int64  `json:"created_at"`
}

// Copy returns a deep copy (the spec's slices are shared: specs are never mutated).
func (e *Experiment) Copy() *Experiment {
	c := e.Summary()
	c.SpecYAML = e.SpecYAML
	c.Series = append([]SeriesPoint(nil), e.Series...) // points are never mutated once appended
	return c
}

// Summary is a deep copy without the metric series and the spec's text, which a
// list of long runs would otherwise copy and send megabytes of.
func (e *Experiment) Summary() *Experiment {
	c := *e
	c.Series, c.SpecYAML = nil, ""
	c.Artifacts = append([]Artifact(nil), e.Artifacts...)
	c.Preemptions = append([]int64(nil), e.Preemptions...)
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

// ExperimentArtifactRequest records an artifact of a running attempt.
type ExperimentArtifactRequest struct {
	WriteRequest
	ExperimentID string   `json:"experiment_id"`
	Artifact     Artifact `json:"artifact"`
}
