package state

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// UpsertProject creates or replaces a project. The endpoint has checked names and
// numbers; a quota below current use is allowed (it takes effect as runs end).
func (s *Store) UpsertProject(index uint64, req *structs.ProjectUpsertRequest) error {
	p := req.Project.Copy()
	if p.Name == "" {
		return structs.Invalid("project.name", "is empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.projects[p.Name]; ok {
		p.CreatedAt, p.CreateIndex = old.CreatedAt, old.CreateIndex
	} else {
		p.CreatedAt, p.CreateIndex = req.Timestamp, index
	}
	p.ModifyIndex = index
	s.projects[p.Name] = p
	s.bump(index)
	return nil
}

// DeleteProject deletes a project no live (non-terminal) experiment belongs to.
func (s *Store) DeleteProject(index uint64, req *structs.ProjectDeleteRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.projects[req.Name]; !ok {
		return fmt.Errorf("project %q: %w", req.Name, structs.ErrNotFound)
	}
	for _, e := range s.experiments {
		if !structs.ExperimentTerminal(e.Status) && projectOf(e) == req.Name {
			return fmt.Errorf("project %q still has experiment %s (%s): %w", req.Name, e.ID, e.Status, structs.ErrConflict)
		}
	}
	delete(s.projects, req.Name)
	s.bump(index)
	return nil
}

// Projects lists the projects an admin created, by name; the default project is
// listed too (implicit until created).
func (s *Store) Projects() []*structs.Project {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := sortedValues(s.projects, (*structs.Project).Copy, nil)
	if _, ok := s.projects[structs.DefaultProject]; !ok {
		out = append(out, structs.ImplicitDefaultProject())
		slices.SortFunc(out, func(a, b *structs.Project) int { return cmp.Compare(a.Name, b.Name) })
	}
	return out
}

// Project returns one project; the default project always exists.
func (s *Store) Project(name string) (*structs.Project, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if p, ok := s.projects[name]; ok {
		return p.Copy(), nil
	}
	if name == structs.DefaultProject {
		return structs.ImplicitDefaultProject(), nil
	}
	return nil, fmt.Errorf("project %q: %w", name, structs.ErrNotFound)
}

// RestoreProject inserts a project from a snapshot.
func (s *Store) RestoreProject(p *structs.Project) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.projects[p.Name] = p.Copy()
}

// UpsertPriorityClass creates or replaces a priority class. The first one an admin
// defines replaces the built-in set, so the built-ins are copied in first.
func (s *Store) UpsertPriorityClass(index uint64, req *structs.PriorityClassUpsertRequest) error {
	c := req.Class
	if c.Name == "" {
		return structs.Invalid("class.name", "is empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.classes) == 0 {
		for _, d := range structs.DefaultPriorityClasses() {
			d.ModifyIndex = index
			s.classes[d.Name] = &d
		}
	}
	c.Roles = slices.Clone(c.Roles)
	c.ModifyIndex = index
	s.classes[c.Name] = &c
	s.bump(index)
	return nil
}

// PriorityClasses lists the classes by value, highest first: the built-in set until
// an admin defines one.
func (s *Store) PriorityClasses() []structs.PriorityClass {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []structs.PriorityClass
	if len(s.classes) == 0 {
		out = structs.DefaultPriorityClasses()
	}
	for _, c := range s.classes {
		cc := *c
		cc.Roles = slices.Clone(c.Roles)
		out = append(out, cc)
	}
	slices.SortFunc(out, func(a, b structs.PriorityClass) int {
		if c := cmp.Compare(b.Value, a.Value); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out
}

// RestorePriorityClass inserts a class from a snapshot.
func (s *Store) RestorePriorityClass(c *structs.PriorityClass) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cc := *c
	s.classes[c.Name] = &cc
}

// projectOf is the project an experiment is charged to.
func projectOf(e *structs.Experiment) string {
	if e.Spec.Project == "" {
		return structs.DefaultProject
	}
	return e.Spec.Project
}

// CreatedProjects lists only the projects an admin created (for snapshots).
func (s *Store) CreatedProjects() []*structs.Project {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedValues(s.projects, (*structs.Project).Copy, nil)
}

// DefinedPriorityClasses lists only the classes an admin defined (for snapshots).
func (s *Store) DefinedPriorityClasses() []*structs.PriorityClass {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedValues(s.classes, func(c *structs.PriorityClass) *structs.PriorityClass {
		cc := *c
		cc.Roles = slices.Clone(c.Roles)
		return &cc
	}, nil)
}
