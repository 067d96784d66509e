// Package storage is dxtrain's object store: the interface every blob (dataset shard,
// checkpoint tensor, ONNX release) goes through, with a local-directory backend and an
// S3 backend (minio-go). Blobs are content-addressed by SHA-256.
package storage

import (
	"context"
	"io"
	"time"
)

// Store is a flat key/value object store. Keys are slash-separated relative paths
// ("blobs/sha256/ab12…"); they never start with "/" and never contain "..".
//
// Put is atomic: a reader sees either the whole object or none of it, never a
// partial write, even if the writer crashes mid-way.
type Store interface {
	// Put writes the object, replacing any previous one. size may be -1 if unknown.
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	// Get opens the object for streaming reads. A missing key wraps ErrNotFound.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Stat reports the object's size and modification time. A missing key wraps ErrNotFound.
	Stat(ctx context.Context, key string) (ObjectInfo, error)
	// List returns every object whose key starts with prefix, sorted by key.
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
	// Delete removes the object; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// ObjectInfo describes one stored object.
type ObjectInfo struct {
	Key     string
	Size    int64
	ModTime time.Time
}
