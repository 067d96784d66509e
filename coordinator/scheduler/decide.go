package scheduler

// Decide runs one pass of the policy (see the package doc). Same Input, same
// Decision: every choice is made in sorted order, never in map order.
func Decide(in Input) Decision {
	if len(in.Pending) == 0 {
		return Decision{}
	}
	s := passes.Get().(*pass)
	s.init(&in)
	s.holdWaiting()
	s.inOrder(s.consider)
	out := s.out
	s.finish()
	passes.Put(s)
	return out
}

// consider places one experiment, or preempts for it, or reserves for it, or says
// why it waits.
func (s *pass) consider(pe *pend) {
	if pe.bad != "" {
		s.wait(pe, pe.bad, 0)
		return
	}
	if pe.pool < 0 {
		s.wait(pe, s.noCapacity(pe), 0)
		return
	}
	if pe.holding {
		s.wait(pe, s.waitingReason(pe), s.waitingUntil(pe))
		return
	}
	p, pr := s.pools[pe.pool], s.projects[pe.proj]
	d := pe.need.Devices
	allowed := pe.need.Max
	if lim := pr.limit[pe.pool]; lim >= 0 {
		allowed = min(allowed, (lim-pr.held[pe.pool])/d)
	}
	quotaBlocked := allowed < pe.need.Min
	if !quotaBlocked {
		// Work that ends before the head starts may use the devices reserved for
		// it, and goes there first; other work only where nothing is reserved.
		if have := p.all.atLeast(d); have >= pe.need.Min && p.head != nil && s.endsBefore(pe, p.start) {
			s.place(pe, min(have, allowed), true)
			return
		}
		if have := p.unres.atLeast(d); have >= pe.need.Min {
			s.place(pe, min(have, allowed), false)
			return
		}
	}
	if s.preempt(pe, quotaBlocked) {
		s.wait(pe, s.waitingReason(pe), 0)
		return
	}
	switch {
	case quotaBlocked:
		s.wait(pe, s.quotaReason(pe), 0)
	case p.head != nil && p.all.atLeast(d) >= pe.need.Min:
		s.wait(pe, s.reservedReason(pe), 0)
	case p.head == nil && s.reserve(pe):
		s.wait(pe, s.noCapacity(pe), p.start)
	default:
		s.wait(pe, s.noCapacity(pe), 0)
	}
}

// endsBefore reports whether an experiment started now reaches its time limit by t.
func (s *pass) endsBefore(pe *pend, t int64) bool {
	l := s.pendLimit(pe)
	return l > 0 && s.now+l <= t
}
