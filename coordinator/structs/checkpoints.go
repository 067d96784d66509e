package structs

// Checkpoint is a ledger record: a checkpoint whose blobs the agent uploaded and
// verified. The coordinator never touches the blobs; it only names them.
type Checkpoint struct {
	ID           string             `json:"id"`
	ExperimentID string             `json:"experiment_id"`
	AttemptID    string             `json:"attempt_id"`
	Step         int64              `json:"step"`
	Epoch        int                `json:"epoch"`
	ManifestHash string             `json:"manifest_hash"`
	BlobHashes   []string           `json:"blob_hashes"`
	Metrics      map[string]float64 `json:"metrics,omitempty"`
	WorldSize    int                `json:"world_size"`
	CreatedAt    int64              `json:"created_at"`
	Pinned       bool               `json:"pinned"`
	Suspect      bool               `json:"suspect"`
	// Refused is set once a resume refused this checkpoint (a blob did not verify):
	// it is never resumed from or offered as latest again, even when its bytes later
	// hash right (a retrained checkpoint re-uploading the same blob repairs it).
	Refused *CheckpointRefusal `json:"refused,omitempty"`
	// LastReplay is the newest replay of the link that produced this checkpoint, as
	// the validator who ran `checkpoints replay` recorded it.
	LastReplay  *ReplayRecord `json:"last_replay,omitempty"`
	CreateIndex uint64        `json:"create_index"`
	ModifyIndex uint64        `json:"modify_index"`
}

// Copy returns a deep copy.
func (c *Checkpoint) Copy() *Checkpoint {
	o := *c
	o.BlobHashes = append([]string(nil), c.BlobHashes...)
	if c.Refused != nil {
		r := *c.Refused
		o.Refused = &r
	}
	if c.LastReplay != nil {
		r := *c.LastReplay
		o.LastReplay = &r
	}
	if c.Metrics != nil {
		o.Metrics = make(map[string]float64, len(c.Metrics))
		for k, v := range c.Metrics {
			o.Metrics[k] = v
		}
	}
	return &o
}

// CheckpointRefusal is why a checkpoint was refused: the checkpoint_refused alert
// that recorded it, the attempt whose resume refused it, the blob that failed and the
// verify error.
type CheckpointRefusal struct {
	AlertID   string `json:"alert_id"`
	AttemptID string `json:"attempt_id,omitempty"`
	BlobHash  string `json:"blob_hash,omitempty"`
	Reason    string `json:"reason"`
	Time      int64  `json:"time"`
}

// CheckpointCommitRequest adds a checkpoint to the ledger. It is refused unless the
// attempt that wrote it is still running, so a zombie attempt cannot become "latest".
type CheckpointCommitRequest struct {
	WriteRequest
	Checkpoint Checkpoint `json:"checkpoint"`
}

// CheckpointFlagRequest pins/unpins a checkpoint or marks it suspect; nil leaves a flag.
type CheckpointFlagRequest struct {
	WriteRequest
	CheckpointID string `json:"checkpoint_id"`
	Pinned       *bool  `json:"pinned,omitempty"`
	Suspect      *bool  `json:"suspect,omitempty"`
	// Replay records a replay's outcome (the leader stamps By and Time).
	Replay *ReplayRecord `json:"replay,omitempty"`
}

// Replay outcomes.
const (
	ReplayIdentical  = "identical"    // bit-identical to the recorded checkpoint
	ReplayTolerance  = "tolerance"    // within the requested tolerance, not bit-identical
	ReplayDiffers    = "differs"      // the replayed tensors differ
	ReplayNotReplays = "not_replayed" // the replay could not run (missing parent, refused blob)
)

// ReplayRecord is one replay of the link that produced a checkpoint.
type ReplayRecord struct {
	Result string `json:"result"`
	Detail string `json:"detail,omitempty"` // e.g. the first differing tensor
	By     string `json:"by,omitempty"`     // accessor ID of the validator
	Time   int64  `json:"time,omitempty"`
}

// ReportKey is where the clinical report of a checkpoint (by its manifest's SHA-256)
// on a split is kept in the object store: `checkpoints evaluate` writes it, the
// console reads it through GET /v1/checkpoints/{id}/report.
func ReportKey(manifestSHA, split string) string {
	return "reports/" + manifestSHA + "/" + split + ".json"
}
