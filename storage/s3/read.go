package s3

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/minio/minio-go/v7"

	"github.com/dxtrain/dxtrain/storage"
)

// Get opens the object for streaming with a single GET, so the reader gets one whole
// version even while another writer replaces it. Opening is retried; a failure in the
// middle of the stream is returned to the reader, which restarts the read.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := storage.ValidateKey(key); err != nil {
		return nil, fmt.Errorf("s3 store %s: get: %w", s, err)
	}
	var body io.ReadCloser
	_, err := s.do(ctx, "get "+key, func() error {
		rc, _, _, err := minio.Core{Client: s.client}.GetObject(ctx, s.bucket, s.ObjectName(key), minio.GetObjectOptions{})
		if err != nil {
			if rc != nil {
				rc.Close()
			}
			return err
		}
		body = rc
		return nil
	})
	if err != nil {
		return nil, s.wrap("get", key, err)
	}
	return body, nil
}

// Stat reports the object's size and modification time.
func (s *Store) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	if err := storage.ValidateKey(key); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("s3 store %s: stat: %w", s, err)
	}
	var info minio.ObjectInfo
	_, err := s.do(ctx, "stat "+key, func() error {
		var err error
		info, err = s.client.StatObject(ctx, s.bucket, s.ObjectName(key), minio.StatObjectOptions{})
		return err
	})
	if err != nil {
		return storage.ObjectInfo{}, s.wrap("stat", key, err)
	}
	return storage.ObjectInfo{Key: key, Size: info.Size, ModTime: info.LastModified}, nil
}

// List returns the objects under prefix, recursively, sorted by key. Objects under the
// store's prefix whose names are not valid keys (written by other tools) are left out.
func (s *Store) List(ctx context.Context, prefix string) ([]storage.ObjectInfo, error) {
	if err := storage.ValidatePrefix(prefix); err != nil {
		return nil, fmt.Errorf("s3 store %s: list: %w", s, err)
	}
	var out []storage.ObjectInfo
	_, err := s.do(ctx, "list "+prefix, func() error {
		out = out[:0]
		lctx, cancel := context.WithCancel(ctx)
		defer cancel() // stops minio-go's lister goroutine on an early return
		for o := range s.client.ListObjects(lctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true}) {
			if o.Err != nil {
				return o.Err
			}
			key, ok := strings.CutPrefix(o.Key, s.prefix)
			if !ok || storage.ValidateKey(key) != nil {
				continue
			}
			out = append(out, storage.ObjectInfo{Key: key, Size: o.Size, ModTime: o.LastModified})
		}
		return nil
	})
	if err != nil {
		return nil, s.wrap("list", prefix, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete removes the object; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := storage.ValidateKey(key); err != nil {
		return fmt.Errorf("s3 store %s: delete: %w", s, err)
	}
	_, err := s.do(ctx, "delete "+key, func() error {
		err := s.client.RemoveObject(ctx, s.bucket, s.ObjectName(key), minio.RemoveObjectOptions{})
		if isNotFound(err) {
			return nil
		}
		return err
	})
	if err != nil {
		return s.wrap("delete", key, err)
	}
	return nil
}
