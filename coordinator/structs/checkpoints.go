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
	Refused     *CheckpointRefusal `json:"refused,omitempty"`
	CreateIndex uint64             `json:"create_index"`
	ModifyIndex uint64             `json:"modify_index"`
}

// Copy returns a deep copy.
func (c *Checkpoint) Copy() *Checkpoint {
	o := *c
	o.BlobHashes = append([]string(nil), c.BlobHashes...)
	if c.Refused != nil {
		r := *c.Refused
		o.Refused = &r
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
}
