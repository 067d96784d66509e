package scheduler

import (
	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// buildRuns reads the running attempts: what they hold per node and project, and
// which of them a preemptor could take devices from. Like buildPending it reads in
// sweeps of independent loads: attempts, then their experiments, then names, then
// ranks, then nodes.
func (s *pass) buildRuns() {
	s.runs, s.locs = s.runs[:0], s.locs[:0]
	s.projects = s.projects[:0]
	clear(s.projAt)
	for _, a := range s.in.Running {
		if a.Status == structs.AttemptRunning {
			s.runs = append(s.runs, run{a: a, pool: -1, proj: -1, forPend: -1})
		}
	}
	for i := range s.runs {
		r := &s.runs[i]
		r.e = s.in.Experiments[r.a.ExperimentID]
	}
	for i := range s.runs {
		if r := &s.runs[i]; r.e != nil {
			r.need = NeedOf(r.e)
			r.project, r.class = r.e.Spec.Project, r.e.Spec.Priority
			r.preemptive = r.a.Stop == nil && !s.pol.protected(r.e, s.now)
		}
	}
	for i := range s.runs {
		r := &s.runs[i]
		if r.e == nil {
			continue
		}
		r.pool = s.poolOf(r.need.Kind)
		if r.project == "" {
			r.project = structs.DefaultProject
		}
		if r.class == "" {
			r.class = structs.DefaultPriority
		}
		r.proj = s.projectIndex(r.project)
		r.value = s.classValue(r.class)
	}
	for i := range s.runs {
		r := &s.runs[i]
		r.loc0 = int32(len(s.locs))
		for k := range r.a.Ranks {
			rk := &r.a.Ranks[k]
			devs := len(rk.Devices)
			if devs == 0 {
				devs = r.need.Devices
			}
			r.devices += devs
			s.locs = append(s.locs, rankLoc{node: -1, run: int32(i), devs: int32(devs), rank: rk})
		}
		r.loc1 = int32(len(s.locs))
		if r.proj >= 0 && r.pool >= 0 {
			s.projects[r.proj].held[r.pool] += r.devices
		}
	}
	locs := s.locs[:0]
	for _, l := range s.locs {
		n, ok := s.nodeAt[l.rank.NodeID]
		if !ok {
			continue // a node that takes no work: only eligible nodes are counted
		}
		l.node = n
		locs = append(locs, l)
		r := &s.runs[l.run]
		switch {
		case r.pool >= 0:
			s.pools[r.pool].free[n] -= l.devs
		case r.e == nil:
			// Unknown spec: its named devices are still not free.
			for _, p := range s.pools {
				p.exact[n] = true
			}
		}
	}
	// Dropping the ranks on other nodes moved the runs' ranges: set them again.
	if len(locs) != len(s.locs) {
		for i := range s.runs {
			s.runs[i].loc0, s.runs[i].loc1 = 0, 0
		}
		for i := len(locs) - 1; i >= 0; i-- {
			s.runs[locs[i].run].loc0 = int32(i)
		}
		for i := range locs {
			s.runs[locs[i].run].loc1 = int32(i + 1)
		}
	}
	s.locs = locs
	// Group the ranks by node (counting sort), for exact device IDs.
	s.onNode = resize(s.onNode, len(s.nodes)+1)
	for _, l := range s.locs {
		s.onNode[l.node+1]++
	}
	for i := 1; i < len(s.onNode); i++ {
		s.onNode[i] += s.onNode[i-1]
	}
	s.byNode = resize(s.byNode, len(s.locs))
	s.fill = append(s.fill[:0], s.onNode[:len(s.nodes)]...)
	for i, l := range s.locs {
		s.byNode[s.fill[l.node]] = int32(i)
		s.fill[l.node]++
	}
	for _, p := range s.pools {
		maxFree := 0
		for n := range p.free {
			if p.exact[n] {
				p.free[n] = int32(len(s.freeDevices(p, n)))
			}
			p.free[n] = max(p.free[n], 0)
			maxFree = max(maxFree, int(p.free[n]))
		}
		p.all.reset(len(s.nodes), maxFree)
		p.unres.reset(len(s.nodes), maxFree)
		for n, f := range p.free {
			p.all.add(n, int(f))
			p.unres.add(n, int(f))
		}
	}
	for i := range s.runs {
		r := &s.runs[i]
		if r.pool < 0 {
			r.preemptive = false
		}
		if !r.preemptive {
			continue
		}
		p, pr := s.pools[r.pool], s.projects[r.proj]
		p.minVictim = min(p.minVictim, r.value)
		pr.minVictim[r.pool] = min(pr.minVictim[r.pool], r.value)
	}
}

// runEnd is when a run is expected to end: at its stop deadline if it is being
// stopped, at CreatedAt plus its time limit, or never.
func (s *pass) runEnd(r *run) int64 {
	if r.endKnown {
		return r.end
	}
	r.endKnown, r.end = true, never
	if r.e != nil {
		if l := s.limitOf(r.e); l > 0 {
			r.end = r.a.CreatedAt + l
		}
	}
	if r.a.Stop != nil && r.a.Stop.Deadline > 0 {
		r.end = min(r.end, r.a.Stop.Deadline)
	}
	return r.end
}
