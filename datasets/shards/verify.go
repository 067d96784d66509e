package shards

import (
	"context"
	"errors"
	"fmt"

	"github.com/dxtrain/dxtrain/storage"
)

// ShardError names a shard that failed a check: its split, index and hash.
type ShardError struct {
	Split  string
	Index  int
	SHA256 string
	Err    error
}

func (e *ShardError) Error() string {
	return fmt.Sprintf("split %s shard %d (%s): %v", e.Split, e.Index, e.SHA256, e.Err)
}

func (e *ShardError) Unwrap() error { return e.Err }

// Verify re-hashes every shard of the manifest and checks its size. It
// checks them all and returns every failure joined, each a *ShardError
// (wrapping storage.ErrCorrupt, storage.ErrNotFound or ErrShard).
func Verify(ctx context.Context, s storage.Store, m *Manifest) error {
	if err := m.Validate(); err != nil {
		return err
	}
	var errs []error
	for _, name := range PartNames {
		p, _ := m.Split.Part(name)
		for i, ref := range p.Shards {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("verify: %w", err)
			}
			n, err := storage.VerifyBlob(ctx, s, ref.SHA256)
			if err == nil && n != ref.Size {
				err = fmt.Errorf("%w: %d bytes, the manifest says %d", ErrShard, n, ref.Size)
			}
			if err != nil {
				errs = append(errs, &ShardError{Split: name, Index: i, SHA256: ref.SHA256, Err: err})
			}
		}
	}
	return errors.Join(errs...)
}
