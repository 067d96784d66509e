package trainer

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
)

// clusterLedger is the coordinator's Raft-replicated checkpoint ledger seen from one
// attempt: a checkpoint exists once the coordinator has applied its commit.
type clusterLedger struct {
	api          *client.Client
	experimentID string
	attemptID    string
}

func (l clusterLedger) Commit(ctx context.Context, r checkpoint.Record) error {
	_, err := l.api.CommitCheckpoint(ctx, structs.CheckpointCommitArgs{
		ExperimentID: l.experimentID, AttemptID: l.attemptID, Step: r.Step, Epoch: r.Epoch,
		ManifestHash: r.ManifestSHA, BlobHashes: r.Blobs, Metrics: r.Metrics, WorldSize: r.WorldSize,
	})
	if err != nil {
		return fmt.Errorf("commit checkpoint step %d to the coordinator: %w", r.Step, err)
	}
	return nil
}

// List returns the committed checkpoints that may be resumed from: suspect ones (written
// after a device fault) are left out.
func (l clusterLedger) List(ctx context.Context, _ string) ([]checkpoint.Record, error) {
	cps, err := l.api.Checkpoints(ctx, l.experimentID)
	if err != nil {
		return nil, fmt.Errorf("list checkpoints of %s: %w", l.experimentID, err)
	}
	var out []checkpoint.Record
	for _, c := range cps {
		if c.Suspect {
			continue
		}
		out = append(out, checkpoint.Record{
			Experiment: c.ExperimentID, Step: c.Step, Epoch: c.Epoch, ManifestSHA: c.ManifestHash,
			Blobs: c.BlobHashes, WorldSize: c.WorldSize, Metrics: c.Metrics, Created: time.Unix(0, c.CreatedAt),
		})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Step < out[j].Step })
	return out, nil
}
