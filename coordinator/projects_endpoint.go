package coordinator

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/scheduler"
	"github.com/dxtrain/dxtrain/coordinator/state"
	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// maxProjectWeight bounds a fair-share weight: beyond it one project's share rounds
// every other's to nothing.
const maxProjectWeight = 1000

func (s *Server) projectRoutes() []route {
	readers := []string{structs.RoleResearcher, structs.RoleValidator}
	admin := []string{structs.RoleAdmin}
	return []route{
		{"GET /v1/projects", kindRead, readers, func(rc *reqCtx) (any, error) {
			out := []structs.ProjectStatus{}
			usage := s.usage()
			for _, p := range s.State().Projects() {
				out = append(out, s.projectStatus(p, usage))
			}
			return out, nil
		}},
		{"GET /v1/projects/{name}", kindRead, readers, func(rc *reqCtx) (any, error) {
			p, err := s.State().Project(rc.r.PathValue("name"))
			if err != nil {
				return nil, err
			}
			return s.projectStatus(p, s.usage()), nil
		}},
		{"PUT /v1/projects/{name}", kindWrite, admin, s.setProjectEndpoint},
		{"DELETE /v1/projects/{name}", kindWrite, admin, s.deleteProjectEndpoint},
		{"GET /v1/priority-classes", kindRead, nil, func(rc *reqCtx) (any, error) {
			return s.State().PriorityClasses(), nil
		}},
		{"PUT /v1/priority-classes/{name}", kindWrite, admin, s.setPriorityClassEndpoint},
		{"GET /v1/queue", kindRead, readers, s.queueEndpoint},
	}
}

func (s *Server) setProjectEndpoint(rc *reqCtx) (any, error) {
	name := rc.r.PathValue("name")
	if err := checkName("name", name); err != nil {
		return nil, err
	}
	var req structs.ProjectSetRequest
	if err := rc.decode(&req); err != nil {
		return nil, err
	}
	if err := checkProject(&req); err != nil {
		return nil, err
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	for i, m := range req.Members {
		if _, err := s.State().TokenByAccessor(m); err != nil {
			return nil, structs.Invalid(fmt.Sprintf("members[%d]", i), fmt.Sprintf("no token has accessor ID %q", m))
		}
	}
	p := structs.Project{Name: name, Members: req.Members, Quota: req.Quota, BorrowLimit: req.BorrowLimit, Weight: req.Weight}
	if p.Weight == 0 {
		p.Weight = 1
	}
	notes := quotaNotes(&p, s.inUse(name))
	idx, err := s.apply(structs.ProjectUpsertRequestType, &structs.ProjectUpsertRequest{
		WriteRequest: rc.write("project_set", name), Project: p})
	if err != nil {
		return nil, err
	}
	s.wakeLeader()
	return structs.ProjectSetResponse{Index: idx, Notes: notes}, nil
}

// checkProject names the first bad number of a project change.
func checkProject(req *structs.ProjectSetRequest) error {
	if math.IsNaN(req.Weight) || req.Weight < 0 || req.Weight > maxProjectWeight {
		return structs.Invalid("weight", fmt.Sprintf("must be in (0, %d] (0 means 1), got %v", maxProjectWeight, req.Weight))
	}
	for field, m := range map[string]map[string]int{"quota": req.Quota, "borrow_limit": req.BorrowLimit} {
		for kind, n := range m {
			if kind != "cpu" && kind != "gpu" {
				return structs.Invalid(field, fmt.Sprintf("device kind %q is not cpu or gpu", kind))
			}
			if n < 0 {
				return structs.Invalid(field+"."+kind, fmt.Sprintf("must not be negative, got %d", n))
			}
		}
	}
	return nil
}

// quotaNotes says when a new quota or limit is below what the project holds now: it
// takes effect as its runs end, nothing running is stopped for it.
func quotaNotes(p *structs.Project, inUse map[string]int) []string {
	var notes []string
	for _, kind := range slices.Sorted(maps.Keys(inUse)) {
		used := inUse[kind]
		if q, ok := p.Quota[kind]; ok && used > q {
			notes = append(notes, fmt.Sprintf("quota %s %d is below the %d the project's running runs hold: it takes effect as they end (nothing is stopped for it)", kind, q, used))
		}
		if l := p.Limit(kind); l >= 0 && used > l {
			notes = append(notes, fmt.Sprintf("limit %s %d (quota + borrow_limit) is below the %d in use: no new run starts until use falls below it", kind, l, used))
		}
	}
	return notes
}

func (s *Server) deleteProjectEndpoint(rc *reqCtx) (any, error) {
	name := rc.r.PathValue("name")
	if err := checkName("name", name); err != nil {
		return nil, err
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(s.State().CreatedProjects(), func(p *structs.Project) bool { return p.Name == name }) {
		return nil, fmt.Errorf("project %q (never created; the default project always exists): %w", name, structs.ErrNotFound)
	}
	for _, e := range s.State().Experiments() {
		if !structs.ExperimentTerminal(e.Status) && scheduler.ProjectOf(e) == name {
			return nil, fmt.Errorf("project %s still has experiment %s (%s): %w", name, e.ID, e.Status, structs.ErrConflict)
		}
	}
	idx, err := s.apply(structs.ProjectDeleteRequestType, &structs.ProjectDeleteRequest{
		WriteRequest: rc.write("project_delete", name), Name: name})
	if err != nil {
		return nil, err
	}
	return structs.WriteResponse{Index: idx}, nil
}

func (s *Server) setPriorityClassEndpoint(rc *reqCtx) (any, error) {
	name := rc.r.PathValue("name")
	if err := checkName("name", name); err != nil {
		return nil, err
	}
	var req structs.PriorityClassSetRequest
	if err := rc.decode(&req); err != nil {
		return nil, err
	}
	for i, r := range req.Roles {
		if !structs.ValidRole(r) {
			return nil, structs.Invalid(fmt.Sprintf("roles[%d]", i), fmt.Sprintf("%q is not a role", r))
		}
	}
	if req.Value < 0 || req.Value > 1_000_000 {
		return nil, structs.Invalid("value", fmt.Sprintf("must be in [0, 1000000], got %d", req.Value))
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	idx, err := s.apply(structs.PriorityClassUpsertRequestType, &structs.PriorityClassUpsertRequest{
		WriteRequest: rc.write("priority_class_set", name),
		Class:        structs.PriorityClass{Name: name, Value: req.Value, Roles: req.Roles, Description: req.Description}})
	if err != nil {
		return nil, err
	}
	return structs.WriteResponse{Index: idx}, nil
}

// queueEndpoint serves the leader's last scheduling pass.
func (s *Server) queueEndpoint(rc *reqCtx) (any, error) {
	q := s.queue.load()
	out := structs.QueueResponse{Entries: []structs.QueueEntry{}}
	if !q.At.IsZero() {
		out.At = q.At.UnixNano()
	}
	st := s.State()
	for _, qe := range q.Entries {
		e, err := st.Experiment(qe.ExperimentID)
		if err != nil || e.Status != structs.ExperimentPending {
			continue // placed or cancelled since the pass
		}
		out.Entries = append(out.Entries, wireQueueEntry(qe, e))
	}
	return out, nil
}

func wireQueueEntry(qe scheduler.QueueEntry, e *structs.Experiment) structs.QueueEntry {
	w := structs.QueueEntry{Position: qe.Position, ExperimentID: e.ID, Name: e.Name,
		Project: scheduler.ProjectOf(e), Priority: scheduler.ClassOf(e), Reason: qe.Reason, QueuedAt: e.QueuedAt}
	if !qe.EstimatedStart.IsZero() {
		w.EstimatedStart = qe.EstimatedStart.UnixNano()
	}
	return w
}

// usage is every project's decayed device-seconds per kind, as fair share sees it.
func (s *Server) usage() map[string]map[string]float64 {
	st := s.State()
	exps := map[string]*structs.Experiment{}
	for _, e := range st.Experiments() {
		exps[e.ID] = e
	}
	return scheduler.DecayedUsage(st.Attempts(""), exps, time.Now(), s.cfg.FairShareHalfLife)
}

// projectStatus adds to a project what it holds now, its runs and its usage.
func (s *Server) projectStatus(p *structs.Project, usage map[string]map[string]float64) structs.ProjectStatus {
	ps := structs.ProjectStatus{Project: *p, InUse: s.inUse(p.Name), Usage: map[string]float64{}}
	for _, e := range s.State().Experiments() {
		if scheduler.ProjectOf(e) != p.Name {
			continue
		}
		switch e.Status {
		case structs.ExperimentRunning:
			ps.Running++
		case structs.ExperimentPending:
			ps.Pending++
		}
	}
	if u := usage[p.Name]; u != nil {
		ps.Usage = u
	}
	ps.Notes = quotaNotes(p, ps.InUse)
	return ps
}

// inUse is the devices per kind the project's running attempts hold.
func (s *Server) inUse(project string) map[string]int {
	return projectInUse(s.State(), project)
}

func projectInUse(st *state.Store, project string) map[string]int {
	out := map[string]int{}
	for _, a := range st.RunningAttempts("") {
		e, err := st.Experiment(a.ExperimentID)
		if err != nil || scheduler.ProjectOf(e) != project {
			continue
		}
		need := scheduler.NeedOf(e)
		out[need.Kind] += need.Devices * len(a.Ranks)
	}
	return out
}
