package coordinator

import (
	"fmt"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

func (s *Server) experimentRoutes() []route {
	res := []string{structs.RoleResearcher}
	readers := []string{structs.RoleResearcher, structs.RoleValidator}
	return []route{
		{"POST /v1/experiments", kindWrite, res, s.submitEndpoint},
		{"GET /v1/experiments", kindRead, readers, s.listExperimentsEndpoint},
		{"GET /v1/experiments/{id}", kindRead, readers, func(rc *reqCtx) (any, error) {
			return s.State().Experiment(rc.r.PathValue("id"))
		}},
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
	id := newID()
	idx, err := s.apply(structs.ExperimentSubmitRequestType, &structs.ExperimentSubmitRequest{
		WriteRequest: rc.write("experiment_submit", id),
		Experiment: structs.Experiment{ID: id, Name: spec.Name, Spec: *spec, SpecYAML: string(rc.body),
			SpecHash: hash, Submitter: rc.token.AccessorID},
	})
	if err != nil {
		return nil, err
	}
	return structs.CreateResponse{ID: id, Index: idx}, nil
}

// listExperimentsEndpoint lists experiments, optionally ?status=pending|running|….
func (s *Server) listExperimentsEndpoint(rc *reqCtx) (any, error) {
	status := rc.r.URL.Query().Get("status")
	out := []*structs.Experiment{}
	for _, e := range s.State().Experiments() {
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
