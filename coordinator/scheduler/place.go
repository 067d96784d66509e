package scheduler

import (
	"slices"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// set changes a node's free and reserved counts and refiles it in both indexes.
func (p *pool) set(n int, free, resv int32) {
	p.all.move(n, int(p.free[n]), int(free))
	p.unres.move(n, int(p.free[n]-p.resv[n]), int(free-resv))
	p.free[n], p.resv[n] = free, resv
}

// takeLending removes x free devices of node n for work that may use reserved
// devices (it ends before the head starts, which gets them back): reserved first.
func (p *pool) takeLending(n int, x int32) {
	r := min(x, p.resv[n])
	p.set(n, p.free[n]-x, p.resv[n]-r)
}

// take removes x unreserved free devices of node n.
func (p *pool) take(n int, x int32) {
	p.set(n, p.free[n]-x, p.resv[n])
}

// place gives the experiment ranks nodes with d free devices each, best fit, and
// names the devices. lending says it may use devices reserved for the head.
func (s *pass) place(pe *pend, ranks int, lending bool) {
	p := s.pools[pe.pool]
	d := int32(pe.need.Devices)
	idx := &p.unres
	if lending {
		idx = &p.all
	}
	nodes := s.picked[:0]
	defer func() { s.picked = nodes[:0] }()
	for {
		nodes = nodes[:0]
		if lending {
			// Reserved devices first: until the head starts they would idle.
			for _, n := range p.resvNodes {
				if len(nodes) < ranks && p.resv[n] > 0 && p.free[n] >= d {
					nodes = append(nodes, n)
				}
			}
		}
		if len(nodes) < ranks {
			taken := nodes
			nodes = idx.pick(nodes, int(d), ranks-len(nodes), func(n int) bool { return slices.Contains(taken, int32(n)) })
		}
		if s.verify(p, nodes, d) {
			break
		}
		if idx.atLeast(int(d)) < pe.need.Min {
			s.wait(pe, s.noCapacity(pe), 0)
			return
		}
		ranks = min(ranks, idx.atLeast(int(d)))
	}
	slices.Sort(nodes)
	plan := Plan{ExperimentID: pe.id, Ranks: make([]structs.Rank, len(nodes)), Reason: "class " + pe.class + ", project " + pe.project}
	if lending {
		plan.Reason += "; backfilled on devices reserved for the head of the queue: its time limit ends before the head's expected start"
	}
	devices := make([]string, len(nodes)*int(d)) // the plan's own: the pass's buffers are reused
	for i, n := range nodes {
		ids := p.ids[n]
		node := s.nodes[n]
		devs := devices[i*int(d) : (i+1)*int(d) : (i+1)*int(d)]
		copy(devs, ids[:d])
		plan.Ranks[i] = structs.Rank{Rank: i, NodeID: node.ID, Address: node.Address, Devices: devs}
		p.ids[n] = ids[d:]
		if lending {
			p.takeLending(int(n), d)
		} else {
			p.take(int(n), d)
		}
	}
	s.out.Plans = append(s.out.Plans, plan)
	pr := s.projects[pe.proj]
	pr.held[pe.pool] += len(nodes) * int(d)
	s.bounds = s.bounds[:0] // who borrows may have changed
	s.updateShare(pr)
	end := int64(never)
	if l := s.pendLimit(pe); l > 0 {
		end = s.now + l
	}
	from := int32(len(s.placedOn))
	s.placedOn = append(s.placedOn, nodes...)
	s.placed = append(s.placed, placedRun{pool: pe.pool, d: d, from: from, to: int32(len(s.placedOn)), end: end})
}

// verify checks the chosen nodes against their device names; a node whose count
// was too high (a held device that no longer exists) is corrected, and the caller
// picks again.
func (s *pass) verify(p *pool, nodes []int32, d int32) bool {
	ok := true
	for _, n := range nodes {
		ids := s.freeDevices(p, int(n))
		if have := int32(len(ids)) - p.hold[n]; have < p.free[n] {
			p.set(int(n), max(have, 0), min(p.resv[n], max(have, 0)))
			ok = false
		}
	}
	return ok
}
