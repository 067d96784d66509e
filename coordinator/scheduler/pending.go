package scheduler

import (
	"slices"
	"strings"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// buildPending reads the pending experiments and links the stopping runs to the
// experiments their devices are promised to.
//
// The experiments are read in two sweeps, their own fields first and the names
// they hold second: the loads of one sweep do not depend on each other, so the
// memory system fetches many experiments at once instead of one miss at a time
// (a pass reads thousands of experiments no cache holds).
func (s *pass) buildPending() {
	n := len(s.in.Pending)
	if cap(s.pendBuf) < n {
		s.pendBuf = make([]pend, n)
	}
	s.pendBuf = s.pendBuf[:n]
	s.pending = resize(s.pending, n)
	for i, e := range s.in.Pending {
		pe := &s.pendBuf[i]
		*pe = pend{e: e, id: e.ID, need: NeedOf(e), age: e.QueuedAt, project: e.Spec.Project, class: e.Spec.Priority,
			waiting: pe.waiting[:0]}
		if pe.age == 0 {
			pe.age = e.CreatedAt
		}
	}
	sorted := true
	for i := range s.pendBuf {
		pe := &s.pendBuf[i]
		pe.pool = s.poolOf(pe.need.Kind)
		if pe.project == "" {
			pe.project = structs.DefaultProject
		}
		pe.proj = s.projectIndex(pe.project)
		if s.projects[pe.proj].undefined {
			pe.bad = "project: " + pe.project + " is not defined"
		}
		if pe.class == "" {
			pe.class = structs.DefaultPriority
		}
		if v, ok := s.classOf(pe.class); ok {
			pe.value = v
			pe.rank = slices.Index(s.values, v)
		} else {
			pe.rank = -1
			pe.bad = "priority class: " + pe.class + " is not defined"
		}
		s.pending[i] = pe
		if i > 0 && olderFirst(s.pending[i-1], pe) > 0 {
			sorted = false
		}
	}
	// Policy order within a project: oldest first, then by ID.
	if !sorted {
		slices.SortFunc(s.pending, olderFirst)
	}
	for i, pe := range s.pending {
		pe.idx = int32(i)
	}
	// A stopping run's Stop.For is found by its age and ID in the sorted list,
	// rather than by hashing every pending ID.
	for i := range s.runs {
		r := &s.runs[i]
		st := r.a.Stop
		if st == nil || st.For == "" {
			continue
		}
		e := s.in.Experiments[st.For]
		if e == nil {
			continue
		}
		key := pend{e: e, id: e.ID, age: e.QueuedAt}
		if key.age == 0 {
			key.age = e.CreatedAt
		}
		if pi, ok := slices.BinarySearchFunc(s.pending, &key, olderFirst); ok {
			r.forPend = int32(pi)
			s.pending[pi].waiting = append(s.pending[pi].waiting, int32(i))
		}
	}
}

func olderFirst(a, b *pend) int {
	if a.age != b.age {
		if a.age < b.age {
			return -1
		}
		return 1
	}
	return strings.Compare(a.id, b.id)
}

func (s *pass) pendLimit(pe *pend) int64 {
	if !pe.limitOK {
		pe.limit, pe.limitOK = s.limitOf(pe.e), true
	}
	return pe.limit
}
