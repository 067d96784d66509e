package coordinator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/storage"
)

func (s *Server) modelRoutes() []route {
	readers := []string{structs.RoleTrust, structs.RoleValidator, structs.RoleResearcher}
	validator := []string{structs.RoleValidator}
	return []route{
		{"POST /v1/models", kindWrite, validator, s.releaseModelEndpoint},
		{"GET /v1/models", kindRead, readers, func(rc *reqCtx) (any, error) { return s.State().Models(), nil }},
		{"GET /v1/models/{name}/versions", kindRead, readers, func(rc *reqCtx) (any, error) {
			return s.State().ModelVersions(rc.r.PathValue("name"))
		}},
		{"GET /v1/models/{name}/versions/{version}", kindRead, readers, func(rc *reqCtx) (any, error) {
			v, err := versionParam(rc)
			if err != nil {
				return nil, err
			}
			return s.State().ModelVersion(rc.r.PathValue("name"), v)
		}},
		{"POST /v1/models/{name}/versions/{version}/revoke", kindWrite, validator, s.revokeModelEndpoint},
		{"GET /v1/models/{name}/versions/{version}/files/{file}", kindRead, readers, s.modelFileEndpoint},
		{"GET /v1/models/{name}/revocations", kindRead, readers, s.revocationsEndpoint},
		{"POST /v1/models/{name}/versions/{version}/reports", kindWrite, []string{structs.RoleTrust}, s.submitReportEndpoint},
		{"GET /v1/models/{name}/versions/{version}/reports", kindRead, readers, func(rc *reqCtx) (any, error) {
			v, err := versionParam(rc)
			if err != nil {
				return nil, err
			}
			name := rc.r.PathValue("name")
			if _, err := s.State().ModelVersion(name, v); err != nil {
				return nil, err
			}
			return s.State().Reports(name, v), nil
		}},
	}
}

// releaseModelEndpoint commits a new version of a model whose four files the releaser
// has uploaded as blobs. The leader assigns the version number; releases are
// serialised on the leader so two concurrent ones get consecutive numbers.
func (s *Server) releaseModelEndpoint(rc *reqCtx) (any, error) {
	var a structs.ModelReleaseArgs
	if err := rc.decode(&a); err != nil {
		return nil, err
	}
	if err := validateRelease(&a); err != nil {
		return nil, err
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	// Refuse before proposing what the FSM would refuse, so bad releases leave no entry.
	st := s.State()
	if _, err := st.Experiment(a.ExperimentID); err != nil {
		return nil, err
	}
	c, err := st.Checkpoint(a.CheckpointID)
	if err != nil {
		return nil, err
	}
	if c.ExperimentID != a.ExperimentID {
		return nil, structs.Invalid("checkpoint_id", fmt.Sprintf("checkpoint %s belongs to experiment %s", c.ID, c.ExperimentID))
	}
	if c.Suspect {
		return nil, structs.Invalid("checkpoint_id", fmt.Sprintf("checkpoint %s is suspect (written after a device fault) and cannot be released", c.ID))
	}
	s.releaseMu.Lock()
	defer s.releaseMu.Unlock()
	version := s.State().NextModelVersion(a.Name)
	target := fmt.Sprintf("%s@%d", a.Name, version)
	idx, err := s.apply(structs.ModelReleaseRequestType, &structs.ModelReleaseRequest{
		WriteRequest: rc.write("model_release", target),
		Version: structs.ModelVersion{Name: a.Name, Version: version, ExperimentID: a.ExperimentID, CheckpointID: a.CheckpointID,
			ONNXSHA256: a.ONNXSHA256, CardSHA256: a.CardSHA256, StatementSHA256: a.StatementSHA256, SignatureSHA256: a.SignatureSHA256,
			Approver: a.Approver, ApproverKey: a.ApproverKey, Metrics: a.Metrics},
	})
	if err != nil {
		return nil, err
	}
	return structs.ModelReleaseResponse{Name: a.Name, Version: version, Index: idx}, nil
}

// revokeModelEndpoint marks a version revoked: its metadata stays readable, its files
// are no longer served.
func (s *Server) revokeModelEndpoint(rc *reqCtx) (any, error) {
	name := rc.r.PathValue("name")
	var a structs.ModelRevokeArgs
	if err := rc.decode(&a); err != nil {
		return nil, err
	}
	v, err := versionParam(rc)
	if err != nil {
		return nil, err
	}
	if err := checkText("reason", a.Reason, 1000); err != nil {
		return nil, err
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	m, err := s.State().ModelVersion(name, v)
	if err != nil {
		return nil, err
	}
	if m.Revoked {
		return nil, fmt.Errorf("model %s version %d already revoked: %w", name, v, structs.ErrConflict)
	}
	idx, err := s.apply(structs.ModelRevokeRequestType, &structs.ModelRevokeRequest{
		WriteRequest: rc.write("model_revoke", fmt.Sprintf("%s@%d", name, v)), Name: name, Version: v, Reason: a.Reason})
	if err != nil {
		return nil, err
	}
	return structs.WriteResponse{Index: idx}, nil
}

func versionParam(rc *reqCtx) (int, error) {
	raw := rc.r.PathValue("version")
	v, err := strconv.Atoi(raw)
	if err != nil || v < 1 {
		return 0, structs.Invalid("version", fmt.Sprintf("%q is not a version number (1, 2, …)", raw))
	}
	return v, nil
}

func validateRelease(a *structs.ModelReleaseArgs) error {
	if err := checkID("name", a.Name); err != nil {
		return err
	}
	if err := checkID("experiment_id", a.ExperimentID); err != nil {
		return err
	}
	if err := checkID("checkpoint_id", a.CheckpointID); err != nil {
		return err
	}
	for _, f := range []struct {
		field string
		v     *string
	}{
		{"onnx_sha256", &a.ONNXSHA256}, {"card_sha256", &a.CardSHA256},
		{"statement_sha256", &a.StatementSHA256}, {"signature_sha256", &a.SignatureSHA256},
	} {
		if err := checkHash(f.field, *f.v); err != nil {
			return err
		}
		*f.v = strings.TrimPrefix(*f.v, "sha256:") // the registry stores bare digests, as blob keys use
	}
	if err := checkText("approver", a.Approver, 200); err != nil {
		return err
	}
	if err := checkFingerprint("approver_key", a.ApproverKey); err != nil {
		return err
	}
	if len(a.Metrics) > 256 {
		return structs.Invalid("metrics", fmt.Sprintf("has %d entries, the limit is 256", len(a.Metrics)))
	}
	for k := range a.Metrics {
		if err := checkID("metrics."+k, k); err != nil {
			return structs.Invalid("metrics", fmt.Sprintf("key %q: names use A-Z a-z 0-9 . _ : - (1–128 characters)", k))
		}
	}
	return nil
}

// checkText accepts 1–limit characters of printable text (names of people, reasons).
func checkText(field, v string, limit int) error {
	if strings.TrimSpace(v) == "" {
		return structs.Invalid(field, "is required")
	}
	if n := len([]rune(v)); n > limit {
		return structs.Invalid(field, fmt.Sprintf("is %d characters, the limit is %d", n, limit))
	}
	for i, r := range v {
		if !unicode.IsPrint(r) {
			return structs.Invalid(field, fmt.Sprintf("byte %d is a control or unprintable character", i))
		}
	}
	return nil
}

// checkFingerprint accepts a key fingerprint of 16–64 lower-case hex characters.
func checkFingerprint(field, v string) error {
	if len(v) < 16 || len(v) > 64 {
		return structs.Invalid(field, fmt.Sprintf("%q is not a key fingerprint (16–64 lower-case hex characters)", v))
	}
	for _, r := range v {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return structs.Invalid(field, fmt.Sprintf("%q is not a key fingerprint (16–64 lower-case hex characters)", v))
		}
	}
	return nil
}

// revocationsEndpoint serves a model's signed revocation list from the object store,
// where the approver's `models revoke` put it; trusts verify it with the approver's key.
func (s *Server) revocationsEndpoint(rc *reqCtx) (any, error) {
	name := rc.r.PathValue("name")
	if err := checkID("name", name); err != nil {
		return nil, err
	}
	if s.cfg.Store == nil {
		return nil, fmt.Errorf("revocations of %s: %w", name, ErrNoObjectStore)
	}
	body, err := s.cfg.Store.Get(rc.r.Context(), structs.RevocationsKey(name))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("model %s has no signed revocation list: %w", name, structs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("revocations of %s: %w", name, err)
	}
	defer body.Close()
	var out structs.SignedRevocations
	if err := json.NewDecoder(io.LimitReader(body, 2<<20)).Decode(&out); err != nil {
		return nil, fmt.Errorf("revocations of %s: the stored list is unreadable: %w", name, err)
	}
	return out, nil
}
