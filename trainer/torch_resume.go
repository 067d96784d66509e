package trainer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
)

// torchResume is the committed checkpoint a torch attempt starts from.
type torchResume struct {
	record   checkpoint.Record
	manifest *checkpoint.Manifest
	dir      string
}

// resumeTorch fetches the newest committed torch checkpoint that verifies into dir,
// refusing damaged ones as native resumes do (checkpoint.NewestLoadable); no usable
// checkpoint means a fresh start.
func resumeTorch(ctx context.Context, ledger clusterLedger, store storage.Store, dir string, log *slog.Logger) (*torchResume, error) {
	var m *checkpoint.Manifest
	r, err := checkpoint.NewestLoadable(ctx, ledger, store, ledger.experimentID, log, func(r checkpoint.Record) (err error) {
		m, err = checkpoint.LoadFiles(ctx, store, r.ManifestSHA, dir) // removes dir when it fails
		return err
	})
	switch {
	case errors.Is(err, checkpoint.ErrNoCheckpoint):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("resume: %w", err)
	}
	return &torchResume{record: r, manifest: m, dir: dir}, nil
}
