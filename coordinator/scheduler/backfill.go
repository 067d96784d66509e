package scheduler

// release is when some running work is expected to give its devices back.
type release struct {
	end    int64
	run    int32 // index into runs, or -1 - index into placed
	placed bool
}

// reserve makes pe the head of its device kind's queue (EASY backfill): it walks
// the expected ends of running work (time limits, stop deadlines, and what this
// pass started) until pe's smallest gang would fit, and reserves on the nodes it
// would take then the devices that are free now and it will need. Later
// experiments keep off those devices unless they end before the head starts, so
// backfill never delays it. Without time limits to go on there is no reservation:
// it returns false and backfill is unrestricted.
func (s *pass) reserve(pe *pend) bool {
	p := s.pools[pe.pool]
	d, ranks := int32(pe.need.Devices), pe.need.Min
	rel := s.rel[:0]
	defer func() { s.rel = rel[:0] }()
	for i := range s.runs {
		r := &s.runs[i]
		if r.pool != pe.pool || r.forPend >= 0 {
			continue // another kind, or promised to a preemptor
		}
		if end := s.runEnd(r); end != never {
			rel = append(rel, release{end: end, run: int32(i)})
		}
	}
	for i := range s.placed {
		if pl := &s.placed[i]; pl.pool == pe.pool && pl.end != never {
			rel = append(rel, release{end: pl.end, run: int32(i), placed: true})
		}
	}
	h := minHeap[release]{items: rel, less: func(a, b release) bool { return a.end < b.end }}
	h.init()
	count := p.unres.atLeast(int(d))
	start, found := int64(0), false
	for len(h.items) > 0 && !found {
		end := h.items[0].end
		// Every release at the same instant together: the choice of nodes below
		// must not depend on the order of the input.
		for len(h.items) > 0 && h.items[0].end == end {
			r := h.pop()
			if r.placed {
				pl := &s.placed[r.run]
				for _, n := range s.placedOn[pl.from:pl.to] {
					count = s.addExtra(p, n, pl.d, d, count)
				}
				continue
			}
			run := &s.runs[r.run]
			for _, l := range s.locs[run.loc0:run.loc1] {
				count = s.addExtra(p, l.node, l.devs, d, count)
			}
		}
		if count >= ranks {
			start, found = max(end, s.now), true
		}
	}
	if found {
		p.resvNodes = p.resvNodes[:0]
		for _, c := range s.chooseNodes(p, ranks, int(d)) {
			p.set(int(c.node), p.free[c.node], c.cost)
			if c.cost > 0 {
				p.resvNodes = append(p.resvNodes, c.node)
			}
		}
		p.head, p.start = pe, start
	}
	s.clearExtra()
	return found
}
