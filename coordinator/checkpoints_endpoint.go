package coordinator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dxtrain/dxtrain/storage"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

func (s *Server) checkpointRoutes() []route {
	readers := []string{structs.RoleResearcher, structs.RoleValidator, structs.RoleAgent}
	return []route{
		{"POST /v1/checkpoints", kindWrite, []string{structs.RoleAgent}, s.commitCheckpointEndpoint},
		{"GET /v1/checkpoints", kindRead, readers, func(rc *reqCtx) (any, error) {
			if err := rc.verifyLeader(); err != nil {
				return nil, err
			}
			return s.State().Checkpoints(rc.r.URL.Query().Get("experiment")), nil
		}},
		{"GET /v1/checkpoints/{id}", kindRead, readers, func(rc *reqCtx) (any, error) {
			return s.State().Checkpoint(rc.r.PathValue("id"))
		}},
		{"POST /v1/checkpoints/{id}/flag", kindWrite, []string{structs.RoleValidator, structs.RoleAgent}, s.flagCheckpointEndpoint},
		{"GET /v1/experiments/{id}/checkpoints", kindRead, readers, func(rc *reqCtx) (any, error) {
			if err := rc.verifyLeader(); err != nil {
				return nil, err
			}
			id := rc.r.PathValue("id")
			if _, err := s.State().Experiment(id); err != nil {
				return nil, err
			}
			return s.State().Checkpoints(id), nil
		}},
		{"GET /v1/experiments/{id}/checkpoints/latest", kindRead, readers, s.latestCheckpointEndpoint},
		{"GET /v1/checkpoints/{id}/report", kindRead, readers, s.checkpointReportEndpoint},
	}
}

// checkReplay bounds a recorded replay: a known result and a short detail.
func checkReplay(r *structs.ReplayRecord) error {
	switch r.Result {
	case structs.ReplayIdentical, structs.ReplayTolerance, structs.ReplayDiffers, structs.ReplayNotReplays:
	default:
		return structs.Invalid("replay.result", fmt.Sprintf("%q is not identical, tolerance, differs or not_replayed", r.Result))
	}
	if len(r.Detail) > 500 {
		return structs.Invalid("replay.detail", fmt.Sprintf("has %d bytes, the limit is 500", len(r.Detail)))
	}
	return nil
}

// maxReportBytes bounds a stored clinical report read back for the console; a report
// with every subgroup is tens of kB.
const maxReportBytes = 4 << 20

// checkpointReportEndpoint serves the clinical report `checkpoints evaluate` stored
// beside a checkpoint, for ?split=test (the default) or validation.
func (s *Server) checkpointReportEndpoint(rc *reqCtx) (any, error) {
	split := rc.r.URL.Query().Get("split")
	switch split {
	case "":
		split = "test"
	case "test", "validation":
	default:
		return nil, structs.Invalid("split", fmt.Sprintf("%q is not test or validation", split))
	}
	c, err := s.State().Checkpoint(rc.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if s.cfg.Store == nil {
		return nil, fmt.Errorf("report of checkpoint %s: %w", c.ID, ErrNoObjectStore)
	}
	key := structs.ReportKey(strings.TrimPrefix(c.ManifestHash, "sha256:"), split)
	body, err := s.cfg.Store.Get(rc.r.Context(), key)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("checkpoint %s has no %s report (dxtrain checkpoints evaluate writes one): %w", c.ID, split, structs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("report of checkpoint %s: %w", c.ID, err)
	}
	defer body.Close()
	raw, err := io.ReadAll(io.LimitReader(body, maxReportBytes+1))
	if err != nil {
		return nil, fmt.Errorf("report of checkpoint %s: %w", c.ID, err)
	}
	if len(raw) > maxReportBytes || !json.Valid(raw) {
		return nil, fmt.Errorf("report of checkpoint %s: the stored report at %s is not valid JSON within %d bytes", c.ID, key, maxReportBytes)
	}
	return json.RawMessage(raw), nil
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
	if a.Pinned == nil && a.Suspect == nil && a.Replay == nil {
		return nil, structs.Invalid("body", "sets none of pinned, suspect and replay")
	}
	if a.Pinned != nil && !rc.token.HasRole(structs.RoleValidator) {
		return nil, fmt.Errorf("pinning needs role validator: %w", structs.ErrPermissionDenied)
	}
	if a.Replay != nil {
		if !rc.token.HasRole(structs.RoleValidator) {
			return nil, fmt.Errorf("recording a replay needs role validator: %w", structs.ErrPermissionDenied)
		}
		if err := checkReplay(a.Replay); err != nil {
			return nil, err
		}
		a.Replay.By, a.Replay.Time = rc.token.AccessorID, time.Now().UnixNano()
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	if _, err := s.State().Checkpoint(id); err != nil {
		return nil, err
	}
	idx, err := s.apply(structs.CheckpointFlagRequestType, &structs.CheckpointFlagRequest{
		WriteRequest: rc.write("checkpoint_flag", id), CheckpointID: id, Pinned: a.Pinned, Suspect: a.Suspect, Replay: a.Replay})
	if err != nil {
		return nil, err
	}
	return structs.WriteResponse{Index: idx}, nil
}

// verifyLeader confirms, unless the caller accepts a stale answer, that this server
// still leads. The ledger's reads are decisions (where an attempt resumes from, what
// a validator replays): a deposed leader that has not noticed yet (paused, cut off)
// would otherwise answer them from its old state.
func (rc *reqCtx) verifyLeader() error {
	if rc.stale() {
		return nil
	}
	if err := rc.s.consistent(); err != nil {
		return err
	}
	if err := rc.s.raft.VerifyLeader().Error(); err != nil {
		return fmt.Errorf("verify leadership: %v: %w", err, structs.ErrNotLeader)
	}
	return nil
}

// latestCheckpointEndpoint answers the decision "where do we resume from". Unless the
// caller accepts a stale answer, the leader first confirms it still leads, so a
// deposed leader cannot hand out an old checkpoint.
func (s *Server) latestCheckpointEndpoint(rc *reqCtx) (any, error) {
	id := rc.r.PathValue("id")
	if err := rc.verifyLeader(); err != nil {
		return nil, err
	}
	if _, err := s.State().Experiment(id); err != nil {
		return nil, err
	}
	return s.State().LatestCheckpoint(id)
}
