package trainer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
)

// torchResume is the committed checkpoint a torch attempt starts from.
type torchResume struct {
	record   checkpoint.Record
	manifest *checkpoint.Manifest
	dir      string
}

// resumeTorch fetches the newest committed torch checkpoint that verifies into dir.
// A damaged one is refused — recorded as an alert through the ledger — and the one
// before it is tried, as native resumes do; no usable checkpoint means a fresh start.
func resumeTorch(ctx context.Context, ledger clusterLedger, store storage.Store, dir string, log *slog.Logger) (*torchResume, error) {
	records, err := ledger.List(ctx, ledger.experimentID)
	if err != nil {
		return nil, err
	}
	for i := len(records) - 1; i >= 0; i-- {
		r := records[i]
		m, err := checkpoint.LoadFiles(ctx, store, r.ManifestSHA, dir)
		if err == nil {
			return &torchResume{record: r, manifest: m, dir: dir}, nil
		}
		if !errors.Is(err, storage.ErrCorrupt) && !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, checkpoint.ErrMalformed) {
			return nil, fmt.Errorf("resume: %w", err)
		}
		os.RemoveAll(dir)
		log.Warn("checkpoint refused, falling back to the previous one", "step", r.Step, "manifest", r.ManifestSHA, "error", err)
		ref := checkpoint.Refusal{Record: r, Blob: checkpoint.FailedBlob(ctx, store, r, err), Err: err}
		if rerr := ledger.RecordRefusal(ctx, ref); rerr != nil {
			log.Warn("record checkpoint refusal", "step", r.Step, "error", rerr)
		}
	}
	return nil, nil
}
