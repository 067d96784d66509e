package structs

// Alert kinds. The list is closed so that dashboards and the CLI can rely on it;
// append a kind here before anything records it.
const (
	// AlertCheckpointRefused: a resume refused a committed checkpoint whose blobs did
	// not verify (a flipped byte, a truncation, a missing blob) and fell back to an
	// earlier one. Progress since that earlier checkpoint was lost, and the store
	// holding the blob needs a look.
	AlertCheckpointRefused = "checkpoint_refused"
)

// ValidAlertKind reports whether k is a known alert kind.
func ValidAlertKind(k string) bool {
	return k == AlertCheckpointRefused
}

// MaxAlertReasonBytes bounds an alert's reason: an error message, not a log.
const MaxAlertReasonBytes = 4096

// Alert is a replicated record of something an operator or validator must look at.
// It names blobs and checkpoints by hash and ID only; Reason is an error message that
// names the blob, never data values.
type Alert struct {
	ID           string `json:"id"`
	Time         int64  `json:"time"` // the leader's Unix ns when it was recorded
	Kind         string `json:"kind"`
	ExperimentID string `json:"experiment_id"`
	AttemptID    string `json:"attempt_id,omitempty"` // the attempt that saw it
	Step         int64  `json:"step"`
	CheckpointID string `json:"checkpoint_id,omitempty"`
	ManifestHash string `json:"manifest_hash,omitempty"`
	BlobHash     string `json:"blob_hash,omitempty"` // the blob that failed, when known
	Reason       string `json:"reason"`
	// ReportedBy is the accessor ID of the token that recorded it (an agent's).
	ReportedBy string `json:"reported_by"`
	// AckedAt (leader Unix ns) and AckedBy (accessor ID) are set once someone has
	// acknowledged the alert; until then it is open.
	AckedAt     int64  `json:"acked_at,omitempty"`
	AckedBy     string `json:"acked_by,omitempty"`
	CreateIndex uint64 `json:"create_index"`
	ModifyIndex uint64 `json:"modify_index"`
}

// Open reports whether nobody has acknowledged the alert yet.
func (a *Alert) Open() bool { return a.AckedAt == 0 }

// Copy returns a copy (an Alert holds no references).
func (a *Alert) Copy() *Alert {
	c := *a
	return &c
}

// AlertRecordArgs is POST /v1/alerts: an agent reports what it saw. The leader stamps
// the ID and the time.
type AlertRecordArgs struct {
	Kind         string `json:"kind"`
	ExperimentID string `json:"experiment_id"`
	AttemptID    string `json:"attempt_id,omitempty"`
	Step         int64  `json:"step"`
	CheckpointID string `json:"checkpoint_id,omitempty"`
	ManifestHash string `json:"manifest_hash,omitempty"`
	BlobHash     string `json:"blob_hash,omitempty"`
	Reason       string `json:"reason"`
}

// AlertRecordRequest adds an alert.
type AlertRecordRequest struct {
	WriteRequest
	Alert Alert `json:"alert"`
}

// AlertAckRequest acknowledges an open alert; acknowledging twice is a conflict.
type AlertAckRequest struct {
	WriteRequest
	AlertID string `json:"alert_id"`
	AckedBy string `json:"acked_by"`
}
