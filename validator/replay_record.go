package validator

import (
	"context"
	"errors"
	"fmt"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// RecordReplays writes each link's outcome on the checkpoint it produced, so the
// cluster (and its console) shows the last replay of every link. A store-only session
// has nowhere to write and records nothing.
func (s *Session) RecordReplays(ctx context.Context, results []LinkResult) error {
	if s.API == nil {
		return nil
	}
	var errs []error
	for _, r := range results {
		rec := ReplayRecordOf(r)
		if _, err := s.API.FlagCheckpoint(ctx, r.Link.To.ID, structs.CheckpointFlagArgs{Replay: &rec}); err != nil {
			errs = append(errs, fmt.Errorf("record the replay of step %d: %w", r.Link.To.Step, err))
		}
	}
	return errors.Join(errs...)
}

// ReplayRecordOf is the ledger's summary of one link's replay.
func ReplayRecordOf(r LinkResult) structs.ReplayRecord {
	rep := r.Report
	switch {
	case r.Err != nil:
		return structs.ReplayRecord{Result: structs.ReplayNotReplays, Detail: truncate(r.Err.Error(), 500)}
	case rep.Identical:
		return structs.ReplayRecord{Result: structs.ReplayIdentical, Detail: fmt.Sprintf("%d tensors", rep.Tensors)}
	case rep.Reproduced():
		return structs.ReplayRecord{Result: structs.ReplayTolerance,
			Detail: fmt.Sprintf("max |diff| %.3g within %g", rep.MaxAbsDiff, rep.Tolerance)}
	case rep.Difference != nil:
		return structs.ReplayRecord{Result: structs.ReplayDiffers, Detail: truncate("first difference in "+rep.Difference.Tensor, 500)}
	}
	return structs.ReplayRecord{Result: structs.ReplayDiffers}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
