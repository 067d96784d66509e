package bundle

import (
	"context"
	"errors"
	"fmt"

	"github.com/dxtrain/dxtrain/storage"
)

// Upload stores a packed bundle under its SHA-256 (storage.PutBlob, which skips the
// upload when the blob is already there) and returns the digest.
func Upload(ctx context.Context, store storage.Store, data []byte) (string, error) {
	sha, err := storage.PutBlob(ctx, store, data)
	if err != nil {
		return "", fmt.Errorf("upload code bundle: %w", err)
	}
	return sha, nil
}

// Fetch streams the bundle named sha from the store and unpacks it into the new
// directory dest (see Unpack): the hash is checked while reading, so the bundle is
// never held in memory and dest is left absent when the bytes are wrong.
func Fetch(ctx context.Context, store storage.Store, sha, dest string, maxBytes int64) error {
	if err := storage.ValidateDigest(sha); err != nil {
		return fmt.Errorf("fetch code bundle: %w", err)
	}
	rc, err := store.Get(ctx, storage.BlobKey(sha))
	if err != nil {
		return fmt.Errorf("fetch code bundle %s: %w", sha, err)
	}
	defer rc.Close()
	if err := Unpack(rc, sha, dest, maxBytes); err != nil {
		if errors.Is(err, ErrHashMismatch) {
			// A stored blob that does not hash to its name is corrupt, as storage says.
			return fmt.Errorf("fetch code bundle: %w: %w", storage.ErrCorrupt, err)
		}
		return fmt.Errorf("fetch code bundle: %w", err)
	}
	return nil
}
