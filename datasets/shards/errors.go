package shards

import "errors"

// Sentinel errors; returned errors wrap them with the split, shard and hash.
var (
	// ErrManifest means a manifest is malformed, inconsistent or not in
	// canonical form.
	ErrManifest = errors.New("invalid manifest")
	// ErrShard means a shard's bytes hash correctly but its tensors do not
	// match the manifest (shape, record count, row ids, labels).
	ErrShard = errors.New("shard does not match the manifest")
	// ErrConfig means writer or loader options are out of range.
	ErrConfig = errors.New("invalid configuration")
)
