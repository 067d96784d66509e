package coordinator

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dxtrain/dxtrain/coordinator/scheduler"
	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// admit says, before an experiment is queued, what the cluster knows about its
// scheduling fields: the project exists and the submitter belongs to it, the
// priority class exists and the submitter's role may use it, and the gang could
// ever be placed (on the whole cluster and within the project's limit).
func (s *Server) admit(tok *structs.ACLToken, e *structs.Experiment) error {
	if err := s.checkMember(tok, scheduler.ProjectOf(e)); err != nil {
		return err
	}
	if err := s.checkPriority(tok, scheduler.ClassOf(e)); err != nil {
		return err
	}
	return s.checkFits(e)
}

// checkMember refuses a project that does not exist, and a researcher acting in a
// project it does not belong to (admins act in every project).
func (s *Server) checkMember(tok *structs.ACLToken, project string) error {
	p, err := s.State().Project(project)
	if err != nil {
		var names []string
		for _, p := range s.State().Projects() {
			names = append(names, p.Name)
		}
		return structs.Invalid("project", fmt.Sprintf("no project is named %q (projects: %s)", project, strings.Join(names, ", ")))
	}
	if tok.HasRole(structs.RoleAdmin) || p.HasMember(tok.AccessorID) {
		return nil
	}
	return fmt.Errorf("token %s is not a member of project %s: %w", tok.AccessorID, project, structs.ErrPermissionDenied)
}

// checkPriority refuses an unknown class and a class the token's roles may not use.
func (s *Server) checkPriority(tok *structs.ACLToken, class string) error {
	classes := s.State().PriorityClasses()
	i := slices.IndexFunc(classes, func(c structs.PriorityClass) bool { return c.Name == class })
	if i < 0 {
		var names []string
		for _, c := range classes {
			names = append(names, c.Name)
		}
		return structs.Invalid("priority", fmt.Sprintf("no priority class is named %q (classes: %s)", class, strings.Join(names, ", ")))
	}
	c := classes[i]
	if len(c.Roles) == 0 || tok.HasRole(c.Roles...) {
		return nil
	}
	return fmt.Errorf("priority class %s may be used by role %s only; token %s has %s: %w",
		class, strings.Join(c.Roles, " or "), tok.AccessorID, strings.Join(tok.Roles, ", "), structs.ErrPermissionDenied)
}

// checkFits refuses a gang that no placement could ever hold: more ranks than the
// registered nodes with enough devices of its kind (whatever their state now), or
// more devices than its project may hold. With no node registered yet it says
// nothing: agents may still be starting.
func (s *Server) checkFits(e *structs.Experiment) error {
	need := scheduler.NeedOf(e)
	if nodes := s.State().Nodes(); len(nodes) > 0 {
		if hosts := scheduler.LargestGang(nodes, need.Kind, need.Devices); hosts < need.Min {
			return structs.Invalid("workers.min", fmt.Sprintf("%d ranks of %d %s device(s) each cannot be placed: the whole cluster can host at most %d such ranks", need.Min, need.Devices, need.Kind, hosts))
		}
	}
	p, err := s.State().Project(scheduler.ProjectOf(e))
	if err != nil {
		return err
	}
	if limit, want := p.Limit(need.Kind), need.Min*need.Devices; limit >= 0 && want > limit {
		return structs.Invalid("workers.min", fmt.Sprintf("needs %d %s devices at its minimum, but project %s may hold at most %d (quota %d + borrow_limit %d)",
			want, need.Kind, p.Name, limit, p.Quota[need.Kind], p.BorrowLimit[need.Kind]))
	}
	return nil
}
