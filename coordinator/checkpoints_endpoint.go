package coordinator

import (
	"fmt"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

func (s *Server) checkpointRoutes() []route {
	readers := []string{structs.RoleResearcher, structs.RoleValidator, structs.RoleAgent}
	return []route{
		{"POST /v1/checkpoints", kindWrite, []string{structs.RoleAgent}, s.commitCheckpointEndpoint},
		{"GET /v1/checkpoints", kindRead, readers, func(rc *reqCtx) (any, error) {
			return s.State().Checkpoints(rc.r.URL.Query().Get("experiment")), nil
		}},
		{"GET /v1/checkpoints/{id}", kindRead, readers, func(rc *reqCtx) (any, error) {
			return s.State().Checkpoint(rc.r.PathValue("id"))
		}},
		{"POST /v1/checkpoints/{id}/flag", kindWrite, []string{structs.RoleValidator, structs.RoleAgent}, s.flagCheckpointEndpoint},
		{"GET /v1/experiments/{id}/checkpoints", kindRead, readers, func(rc *reqCtx) (any, error) {
			id := rc.r.PathValue("id")
			if _, err := s.State().Experiment(id); err != nil {
				return nil, err
			}
			return s.State().Checkpoints(id), nil
		}},
		{"GET /v1/experiments/{id}/checkpoints/latest", kindRead, readers, s.latestCheckpointEndpoint},
	}
}

// commitCheckpointEndpoint records a checkpoint whose blobs the agent has uploaded and
// verified; from its apply on, it can be "latest". The server never reads the blobs.
func (s *Server) commitCheckpointEndpoint(rc *reqCtx) (any, error) {
	var a structs.CheckpointCommitArgs
	if err := rc.decode(&a); err != nil {
		return nil, err
	}
	if err := validateCommit(&a); err != nil {
		return nil, err
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	// Refuse before proposing what the FSM would refuse, so bad commits leave no entry.
	att, err := s.State().Attempt(a.AttemptID)
	if err != nil {
		return nil, err
	}
	if att.ExperimentID != a.ExperimentID {
		return nil, structs.Invalid("attempt_id", fmt.Sprintf("attempt %s belongs to experiment %s", att.ID, att.ExperimentID))
	}
	if att.Status != structs.AttemptRunning {
		return nil, fmt.Errorf("attempt %s is %s, not running: %w", att.ID, att.Status, structs.ErrConflict)
	}
	id := newID()
	idx, err := s.apply(structs.CheckpointCommitRequestType, &structs.CheckpointCommitRequest{
		WriteRequest: rc.write("checkpoint_commit", id),
		Checkpoint: structs.Checkpoint{ID: id, ExperimentID: a.ExperimentID, AttemptID: a.AttemptID,
			Step: a.Step, Epoch: a.Epoch, ManifestHash: a.ManifestHash, BlobHashes: a.BlobHashes,
			Metrics: a.Metrics, WorldSize: a.WorldSize},
	})
	if err != nil {
		return nil, err
	}
	return structs.CreateResponse{ID: id, Index: idx}, nil
}

func validateCommit(a *structs.CheckpointCommitArgs) error {
	switch {
	case a.Step < 0:
		return structs.Invalid("step", fmt.Sprintf("%d is negative", a.Step))
	case a.Epoch < 0:
		return structs.Invalid("epoch", fmt.Sprintf("%d is negative", a.Epoch))
	case a.WorldSize < 1:
		return structs.Invalid("world_size", fmt.Sprintf("%d is below 1", a.WorldSize))
	}
	if err := checkID("experiment_id", a.ExperimentID); err != nil {
		return err
	}
	if err := checkID("attempt_id", a.AttemptID); err != nil {
		return err
	}
	if err := checkHash("manifest_hash", a.ManifestHash); err != nil {
		return err
	}
	return checkHashes("blob_hashes", a.BlobHashes)
}

func (s *Server) flagCheckpointEndpoint(rc *reqCtx) (any, error) {
	id := rc.r.PathValue("id")
	var a structs.CheckpointFlagArgs
	if err := rc.decode(&a); err != nil {
		return nil, err
	}
	if a.Pinned == nil && a.Suspect == nil {
		return nil, structs.Invalid("body", "sets neither pinned nor suspect")
	}
	if a.Pinned != nil && !rc.token.HasRole(structs.RoleValidator) {
		return nil, fmt.Errorf("pinning needs role validator: %w", structs.ErrPermissionDenied)
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	if _, err := s.State().Checkpoint(id); err != nil {
		return nil, err
	}
	idx, err := s.apply(structs.CheckpointFlagRequestType, &structs.CheckpointFlagRequest{
		WriteRequest: rc.write("checkpoint_flag", id), CheckpointID: id, Pinned: a.Pinned, Suspect: a.Suspect})
	if err != nil {
		return nil, err
	}
	return structs.WriteResponse{Index: idx}, nil
}

// latestCheckpointEndpoint answers the decision "where do we resume from". Unless the
// caller accepts a stale answer, the leader first confirms it still leads, so a
// deposed leader cannot hand out an old checkpoint.
func (s *Server) latestCheckpointEndpoint(rc *reqCtx) (any, error) {
	id := rc.r.PathValue("id")
	if !rc.stale() {
		if err := s.consistent(); err != nil {
			return nil, err
		}
		if err := s.raft.VerifyLeader().Error(); err != nil {
			return nil, fmt.Errorf("verify leadership: %v: %w", err, structs.ErrNotLeader)
		}
	}
	if _, err := s.State().Experiment(id); err != nil {
		return nil, err
	}
	return s.State().LatestCheckpoint(id)
}
