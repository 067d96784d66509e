package s3

import (
	"context"
	"fmt"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/dxtrain/dxtrain/storage"
)

// SweepIncomplete aborts multipart uploads of the given keys that were started more
// than olderThan ago, and returns how many it aborted. Put aborts its own failed
// uploads, but not while the server is unreachable; parts left that way are invisible
// yet use space, so the garbage collector calls this for the keys it knows were being
// written, with a grace period longer than any upload takes. With no keys it sweeps the
// whole store prefix — AWS S3 lists uploads by prefix, but MinIO lists only the uploads
// of one exact object name, so against MinIO pass the keys.
func (s *Store) SweepIncomplete(ctx context.Context, olderThan time.Duration, keys ...string) (int, error) {
	cutoff := time.Now().Add(-olderThan)
	type upload struct{ key, id string }
	var stale []upload
	names := []string{s.prefix}
	if len(keys) > 0 {
		names = names[:0]
		for _, k := range keys {
			if err := storage.ValidateKey(k); err != nil {
				return 0, fmt.Errorf("s3 store %s: sweep incomplete uploads: %w", s, err)
			}
			names = append(names, s.ObjectName(k))
		}
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, name := range names {
		for u := range s.client.ListIncompleteUploads(lctx, s.bucket, name, true) {
			if u.Err != nil {
				return 0, fmt.Errorf("s3 store %s: list incomplete uploads of %q: %w", s, name, u.Err)
			}
			if u.Initiated.Before(cutoff) && (len(keys) == 0 || u.Key == name) {
				stale = append(stale, upload{u.Key, u.UploadID})
			}
		}
	}
	core := minio.Core{Client: s.client}
	for i, u := range stale {
		_, err := s.do(ctx, "abort upload of "+u.key, func() error {
			err := core.AbortMultipartUpload(ctx, s.bucket, u.key, u.id)
			if minio.ToErrorResponse(err).Code == "NoSuchUpload" {
				return nil // finished or aborted meanwhile
			}
			return err
		})
		if err != nil {
			return i, fmt.Errorf("s3 store %s: abort incomplete upload of %q: %w", s, u.key, err)
		}
	}
	return len(stale), nil
}
