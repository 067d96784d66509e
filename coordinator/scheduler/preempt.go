package scheduler

import (
	"slices"
)

// failedTry remembers a victim search that found too little, so that a pass with
// thousands of waiting experiments does not repeat it for every one of them: a
// gang at least as wide and as deep, of the same class and mode, fails as well.
type failedTry struct {
	pool, value  int
	reclaim      bool
	quotaBlocked int32 // project index +1 when the search was for quota, else 0
	min, d       int
}

// cand is a possible victim.
type cand struct {
	run     int32
	value   int
	over    int // devices its project holds above its quota
	lost    int64
	created int64
	id      string
}

// victimFirst is the victim order: lowest class, most over its project's quota,
// least work lost, youngest, then by ID.
func victimFirst(a, b cand) bool {
	switch {
	case a.value != b.value:
		return a.value < b.value
	case a.over != b.over:
		return a.over > b.over
	case a.lost != b.lost:
		return a.lost < b.lost
	case a.created != b.created:
		return a.created > b.created
	}
	return a.id < b.id
}

// holdWaiting runs first in a pass: an experiment whose preempted victims are still
// checkpointing gets, while those victims' devices and the free ones will cover its
// gang, the free ones held for it, so that nothing else starts on them meanwhile
// and no more runs are preempted for it.
func (s *pass) holdWaiting() {
	ws := s.ws[:0]
	for _, pe := range s.pending {
		if len(pe.waiting) > 0 && pe.bad == "" && pe.pool >= 0 {
			ws = append(ws, pe)
		}
	}
	s.ws = ws
	slices.SortStableFunc(ws, func(a, b *pend) int { return a.rank - b.rank })
	for _, pe := range ws {
		p := s.pools[pe.pool]
		d := int32(pe.need.Devices)
		count := p.unres.atLeast(int(d))
		for _, ri := range pe.waiting {
			if r := &s.runs[ri]; r.pool == pe.pool {
				for _, l := range s.locs[r.loc0:r.loc1] {
					count = s.addExtra(p, l.node, l.devs, d, count)
				}
			}
		}
		if count >= pe.need.Min {
			s.holdFor(p, pe.need.Min, int(d))
			pe.holding = true
		}
		s.clearExtra()
	}
}

// preempt looks for the runs to stop so that pe can start: runs of a lower class,
// or — when pe's project stays within its guaranteed quota with this gang — runs of
// projects above their quota with a class no higher than pe's. Victims are taken
// lowest class first, then the most over its project's quota, then the least work
// lost, then the youngest, until the gang fits on the free devices and theirs;
// then every victim the fit does not need is let go, last taken first. One
// preemptor per pass; stopping and protected runs are never victims.
func (s *pass) preempt(pe *pend, quotaBlocked bool) bool {
	if s.preempted || s.tries >= s.pol.MaxPreemptionTries {
		return false
	}
	p, pr := s.pools[pe.pool], s.projects[pe.proj]
	d, minR, pool := int32(pe.need.Devices), pe.need.Min, pe.pool
	reclaim := !quotaBlocked && pr.held[pool]+minR*int(d) <= pr.quota[pool] && s.borrowerBelow(pe)
	switch {
	case quotaBlocked && pr.minVictim[pool] >= pe.value:
		return false // only its own project's lower runs would free quota
	case !quotaBlocked && !reclaim && p.minVictim >= pe.value:
		return false
	}
	try := failedTry{pool: pool, value: pe.value, reclaim: reclaim, min: minR, d: int(d)}
	if quotaBlocked {
		try.quotaBlocked = pe.proj + 1
	}
	for _, f := range s.failed {
		if f.pool == try.pool && f.value == try.value && f.reclaim == try.reclaim &&
			f.quotaBlocked == try.quotaBlocked && f.min <= minR && f.d <= int(d) {
			return false
		}
	}
	s.tries++

	if len(pe.waiting) == 0 && !s.mayFit(pe, reclaim, quotaBlocked) {
		s.failed = append(s.failed, try)
		return false
	}
	cands := s.cands[:0]
	for i := range s.runs {
		r := &s.runs[i]
		if s.candidate(r, pe, reclaim) {
			q := s.projects[r.proj]
			cands = append(cands, cand{run: int32(i), value: r.value, over: q.held[pool] - q.quota[pool],
				lost: s.in.LostIfStopped[r.a.ID], created: r.a.CreatedAt, id: r.a.ID})
		}
	}
	s.cands = cands

	count := p.unres.atLeast(int(d))
	for _, ri := range pe.waiting {
		if r := &s.runs[ri]; r.pool == pool {
			for _, l := range s.locs[r.loc0:r.loc1] {
				count = s.addExtra(p, l.node, l.devs, d, count)
			}
		}
	}
	base := count
	limit := pr.limit[pool]
	ownFreed := 0
	s.freed = resize(s.freed, len(s.projects))
	freed := s.freed // devices taken from each project so far
	fits := func() bool {
		return count >= minR && (limit < 0 || pr.held[pool]+minR*int(d)-ownFreed <= limit)
	}
	toggle := func(r *run, sign int32) {
		for _, l := range s.locs[r.loc0:r.loc1] {
			count = s.addExtra(p, l.node, sign*l.devs, d, count)
		}
		freed[r.proj] += int(sign) * r.devices
		if r.proj == pe.proj {
			ownFreed += int(sign) * r.devices
		}
	}
	// Would stopping every candidate be enough? (mayFit asked that of a
	// cached answer; this is the exact one.)
	for _, c := range cands {
		toggle(&s.runs[c.run], 1)
	}
	enough := fits()
	for _, c := range cands {
		toggle(&s.runs[c.run], -1)
	}
	if count, ownFreed = base, 0; !enough {
		s.clearExtra()
		s.failed = append(s.failed, try)
		return false
	}
	h := minHeap[cand]{items: cands, less: victimFirst}
	h.init()
	chosen := s.chosen[:0]
	defer func() { s.chosen = chosen[:0] }()
	for len(h.items) > 0 && !fits() {
		c := h.pop()
		r := &s.runs[c.run]
		if r.value >= pe.value {
			// A reclaim victim only while its project still borrows.
			if q := s.projects[r.proj]; q.held[pool]-freed[r.proj] <= q.quota[pool] {
				continue
			}
		}
		toggle(r, 1)
		chosen = append(chosen, c.run)
	}
	if !fits() {
		s.clearExtra()
		s.failed = append(s.failed, try)
		return false
	}
	for i := len(chosen) - 1; i >= 0; i-- {
		r := &s.runs[chosen[i]]
		toggle(r, -1)
		if fits() {
			chosen = slices.Delete(chosen, i, i+1)
		} else {
			toggle(r, 1)
		}
	}
	s.holdFor(p, minR, int(d))
	s.clearExtra()
	s.preempted = true
	for _, ri := range chosen {
		r := &s.runs[ri]
		r.forPend = pe.idx
		pe.waiting = append(pe.waiting, ri)
		s.out.Preemptions = append(s.out.Preemptions, Preemption{AttemptID: r.a.ID, ExperimentID: r.a.ExperimentID,
			For: pe.id, Detail: s.preemptDetail(pe, r)})
	}
	pe.holding = true
	return true
}

// candidate reports whether a run may be preempted for pe: of a lower class; or,
// when pe reclaims quota, of a class no higher and of another project that holds
// more than its quota.
func (s *pass) candidate(r *run, pe *pend, reclaim bool) bool {
	if !r.preemptive || r.pool != pe.pool || r.forPend >= 0 {
		return false
	}
	if r.value < pe.value {
		return true
	}
	q := s.projects[r.proj]
	return reclaim && r.value <= pe.value && r.proj != pe.proj && q.held[pe.pool] > q.quota[pe.pool]
}

// bound is, for one set of candidates, how the eligible nodes would stand if all
// of them stopped: nodes per count of devices available, and the devices of the
// preemptor's own project among them (what would free quota).
type bound struct {
	pool, value int
	reclaim     bool
	proj        int32 // the preemptor's project: candidates of other projects do not free its quota
	nodes       []int // nodes per available count
	own         int
}

// mayFit answers from a bound kept for the pass whether stopping every candidate
// could start pe. A pass asks this for many waiting experiments of a few classes,
// and most cannot preempt; computing the answer anew walked every running rank
// each time. The bound is dropped whenever a placement changes what projects
// hold (which changes who borrows); placements and holds otherwise only take
// devices away, so a kept bound errs high, never low.
func (s *pass) mayFit(pe *pend, reclaim, quotaBlocked bool) bool {
	var b *bound
	for i := range s.bounds {
		if x := &s.bounds[i]; x.pool == pe.pool && x.value == pe.value && x.reclaim == reclaim && x.proj == pe.proj {
			b = x
			break
		}
	}
	if b == nil {
		p := s.pools[pe.pool]
		s.bounds = append(s.bounds, bound{pool: pe.pool, value: pe.value, reclaim: reclaim, proj: pe.proj})
		b = &s.bounds[len(s.bounds)-1]
		for i := range s.runs {
			r := &s.runs[i]
			if !s.candidate(r, pe, reclaim) {
				continue
			}
			if r.proj == pe.proj {
				b.own += r.devices
			}
			for _, l := range s.locs[r.loc0:r.loc1] {
				s.addExtra(p, l.node, l.devs, 0, 0)
			}
		}
		b.nodes = make([]int, p.most+1)
		for n := range s.nodes {
			b.nodes[min(int(p.free[n]-p.resv[n]+s.extra[n]), p.most)]++
		}
		s.clearExtra()
	}
	pr := s.projects[pe.proj]
	if lim := pr.limit[pe.pool]; quotaBlocked && lim >= 0 && pr.held[pe.pool]+pe.need.Min*pe.need.Devices-b.own > lim {
		return false
	}
	n := 0
	for c := pe.need.Devices; c < len(b.nodes); c++ {
		n += b.nodes[c]
	}
	return n >= pe.need.Min
}

// borrowerBelow reports whether some other project holds more than its quota of
// pe's kind with a run pe's class may reclaim from.
func (s *pass) borrowerBelow(pe *pend) bool {
	for i, q := range s.projects {
		if int32(i) != pe.proj && q.held[pe.pool] > q.quota[pe.pool] && q.minVictim[pe.pool] <= pe.value {
			return true
		}
	}
	return false
}

func (s *pass) preemptDetail(pe *pend, victim *run) string {
	if victim.value < pe.value {
		return "for experiment " + pe.id + ": priority " + ClassOf(pe.e) + " over " + ClassOf(victim.e)
	}
	return "for experiment " + pe.id + ": project " + ProjectOf(pe.e) + " reclaims its quota from borrowing project " +
		ProjectOf(victim.e)
}

// waitingUntil is the latest stop deadline of the runs pe waits for.
func (s *pass) waitingUntil(pe *pend) (t int64) {
	for _, ri := range pe.waiting {
		if st := s.runs[ri].a.Stop; st != nil {
			t = max(t, st.Deadline)
		}
	}
	return t
}
