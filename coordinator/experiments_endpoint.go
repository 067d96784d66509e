package coordinator

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dxtrain/dxtrain/coordinator/scheduler"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/storage"
)

func (s *Server) experimentRoutes() []route {
	res := []string{structs.RoleResearcher}
	readers := []string{structs.RoleResearcher, structs.RoleValidator}
	return []route{
		{"POST /v1/experiments", kindWrite, res, s.submitEndpoint},
		{"GET /v1/experiments", kindRead, readers, s.listExperimentsEndpoint},
		{"GET /v1/experiments/{id}", kindRead, readers, s.experimentEndpoint},
		{"POST /v1/experiments/{id}/cancel", kindWrite, res, s.cancelEndpoint},
		{"GET /v1/experiments/{id}/metrics", kindRead, readers, s.metricsEndpoint},
		{"GET /v1/experiments/{id}/attempts", kindRead, readers, func(rc *reqCtx) (any, error) {
			id := rc.r.PathValue("id")
			if _, err := s.State().Experiment(id); err != nil {
				return nil, err
			}
			return s.State().Attempts(id), nil
		}},
	}
}

// submitEndpoint takes a spec YAML body, validates it and queues the experiment.
func (s *Server) submitEndpoint(rc *reqCtx) (any, error) {
	spec, hash, err := parseSpec(rc.body)
	if err != nil {
		return nil, err
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	if ds := spec.Dataset.ID; ds != "" {
		if _, err := s.State().Dataset(ds); err != nil {
			return nil, structs.Invalid("dataset.id", fmt.Sprintf("no registered dataset has ID or name %q", ds))
		}
	}
	code, err := s.checkCodeBundle(rc, spec)
	if err != nil {
		return nil, err
	}
	id := newID()
	e := structs.Experiment{ID: id, Name: spec.Name, Spec: *spec, SpecYAML: string(rc.body),
		SpecHash: hash, Submitter: rc.token.AccessorID, CodeBundle: code}
	if err := s.admit(rc.token, &e); err != nil {
		return nil, err
	}
	idx, err := s.apply(structs.ExperimentSubmitRequestType, &structs.ExperimentSubmitRequest{
		WriteRequest: rc.write("experiment_submit", id), Experiment: e,
	})
	if err != nil {
		return nil, err
	}
	return structs.CreateResponse{ID: id, Index: idx}, nil
}

// checkCodeBundle reads ?code_bundle=<sha256>: required for runtime: torch (the
// bundle `dxtrain run` uploaded), refused otherwise. When this server can reach the
// object store it also checks the bundle is there, so a typo fails at submission.
func (s *Server) checkCodeBundle(rc *reqCtx, spec *experiments.Spec) (string, error) {
	code := rc.r.URL.Query().Get("code_bundle")
	if !spec.IsTorch() {
		if code != "" {
			return "", structs.Invalid("code_bundle", "applies to runtime: torch only")
		}
		return "", nil
	}
	if code == "" {
		return "", structs.Invalid("code_bundle", "is required for runtime: torch: the SHA-256 of the uploaded code bundle (dxtrain run uploads it)")
	}
	if err := checkHash("code_bundle", code); err != nil {
		return "", err
	}
	code = strings.TrimPrefix(code, "sha256:")
	if s.cfg.Store == nil {
		return code, nil // a server without the store cannot check; the agents verify the bundle's hash
	}
	if _, err := s.cfg.Store.Stat(rc.r.Context(), storage.BlobKey(code)); err != nil {
		return "", structs.Invalid("code_bundle", fmt.Sprintf("bundle %s is not in the object store: %v", code, err))
	}
	return code, nil
}

// experimentEndpoint reads one experiment; it blocks with ?index=N&wait=D, and with
// ?series_since=T (unix ns) carries only the series points reported after T, so a
// console following a long run receives each point once instead of the whole series
// on every report.
func (s *Server) experimentEndpoint(rc *reqCtx) (any, error) {
	var since int64
	if v := rc.r.URL.Query().Get("series_since"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, structs.Invalid("series_since", fmt.Sprintf("%q is not a non-negative integer (unix nanoseconds)", v))
		}
		since = n
	}
	if err := rc.blockingWait(); err != nil {
		return nil, err
	}
	if since > 0 {
		return s.State().ExperimentSince(rc.r.PathValue("id"), since)
	}
	return s.State().Experiment(rc.r.PathValue("id"))
}

// listExperimentsEndpoint lists experiments, optionally ?status=pending|running|….
// ?view=summary leaves out each one's metric series and spec text, which a list of
// long runs would otherwise repeat at megabytes a page.
func (s *Server) listExperimentsEndpoint(rc *reqCtx) (any, error) {
	q := rc.r.URL.Query()
	status := q.Get("status")
	summary := false
	switch v := q.Get("view"); v {
	case "", "full":
	case "summary":
		summary = true
	default:
		return nil, structs.Invalid("view", fmt.Sprintf("%q is not full or summary", v))
	}
	if err := rc.blockingWait(); err != nil {
		return nil, err
	}
	all := s.State().Experiments
	if summary {
		all = s.State().ExperimentSummaries
	}
	out := []*structs.Experiment{}
	for _, e := range all() {
		if status == "" || e.Status == status {
			out = append(out, e)
		}
	}
	return out, nil
}

func (s *Server) cancelEndpoint(rc *reqCtx) (any, error) {
	id := rc.r.PathValue("id")
	if err := checkID("id", id); err != nil {
		return nil, err
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	e, err := s.State().Experiment(id)
	if err != nil {
		return nil, err
	}
	if structs.ExperimentTerminal(e.Status) {
		return nil, fmt.Errorf("experiment %s is already %s: %w", id, e.Status, structs.ErrConflict)
	}
	if err := s.checkMember(rc.token, scheduler.ProjectOf(e)); err != nil {
		return nil, err
	}
	idx, err := s.apply(structs.ExperimentCancelRequestType, &structs.ExperimentCancelRequest{
		WriteRequest: rc.write("experiment_cancel", id), ExperimentID: id,
		Reason: "cancelled by " + rc.token.AccessorID})
	if err != nil {
		return nil, err
	}
	return structs.WriteResponse{Index: idx}, nil
}

func (s *Server) metricsEndpoint(rc *reqCtx) (any, error) {
	if err := rc.blockingWait(); err != nil {
		return nil, err
	}
	e, err := s.State().Experiment(rc.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return structs.MetricsResponse{ExperimentID: e.ID, Status: e.Status, Restarts: e.Restarts, Progress: e.Progress}, nil
}
