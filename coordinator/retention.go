package coordinator

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// collectGarbage runs on the leader every GCInterval until ctx ends: checkpoint
// retention first (it turns the blobs of dropped checkpoints into garbage), then,
// when the server has an object store, the blob sweep. The first pass waits one
// interval, so a fresh leader first settles in.
func (s *Server) collectGarbage(ctx context.Context) {
	gc := newBlobGC(s)
	t := time.NewTicker(s.cfg.GCInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.applyRetention(ctx); err != nil {
			s.log.Warn("checkpoint retention", "error", err)
		}
		if ctx.Err() != nil {
			return
		}
		if _, err := gc.sweep(ctx, time.Now()); err != nil {
			s.log.Warn("blob gc", "error", err)
		}
	}
}

// applyRetention deletes, in one Raft entry with one audit entry, the ledger records
// of every experiment that retention no longer keeps (see state.RetentionCandidates),
// and returns their IDs. The FSM re-checks each ID when it applies the entry.
func (s *Server) applyRetention(ctx context.Context) ([]string, error) {
	ids := s.State().RetentionCandidates()
	if len(ids) == 0 || ctx.Err() != nil {
		return nil, nil
	}
	w := systemWrite("checkpoint_retention", retentionTarget(ids))
	if _, err := s.apply(structs.CheckpointDeleteRequestType, &structs.CheckpointDeleteRequest{
		WriteRequest: w, CheckpointIDs: ids}); err != nil {
		return nil, fmt.Errorf("delete %d checkpoint records: %w", len(ids), err)
	}
	s.log.Info("checkpoint retention applied", "deleted", len(ids))
	return ids, nil
}

// retentionTarget names the deleted records in the audit entry, shortened past ten.
func retentionTarget(ids []string) string {
	if len(ids) <= 10 {
		return strings.Join(ids, ",")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:10], ","), len(ids)-10)
}
