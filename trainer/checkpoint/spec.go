package checkpoint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/dxtrain/dxtrain/storage"
)

// A manifest names the spec that wrote it by hash only. A run without a cluster keeps
// the spec's source beside its checkpoints, under specs/<spec hash>.yaml, so that the
// validator's tools can replay and evaluate it from the store alone (in a cluster the
// coordinator keeps the source as submitted).
func specKey(specHash string) string { return "specs/" + specHash + ".yaml" }

// SaveSpec stores the source of the spec whose hash is specHash, once.
func SaveSpec(ctx context.Context, store storage.Store, specHash string, source []byte) error {
	key := specKey(specHash)
	if _, err := store.Stat(ctx, key); err == nil {
		return nil
	}
	if err := store.Put(ctx, key, bytes.NewReader(source), int64(len(source))); err != nil {
		return fmt.Errorf("store spec %.12s: %w", specHash, err)
	}
	return nil
}

// LoadSpec reads the source SaveSpec stored; the caller parses it and checks its hash.
func LoadSpec(ctx context.Context, store storage.Store, specHash string) ([]byte, error) {
	rc, err := store.Get(ctx, specKey(specHash))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("spec %.12s: the store holds no copy of it (a run of dxtrain train keeps one under %s): %w", specHash, specKey(specHash), err)
	}
	if err != nil {
		return nil, fmt.Errorf("spec %.12s: %w", specHash, err)
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, 1<<20))
}
