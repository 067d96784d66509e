package trainer

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

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

// Commit records the checkpoint, riding out a coordinator failover: when the outcome
// of a commit is unknown (leadership was lost mid-apply) or no leader is up, it looks
// for the record before trying again, so a checkpoint is committed exactly once and a
// failover does not fail the attempt.
func (l clusterLedger) Commit(ctx context.Context, r checkpoint.Record) error {
	_, err := l.commit(ctx, r)
	return err
}

// commit is Commit returning the coordinator's ID of the committed record.
func (l clusterLedger) commit(ctx context.Context, r checkpoint.Record) (string, error) {
	args := structs.CheckpointCommitArgs{
		ExperimentID: l.experimentID, AttemptID: l.attemptID, Step: r.Step, Epoch: r.Epoch,
		ManifestHash: r.ManifestSHA, BlobHashes: r.Blobs, Metrics: r.Metrics, WorldSize: r.WorldSize,
	}
	deadline := time.Now().Add(commitPatience)
	for {
		resp, err := l.api.CommitCheckpoint(ctx, args)
		if err == nil {
			return resp.ID, nil
		}
		if !errors.Is(err, structs.ErrUnknownOutcome) && !errors.Is(err, structs.ErrNoLeader) {
			return "", fmt.Errorf("commit checkpoint step %d to the coordinator: %w", r.Step, err)
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("commit checkpoint step %d: no coordinator confirmed it within %s: %w", r.Step, commitPatience, err)
		}
		if id, ok := l.committed(ctx, r.ManifestSHA); ok {
			return id, nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// commitPatience bounds how long a checkpoint commit waits out a coordinator failover.
const commitPatience = 30 * time.Second

// committed reports whether the ledger already holds the manifest, and its ID.
func (l clusterLedger) committed(ctx context.Context, manifestSHA string) (string, bool) {
	cps, err := l.api.Checkpoints(ctx, l.experimentID)
	if err != nil {
		return "", false
	}
	for _, c := range cps {
		if strings.TrimPrefix(c.ManifestHash, "sha256:") == manifestSHA {
			return c.ID, true
		}
	}
	return "", false
}

// List returns the committed checkpoints that may be resumed from: suspect ones (written
// after a device fault) and refused ones (a resume found them damaged) are left out.
func (l clusterLedger) List(ctx context.Context, _ string) ([]checkpoint.Record, error) {
	cps, err := l.api.Checkpoints(ctx, l.experimentID)
	if err != nil {
		return nil, fmt.Errorf("list checkpoints of %s: %w", l.experimentID, err)
	}
	var out []checkpoint.Record
	for _, c := range cps {
		if c.Suspect || c.Refused != nil {
			continue
		}
		out = append(out, checkpoint.Record{
			ID: c.ID, Experiment: c.ExperimentID, Step: c.Step, Epoch: c.Epoch, ManifestSHA: c.ManifestHash,
			Blobs: c.BlobHashes, WorldSize: c.WorldSize, Metrics: c.Metrics, Created: time.Unix(0, c.CreatedAt),
		})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Step < out[j].Step })
	return out, nil
}

var (
	_ checkpoint.RefusalRecorder = clusterLedger{}
	_ checkpoint.ResumeRecorder  = clusterLedger{}
)

// RecordResume records on the attempt the checkpoint it really resumed from (nil:
// every committed one was refused), which may not be the one the scheduler named.
func (l clusterLedger) RecordResume(ctx context.Context, from *checkpoint.Record) error {
	ctx, cancel := context.WithTimeout(ctx, alertPatience)
	defer cancel()
	id := structs.ResumedFromScratch
	if from != nil {
		id = from.ID
	}
	if _, err := l.api.ReportResumed(ctx, structs.ResumedArgs{AttemptID: l.attemptID, CheckpointID: id}); err != nil {
		return fmt.Errorf("report that attempt %s resumed from %s: %w", l.attemptID, id, err)
	}
	return nil
}

// alertPatience bounds how long recording a refused checkpoint may hold up a resume.
const alertPatience = 15 * time.Second

// RecordRefusal records a checkpoint_refused alert in the coordinator, naming the
// refused checkpoint, the blob that failed and the verify error, so that a validator
// sees the lost progress and an operator the damaged store. The resume goes on
// whatever happens here; the caller logs a failure.
func (l clusterLedger) RecordRefusal(ctx context.Context, r checkpoint.Refusal) error {
	ctx, cancel := context.WithTimeout(ctx, alertPatience)
	defer cancel()
	args := structs.AlertRecordArgs{
		Kind: structs.AlertCheckpointRefused, ExperimentID: l.experimentID, AttemptID: l.attemptID,
		Step: r.Record.Step, CheckpointID: r.Record.ID, ManifestHash: r.Record.ManifestSHA, BlobHash: r.Blob,
		Reason: truncateUTF8(fmt.Sprint(r.Err), structs.MaxAlertReasonBytes),
	}
	if _, err := l.api.RecordAlert(ctx, args); err != nil {
		return fmt.Errorf("record alert for refused checkpoint step %d of %s: %w", r.Record.Step, l.experimentID, err)
	}
	return nil
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
