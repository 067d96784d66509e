package coordinator

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/scheduler"
	"github.com/dxtrain/dxtrain/coordinator/state"
	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// queueView is the leader's last scheduling pass, served by GET /v1/queue: why each
// pending experiment waits and when it is expected to start. It is not replicated
// (it changes every pass); a new leader has one after its first pass.
type queueView struct {
	At      time.Time
	Entries []scheduler.QueueEntry
}

// lastQueue holds the newest queueView.
type lastQueue struct{ v atomic.Pointer[queueView] }

func (q *lastQueue) store(v *queueView) { q.v.Store(v) }

func (q *lastQueue) load() *queueView {
	if v := q.v.Load(); v != nil {
		return v
	}
	return &queueView{}
}

// schedule runs one pass of the scheduling policy: it stops runs whose stop
// deadline or time limit passed, then asks the policy for placements and
// preemptions and commits each as its own Raft entry (audited with its reason).
func (s *Server) schedule(ctx context.Context) {
	st := s.State()
	now := time.Now()
	running := st.RunningAttempts("")
	s.enforceStops(ctx, st, running, now)
	pending := st.PendingExperiments()
	if len(pending) == 0 {
		s.metrics.unplaced.Set(0)
		s.queue.store(&queueView{At: now})
		return
	}
	exps := map[string]*structs.Experiment{}
	for _, e := range st.Experiments() {
		exps[e.ID] = e
	}
	d := scheduler.Decide(scheduler.Input{
		Now: now, Pending: pending, Nodes: s.placeableNodes(pending), Running: running, Experiments: exps,
		Projects: projectMap(st), Classes: classMap(st),
		Usage:         scheduler.DecayedUsage(st.Attempts(""), exps, now, s.cfg.FairShareHalfLife),
		LostIfStopped: lostIfStopped(st, running, exps),
		Policy: scheduler.Policy{HalfLife: s.cfg.FairShareHalfLife,
			ProtectWindow: s.cfg.PreemptionProtectWindow, ProtectAfter: s.cfg.PreemptionProtectAfter},
	})
	s.queue.store(&queueView{At: now, Entries: d.Queue})
	s.metrics.unplaced.Set(float64(len(pending) - len(d.Plans)))
	for _, p := range d.Preemptions {
		if ctx.Err() != nil {
			return
		}
		s.requestStop(p.AttemptID, p.ExperimentID, structs.StopRequest{
			Reason: structs.StopPreempt, Detail: p.Detail, For: p.For}, now)
	}
	for _, p := range d.Plans {
		if ctx.Err() != nil {
			return
		}
		id := newID()
		w := systemWrite("attempt_place", p.ExperimentID)
		w.Audit.Reason = p.Reason
		_, err := s.apply(structs.AttemptCreateRequestType, &structs.AttemptCreateRequest{
			WriteRequest: w, Attempt: structs.Attempt{ID: id, ExperimentID: p.ExperimentID, Ranks: p.Ranks},
		})
		if err != nil {
			s.metrics.placementFailures.Inc()
			s.log.Warn("place attempt", "experiment_id", p.ExperimentID, "error", err)
			continue
		}
		s.metrics.placements.Inc()
		s.log.Info("attempt placed", "experiment_id", p.ExperimentID, "attempt_id", id, "ranks", len(p.Ranks))
	}
}

// enforceStops asks runs past their time limit to checkpoint and stop, and ends
// the attempts whose stop deadline passed without their agents ending them: they
// resume (or, past a time limit, end) at their newest committed checkpoint.
func (s *Server) enforceStops(ctx context.Context, st *state.Store, running []*structs.Attempt, now time.Time) {
	for _, a := range running {
		if ctx.Err() != nil {
			return
		}
		if a.Stop != nil {
			if now.UnixNano() < a.Stop.Deadline {
				continue
			}
			reason := fmt.Sprintf("did not commit a checkpoint within %v of the stop request; stopped at its newest committed checkpoint", s.cfg.PreemptionTimeout)
			w := systemWrite("attempt_stop_deadline", a.ID)
			w.Audit.Reason = reason
			_, err := s.apply(structs.AttemptEndRequestType, &structs.AttemptEndRequest{
				WriteRequest: w, AttemptID: a.ID, Rank: 0, Status: structs.AttemptStopped, Reason: reason,
			})
			if err != nil {
				s.log.Warn("stop attempt past its deadline", "attempt_id", a.ID, "error", err)
				continue
			}
			s.log.Warn("attempt stopped at its deadline", "attempt_id", a.ID, "experiment_id", a.ExperimentID, "stop", a.Stop.Reason)
			continue
		}
		e, err := st.Experiment(a.ExperimentID)
		if err != nil {
			continue
		}
		limit := e.Spec.TimeLimitDuration()
		if limit == 0 || now.Sub(time.Unix(0, a.CreatedAt)) < limit {
			continue
		}
		s.requestStop(a.ID, a.ExperimentID, structs.StopRequest{
			Reason: structs.StopTimeLimit, Detail: fmt.Sprintf("ran past its time limit of %s", e.Spec.TimeLimit)}, now)
	}
}

// requestStop commits a stop request with its deadline; the audit entry's target
// names the attempt, and the reason is in the record the entry commits.
func (s *Server) requestStop(attemptID, experimentID string, stop structs.StopRequest, now time.Time) {
	stop.RequestedAt, stop.Deadline = now.UnixNano(), now.Add(s.cfg.PreemptionTimeout).UnixNano()
	action := "attempt_preempt"
	if stop.Reason == structs.StopTimeLimit {
		action = "attempt_time_limit"
	}
	w := systemWrite(action, attemptID)
	w.Audit.Reason = stop.Detail
	_, err := s.apply(structs.AttemptStopRequestType, &structs.AttemptStopRequest{WriteRequest: w, AttemptID: attemptID, Stop: stop})
	if err != nil {
		s.log.Warn("request stop", "attempt_id", attemptID, "reason", stop.Reason, "error", err)
		return
	}
	s.log.Info("attempt asked to checkpoint and stop", "attempt_id", attemptID, "experiment_id", experimentID,
		"reason", stop.Reason, "detail", stop.Detail)
}

func projectMap(st *state.Store) map[string]*structs.Project {
	out := map[string]*structs.Project{}
	for _, p := range st.Projects() {
		out[p.Name] = p
	}
	return out
}

func classMap(st *state.Store) map[string]structs.PriorityClass {
	out := map[string]structs.PriorityClass{}
	for _, c := range st.PriorityClasses() {
		out[c.Name] = c
	}
	return out
}

// lostIfStopped is, per running attempt, the steps its last progress report is past
// its experiment's newest committed checkpoint: the work a forced stop would lose.
func lostIfStopped(st *state.Store, running []*structs.Attempt, exps map[string]*structs.Experiment) map[string]int64 {
	out := map[string]int64{}
	for _, a := range running {
		e := exps[a.ExperimentID]
		if e == nil {
			continue
		}
		var saved int64
		if c, err := st.LatestCheckpoint(e.ID); err == nil {
			saved = c.Step
		}
		out[a.ID] = max(0, e.Progress.Step-saved)
	}
	return out
}
