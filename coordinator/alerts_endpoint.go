package coordinator

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// alertRoutes: agents record what they saw (a refused checkpoint); researchers and
// validators read; validators acknowledge. Admin may do all of it.
func (s *Server) alertRoutes() []route {
	readers := []string{structs.RoleResearcher, structs.RoleValidator}
	return []route{
		{"POST /v1/alerts", kindWrite, []string{structs.RoleAgent}, s.recordAlertEndpoint},
		{"GET /v1/alerts", kindRead, readers, s.listAlertsEndpoint},
		{"GET /v1/alerts/{id}", kindRead, readers, func(rc *reqCtx) (any, error) {
			return s.State().Alert(rc.r.PathValue("id"))
		}},
		{"POST /v1/alerts/{id}/ack", kindWrite, []string{structs.RoleValidator}, s.ackAlertEndpoint},
	}
}

// recordAlertEndpoint stamps an alert with an ID and the leader's time and commits it.
func (s *Server) recordAlertEndpoint(rc *reqCtx) (any, error) {
	var a structs.AlertRecordArgs
	if err := rc.decode(&a); err != nil {
		return nil, err
	}
	if err := validateAlert(&a); err != nil {
		return nil, err
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	// Refuse before proposing what the FSM would refuse, so bad alerts leave no entry.
	if _, err := s.State().Experiment(a.ExperimentID); err != nil {
		return nil, err
	}
	if a.AttemptID != "" {
		att, err := s.State().Attempt(a.AttemptID)
		if err != nil {
			return nil, err
		}
		if att.ExperimentID != a.ExperimentID {
			return nil, structs.Invalid("attempt_id", fmt.Sprintf("attempt %s belongs to experiment %s", att.ID, att.ExperimentID))
		}
	}
	if a.CheckpointID != "" {
		if c, err := s.State().Checkpoint(a.CheckpointID); err == nil && c.ExperimentID != a.ExperimentID {
			return nil, structs.Invalid("checkpoint_id", fmt.Sprintf("checkpoint %s belongs to experiment %s", c.ID, c.ExperimentID))
		}
	}
	id := newID()
	wr := rc.write("alert_record", id)
	idx, err := s.apply(structs.AlertRecordRequestType, &structs.AlertRecordRequest{
		WriteRequest: wr,
		Alert: structs.Alert{ID: id, Kind: a.Kind, ExperimentID: a.ExperimentID, AttemptID: a.AttemptID, Step: a.Step,
			CheckpointID: a.CheckpointID, ManifestHash: a.ManifestHash, BlobHash: a.BlobHash, Reason: a.Reason,
			ReportedBy: wr.Audit.Actor},
	})
	if err != nil {
		return nil, err
	}
	s.log.Warn("alert recorded", "alert", id, "kind", a.Kind, "experiment", a.ExperimentID, "step", a.Step, "blob", a.BlobHash)
	return structs.CreateResponse{ID: id, Index: idx}, nil
}

func validateAlert(a *structs.AlertRecordArgs) error {
	if !structs.ValidAlertKind(a.Kind) {
		return structs.Invalid("kind", fmt.Sprintf("%q is not a known alert kind (known: %s)", a.Kind, structs.AlertCheckpointRefused))
	}
	if err := checkID("experiment_id", a.ExperimentID); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"attempt_id", a.AttemptID}, {"checkpoint_id", a.CheckpointID}} {
		if f.v == "" {
			continue
		}
		if err := checkID(f.name, f.v); err != nil {
			return err
		}
	}
	for _, f := range []struct{ name, v string }{{"manifest_hash", a.ManifestHash}, {"blob_hash", a.BlobHash}} {
		if f.v == "" {
			continue
		}
		if err := checkHash(f.name, f.v); err != nil {
			return err
		}
	}
	switch {
	case a.Step < 0:
		return structs.Invalid("step", fmt.Sprintf("%d is negative", a.Step))
	case a.Reason == "":
		return structs.Invalid("reason", "is required")
	case len(a.Reason) > structs.MaxAlertReasonBytes:
		return structs.Invalid("reason", fmt.Sprintf("is %d bytes, the limit is %d", len(a.Reason), structs.MaxAlertReasonBytes))
	case !utf8.ValidString(a.Reason):
		return structs.Invalid("reason", "is not valid UTF-8")
	}
	return nil
}

// listAlertsEndpoint lists alerts oldest first: ?experiment=ID for one experiment
// (404 if it does not exist), ?open=true for the unacknowledged ones.
func (s *Server) listAlertsEndpoint(rc *reqCtx) (any, error) {
	q := rc.r.URL.Query()
	exp := q.Get("experiment")
	if exp != "" {
		if _, err := s.State().Experiment(exp); err != nil {
			return nil, err
		}
	}
	onlyOpen := false
	if v := q.Get("open"); v != "" {
		var err error
		if onlyOpen, err = strconv.ParseBool(v); err != nil {
			return nil, structs.Invalid("open", fmt.Sprintf("%q is not true or false", v))
		}
	}
	out := []*structs.Alert{}
	for _, a := range s.State().Alerts(exp) {
		if !onlyOpen || a.Open() {
			out = append(out, a)
		}
	}
	return out, nil
}

// ackAlertEndpoint acknowledges an open alert in the caller's name.
func (s *Server) ackAlertEndpoint(rc *reqCtx) (any, error) {
	id := rc.r.PathValue("id")
	if len(rc.body) > 0 {
		return nil, structs.Invalid("body", "must be empty")
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	a, err := s.State().Alert(id)
	if err != nil {
		return nil, err
	}
	if !a.Open() {
		return nil, fmt.Errorf("alert %s was already acknowledged by %s: %w", a.ID, a.AckedBy, structs.ErrConflict)
	}
	wr := rc.write("alert_ack", id)
	idx, err := s.apply(structs.AlertAckRequestType, &structs.AlertAckRequest{WriteRequest: wr, AlertID: id, AckedBy: wr.Audit.Actor})
	if err != nil {
		return nil, err
	}
	return structs.WriteResponse{Index: idx}, nil
}
