package scheduler

import "slices"

// The scratch counts (pass.extra, one per node, with pass.touched listing the nodes
// it is not zero on) hold the devices a gang would get back — from runs ending, from
// victims, from stopping runs — on top of what is free now. The timeline of the head,
// the victim search and the holds for waiting preemptors all count with them.

// holdFor keeps free devices back for an experiment that waits for stopping runs:
// on each of the nodes it will take, the devices the stopping runs do not cover.
func (s *pass) holdFor(p *pool, ranks, d int) {
	nodes := s.chooseNodes(p, ranks, d)
	for _, c := range nodes {
		if c.cost > 0 {
			p.take(int(c.node), c.cost)
			p.hold[c.node] += c.cost
		}
	}
}

// choice is a node a gang will take and the free devices it takes there now.
type choice struct {
	node int32
	cost int32 // free devices it needs now
}

// chooseNodes picks where a gang of ranks×d will run once the devices counted in
// extra are free: first the nodes extra covers best (fewest free devices taken
// now), then whole free nodes in node order.
// Devices reserved for the head count as taken.
func (s *pass) chooseNodes(p *pool, ranks, d int) []choice {
	out := s.choices[:0]
	defer func() { s.choices = out[:0] }()
	for _, n := range s.touched {
		if e := s.extra[n]; e > 0 && p.free[n]-p.resv[n]+e >= int32(d) {
			out = append(out, choice{node: n, cost: max(0, int32(d)-e)})
		}
	}
	slices.SortFunc(out, func(a, b choice) int {
		if a.cost != b.cost {
			return int(a.cost - b.cost)
		}
		return int(a.node - b.node)
	})
	if len(out) > ranks {
		out = out[:ranks]
	}
	if len(out) < ranks {
		p.unres.eachAtLeast(d, func(n int) bool {
			if s.extra[n] == 0 {
				out = append(out, choice{node: int32(n), cost: int32(d)})
			}
			return len(out) < ranks
		})
	}
	return out
}

// addExtra counts devs more (or, negative, fewer) devices that node n will get
// back, and returns count — the nodes with at least d available, reserved ones
// not counted — changed by the node crossing d either way.
func (s *pass) addExtra(p *pool, n int32, devs int32, d int32, count int) int {
	b := p.free[n] - p.resv[n]
	if !s.mark[n] {
		s.mark[n] = true
		s.touched = append(s.touched, n)
	}
	old := b + s.extra[n]
	s.extra[n] += devs
	if old < d && old+devs >= d {
		count++
	}
	if old >= d && old+devs < d {
		count--
	}
	return count
}

// clearExtra zeroes the scratch counts.
func (s *pass) clearExtra() {
	for _, n := range s.touched {
		s.extra[n], s.mark[n] = 0, false
	}
	s.touched = s.touched[:0]
}
