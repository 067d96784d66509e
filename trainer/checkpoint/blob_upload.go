package checkpoint

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/dxtrain/dxtrain/safetensors"
	"github.com/dxtrain/dxtrain/storage"
)

// putVerified stores enc as a content-addressed blob and returns its SHA-256 once the
// blob has been read back from the store and hashed to the same digest: a manifest
// only ever names blobs the store was seen to hold intact. The bytes are hashed once
// on the way in (for the key) and once on the way back (the check); they are read
// from the snapshot in place both for hashing and for the upload, never copied into
// an encode buffer. As storage.PutBlob does, an existing object of that key and size
// is not uploaded again (the read-back still checks it byte for byte).
func putVerified(ctx context.Context, store storage.Store, enc *safetensors.Encoding) (string, error) {
	h := sha256.New()
	if _, err := enc.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("hash blob: %w", err)
	}
	if _, err := enc.WriteTo(h); err != nil { // in 1 MiB pieces: stays preemptible
		return "", fmt.Errorf("hash blob: %w", err)
	}
	sha := hex.EncodeToString(h.Sum(nil))
	key := storage.BlobKey(sha)
	info, err := store.Stat(ctx, key)
	switch {
	case err == nil && info.Size == enc.Size():
	case err != nil && !errors.Is(err, storage.ErrNotFound):
		return "", fmt.Errorf("upload blob %s: %w", sha, err)
	default:
		if _, err := enc.Seek(0, io.SeekStart); err != nil {
			return "", fmt.Errorf("upload blob %s: %w", sha, err)
		}
		if err := store.Put(ctx, key, enc, enc.Size()); err != nil {
			return "", fmt.Errorf("upload blob %s: %w", sha, err)
		}
	}
	if _, err := storage.VerifyBlob(ctx, store, sha); err != nil {
		return "", fmt.Errorf("verify after upload: %w", err)
	}
	return sha, nil
}
