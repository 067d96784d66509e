// Package checkpoint is dxtrain's checkpoint format and its lifecycle: the manifest,
// the safetensors blobs it names by SHA-256, the asynchronous writer, the ledger that
// makes a checkpoint exist, and the loading and verification a resume or a validator
// needs.
package checkpoint

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/storage"
)

// FormatVersion is bumped whenever the manifest's or the blobs' meaning changes.
//   - 2: a dense layer's weight, and each optimizer tensor of it, is stored [out, in],
//     PyTorch's Linear layout, which the engine computes in (see ops.Dense).
//   - 1: the same tensors stored [in, out]. Load still reads it, transposing them
//     (upgradeDenseLayout), so runs written before keep resuming and replaying.
const FormatVersion = 2

// oldestFormatVersion is the oldest format this build reads.
const oldestFormatVersion = 1

// Blob names one safetensors blob of a checkpoint.
type Blob struct {
	Name   string `json:"name"`   // "params" or "optimizer"
	SHA256 string `json:"sha256"` // content address in the store
	Size   int64  `json:"size"`
}

// Cursor is where training stands: enough, with the seed, to continue bit for bit.
type Cursor struct {
	Step           int64 `json:"step"`            // optimizer steps taken
	Epoch          int   `json:"epoch"`           // current epoch, from 0
	BatchInEpoch   int   `json:"batch_in_epoch"`  // next batch of the epoch
	OptimizerSteps int64 `json:"optimizer_steps"` // the LR schedule's position and Adam's t
}

// RNG records the random state. Every random choice in training is derived from the
// seed and the cursor (the shuffle of epoch e is PCG(seed, e)), so the seed is the state.
type RNG struct {
	Algorithm string `json:"algorithm"`
	Seed      uint64 `json:"seed"`
}

// Manifest describes one checkpoint. Its own SHA-256 (of the canonical JSON) is the
// checkpoint's identity. A native checkpoint names a "params" and an "optimizer"
// blob and its network; a torch one (Runtime "torch") names the files the script
// handed over, each blob named by its relative path, and the code bundle that wrote it.
type Manifest struct {
	FormatVersion int    `json:"format_version"`
	Runtime       string `json:"runtime,omitempty"` // "" (native) or "torch"
	Experiment    string `json:"experiment"`
	Cursor        Cursor `json:"cursor"`
	// Parent is the manifest SHA-256 of the committed checkpoint this one's training
	// continued from: the previous checkpoint of the attempt, or the one the attempt
	// resumed from ("" for a run from scratch). The parents form the run's lineage, so
	// a validator replays each checkpoint from its real predecessor, across restarts.
	Parent    string             `json:"parent,omitempty"`
	RNG       RNG                `json:"rng"`
	Metrics   map[string]float64 `json:"metrics,omitempty"`
	WorldSize int                `json:"world_size"`
	// Threads is each rank's intra-op thread count in a torch run (OMP_NUM_THREADS):
	// CPU kernels may sum in another order with another count, so a replay uses as many.
	Threads     int               `json:"threads,omitempty"`
	Blobs       []Blob            `json:"blobs"`
	Network     models.Network    `json:"network"`
	Preprocess  models.Preprocess `json:"preprocess"`
	DatasetHash string            `json:"dataset_hash"`
	SpecHash    string            `json:"spec_hash"`
	CodeVersion string            `json:"code_version"`
	// CodeBundle is the SHA-256 of the researcher's code bundle (torch runs).
	CodeBundle string    `json:"code_bundle,omitempty"`
	Created    time.Time `json:"created"`
}

// IsTorch reports whether the checkpoint holds a torch script's files.
func (m *Manifest) IsTorch() bool { return m.Runtime == RuntimeTorch }

// RuntimeTorch marks the manifest of a torch run's checkpoint.
const RuntimeTorch = "torch"

// Blob returns the named blob reference.
func (m *Manifest) Blob(name string) (Blob, bool) {
	for _, b := range m.Blobs {
		if b.Name == name {
			return b, true
		}
	}
	return Blob{}, false
}

// Encode is the manifest's canonical JSON.
func (m *Manifest) Encode() ([]byte, error) {
	return json.MarshalIndent(m, "", "  ")
}

// DecodeManifest parses and checks a manifest; source names it in errors.
func DecodeManifest(data []byte, source string) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("checkpoint manifest %s: %w: %v", source, ErrMalformed, err)
	}
	if m.FormatVersion < oldestFormatVersion || m.FormatVersion > FormatVersion {
		return nil, fmt.Errorf("checkpoint manifest %s: %w: format version %d, this build reads %d to %d", source, ErrMalformed, m.FormatVersion, oldestFormatVersion, FormatVersion)
	}
	if m.Experiment == "" {
		return nil, fmt.Errorf("checkpoint manifest %s: %w: no experiment", source, ErrMalformed)
	}
	if m.Cursor.Step < 0 || m.Cursor.Epoch < 0 || m.Cursor.BatchInEpoch < 0 {
		return nil, fmt.Errorf("checkpoint manifest %s: %w: negative cursor %+v", source, ErrMalformed, m.Cursor)
	}
	if m.IsTorch() {
		if err := validateFileBlobs(m.Blobs); err != nil {
			return nil, fmt.Errorf("checkpoint manifest %s: %w: %v", source, ErrMalformed, err)
		}
		return &m, nil
	}
	if m.Runtime != "" {
		return nil, fmt.Errorf("checkpoint manifest %s: %w: unknown runtime %q", source, ErrMalformed, m.Runtime)
	}
	for _, name := range []string{"params", "optimizer"} {
		b, ok := m.Blob(name)
		if !ok {
			return nil, fmt.Errorf("checkpoint manifest %s: %w: no %s blob", source, ErrMalformed, name)
		}
		if err := storage.ValidateDigest(b.SHA256); err != nil {
			return nil, fmt.Errorf("checkpoint manifest %s: %w: %s blob: %v", source, ErrMalformed, name, err)
		}
	}
	if err := m.Network.Validate(); err != nil {
		return nil, fmt.Errorf("checkpoint manifest %s: %w: %v", source, ErrMalformed, err)
	}
	return &m, nil
}
