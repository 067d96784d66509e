package shards

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/dxtrain/dxtrain/safetensors"
	"github.com/dxtrain/dxtrain/storage"
)

// DefaultShardBytes is the target shard size when none is configured.
const DefaultShardBytes = 64 << 20

// Tensor names inside a shard.
const (
	TensorFeatures       = "features"
	TensorLabels         = "labels"
	TensorRowIDs         = "row_ids"
	TensorSubgroupPrefix = "subgroup."
	// TensorPatients holds each record's pseudonymous patient id as its 16 bytes
	// (uint8 [n, 16]), in datasets whose records are grouped by patient (DICOM):
	// what lets a reader check that no patient spans two splits.
	TensorPatients = "patient_ids"
)

// PatientIDBytes is the size of one pseudonymous patient id in TensorPatients.
const PatientIDBytes = 16

// shardFormat is the value of the "format" metadata key of every shard.
const shardFormat = "dxtrain-shard-1"

// Records is one split's data in memory, in split order: record i has
// features X[i*F:(i+1)*F], label Y[i] and subgroup codes Subgroups[g][i].
type Records struct {
	X         []float32
	Y         []int32
	Subgroups [][]int32 // one slice per manifest subgroup, in order
	// Patients are the records' pseudonymous patient ids (32 lower-case hex
	// digits), when WriterConfig.Patients; nil otherwise.
	Patients []string
}

// Len is the number of records.
func (r *Records) Len() int { return len(r.Y) }

// Writer cuts records into shards of about TargetBytes and uploads them.
type Writer struct {
	store        storage.Store
	target       int64
	featureShape []int
	classes      int
	subgroups    []string
	patients     bool
	uploaded     []string
	log          *slog.Logger
}

// WriterConfig configures a Writer.
type WriterConfig struct {
	Store        storage.Store
	TargetBytes  int64    // 0 means DefaultShardBytes
	FeatureShape []int    // shape of one record's features
	Classes      int      // number of classes
	Subgroups    []string // subgroup attribute names, in Records.Subgroups order
	// Patients writes Records.Patients into every shard as TensorPatients.
	Patients bool
	Logger   *slog.Logger
}

// NewWriter checks the configuration.
func NewWriter(cfg WriterConfig) (*Writer, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("shard writer: %w: no store", ErrConfig)
	}
	if cfg.TargetBytes == 0 {
		cfg.TargetBytes = DefaultShardBytes
	}
	if cfg.TargetBytes < 0 {
		return nil, fmt.Errorf("shard writer: %w: target size %d", ErrConfig, cfg.TargetBytes)
	}
	if cfg.Classes < 2 {
		return nil, fmt.Errorf("shard writer: %w: %d classes", ErrConfig, cfg.Classes)
	}
	if len(cfg.FeatureShape) == 0 {
		return nil, fmt.Errorf("shard writer: %w: no feature shape", ErrConfig)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Writer{store: cfg.Store, target: cfg.TargetBytes, featureShape: append([]int(nil), cfg.FeatureShape...),
		classes: cfg.Classes, subgroups: append([]string(nil), cfg.Subgroups...), patients: cfg.Patients, log: log}, nil
}

// Uploaded lists the shards this writer put into the store that were not
// there before, for sweeping when the dataset is not registered. Shards
// that already existed (equal content from another dataset) are left out:
// they may belong to a registered dataset.
func (w *Writer) Uploaded() []string { return append([]string(nil), w.uploaded...) }

// recordBytes is the size of one record across all tensors of a shard.
func (w *Writer) recordBytes() int64 {
	n := int64(4)
	for _, d := range w.featureShape {
		n *= int64(d)
	}
	n += 4 + 8 + 4*int64(len(w.subgroups))
	if w.patients {
		n += PatientIDBytes
	}
	return n
}

// RecordsPerShard is how many records go into each shard (the last may
// hold fewer): TargetBytes / bytes per record, at least 1.
func (w *Writer) RecordsPerShard() int {
	return int(max(1, w.target/w.recordBytes()))
}

// WritePart shards and uploads one split's records and returns its part.
func (w *Writer) WritePart(ctx context.Context, name string, recs *Records) (Part, error) {
	f := 1
	for _, d := range w.featureShape {
		f *= d
	}
	n := recs.Len()
	if len(recs.X) != n*f || len(recs.Subgroups) != len(w.subgroups) {
		return Part{}, fmt.Errorf("write split %s: %w: %d features for %d records of %d, %d subgroup columns for %d",
			name, ErrConfig, len(recs.X), n, f, len(recs.Subgroups), len(w.subgroups))
	}
	if w.patients != (recs.Patients != nil) || (w.patients && len(recs.Patients) != n) {
		return Part{}, fmt.Errorf("write split %s: %w: %d patient ids for %d records (patients configured: %v)", name, ErrConfig, len(recs.Patients), n, w.patients)
	}
	part := Part{Records: int64(n), LabelCounts: make([]int64, w.classes), Shards: []ShardRef{}}
	per := w.RecordsPerShard()
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		ref, err := w.writeShard(ctx, recs, lo, hi, f)
		if err != nil {
			return Part{}, fmt.Errorf("write split %s shard %d: %w", name, len(part.Shards), err)
		}
		for c, k := range ref.LabelCounts {
			part.LabelCounts[c] += k
		}
		part.Shards = append(part.Shards, ref)
	}
	return part, nil
}

func (w *Writer) writeShard(ctx context.Context, recs *Records, lo, hi, f int) (ShardRef, error) {
	ref := ShardRef{Records: int64(hi - lo), FirstRow: int64(lo), LabelCounts: make([]int64, w.classes)}
	for _, y := range recs.Y[lo:hi] {
		if y < 0 || int(y) >= w.classes {
			return ref, fmt.Errorf("%w: class %d out of 0..%d", ErrConfig, y, w.classes-1)
		}
		ref.LabelCounts[y]++
	}
	rows := make([]int64, hi-lo)
	for i := range rows {
		rows[i] = int64(lo + i)
	}
	shape := append([]int{hi - lo}, w.featureShape...)
	tensors := []safetensors.Tensor{
		safetensors.F32(TensorFeatures, shape, recs.X[lo*f:hi*f]),
		safetensors.I32(TensorLabels, []int{hi - lo}, recs.Y[lo:hi]),
		safetensors.I64(TensorRowIDs, []int{hi - lo}, rows),
	}
	for g, name := range w.subgroups {
		tensors = append(tensors, safetensors.I32(TensorSubgroupPrefix+name, []int{hi - lo}, recs.Subgroups[g][lo:hi]))
	}
	if w.patients {
		ids := make([]byte, 0, (hi-lo)*PatientIDBytes)
		for i, p := range recs.Patients[lo:hi] {
			b, err := hex.DecodeString(p)
			if err != nil || len(b) != PatientIDBytes {
				return ref, fmt.Errorf("%w: record %d: the patient id is not a %d-byte pseudonym", ErrConfig, lo+i, PatientIDBytes)
			}
			ids = append(ids, b...)
		}
		tensors = append(tensors, safetensors.U8(TensorPatients, []int{hi - lo, PatientIDBytes}, ids))
	}
	data, err := safetensors.Marshal(tensors, map[string]string{"format": shardFormat, "records": strconv.Itoa(hi - lo)})
	if err != nil {
		return ref, fmt.Errorf("encode: %w", err)
	}
	ref.SHA256 = storage.Digest(data)
	ref.Size = int64(len(data))
	_, statErr := w.store.Stat(ctx, storage.BlobKey(ref.SHA256))
	existed := statErr == nil
	if statErr != nil && !errors.Is(statErr, storage.ErrNotFound) {
		return ref, fmt.Errorf("stat shard %s: %w", ref.SHA256, statErr)
	}
	if _, err := storage.PutBlob(ctx, w.store, data); err != nil {
		return ref, fmt.Errorf("upload shard: %w", err)
	}
	if !existed {
		w.uploaded = append(w.uploaded, ref.SHA256)
	}
	w.log.Debug("shard uploaded", "sha256", ref.SHA256, "records", ref.Records, "bytes", ref.Size, "existed", existed)
	return ref, nil
}

// Sweep deletes the given blobs (best effort) and returns the ones it could
// not delete, with the joined errors.
func Sweep(ctx context.Context, s storage.Store, shas []string) ([]string, error) {
	var left []string
	var errs []error
	for _, sha := range shas {
		if err := s.Delete(context.WithoutCancel(ctx), storage.BlobKey(sha)); err != nil {
			left = append(left, sha)
			errs = append(errs, fmt.Errorf("delete shard %s: %w", sha, err))
		}
	}
	return left, errors.Join(errs...)
}
