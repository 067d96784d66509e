package scheduler

import (
	"math"
	"strings"
)

// cursor walks one project's pending experiments of one class value, oldest first.
type cursor struct {
	proj int32
	list []*pend
	next int
}

// inOrder calls fn for every pending experiment in policy order: class value
// (highest first); then those that stay within their project's quota before those
// that borrow; then the project's dominant share (lowest first); then age and ID.
// Shares change as fn places work, so the order is decided one experiment at a
// time: a project's next experiment competes with its new share, and one project
// does not take everything in one pass.
func (s *pass) inOrder(fn func(*pend)) {
	for _, pr := range s.projects {
		s.updateShare(pr)
	}
	nProj := len(s.projects)
	groups := len(s.values) + 1 // the last: unknown classes
	// Counting sort into (class, project) groups; pending is in age order already.
	s.start = resize(s.start, groups*nProj+1)
	start := s.start
	key := func(pe *pend) int32 {
		r := pe.rank
		if r < 0 {
			r = len(s.values)
		}
		return int32(r*nProj) + pe.proj
	}
	for _, pe := range s.pending {
		start[key(pe)+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	s.sorted = resize(s.sorted, len(s.pending))
	sorted := s.sorted
	s.fill = append(s.fill[:0], start[:len(start)-1]...)
	fill := s.fill
	for _, pe := range s.pending {
		k := key(pe)
		sorted[fill[k]] = pe
		fill[k]++
	}
	s.cursors = resize(s.cursors, nProj)
	cursors := s.cursors
	h := s.heap[:0]
	defer func() { s.heap = h[:0] }()
	for g := 0; g < groups; g++ {
		h = h[:0]
		for p := 0; p < nProj; p++ {
			if list := sorted[start[g*nProj+p]:start[g*nProj+p+1]]; len(list) > 0 {
				cursors[p] = cursor{proj: int32(p), list: list}
				h = append(h, &cursors[p])
			}
		}
		for i := len(h)/2 - 1; i >= 0; i-- {
			s.down(h, i)
		}
		for len(h) > 0 {
			c := h[0]
			fn(c.list[c.next])
			c.next++
			if c.next == len(c.list) {
				h[0] = h[len(h)-1]
				h = h[:len(h)-1]
			}
			s.down(h, 0)
		}
	}
}

// before orders two cursors by their next experiments.
func (s *pass) before(a, b *cursor) bool {
	x, y := a.list[a.next], b.list[b.next]
	if bx, by := s.borrows(x), s.borrows(y); bx != by {
		return by
	}
	if sx, sy := s.projects[a.proj].share, s.projects[b.proj].share; sx != sy {
		return sx < sy
	}
	if x.age != y.age {
		return x.age < y.age
	}
	return strings.Compare(x.id, y.id) < 0
}

func (s *pass) down(h []*cursor, i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && s.before(h[r], h[l]) {
			m = r
		}
		if !s.before(h[m], h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// borrows reports whether starting the experiment's smallest gang would take its
// project above its guaranteed quota.
func (s *pass) borrows(pe *pend) bool {
	if pe.pool < 0 {
		return true
	}
	pr := s.projects[pe.proj]
	return pr.held[pe.pool]+pe.need.Min*pe.need.Devices > pr.quota[pe.pool]
}

// updateShare recomputes a project's dominant share: over device kinds, the most of
// (decayed usage + devices held now × the charge horizon) / the cluster's devices
// of that kind, divided by the project's weight.
func (s *pass) updateShare(pr *project) {
	share := 0.0
	for i, p := range s.pools {
		if p.cap == 0 {
			continue
		}
		share = math.Max(share, (pr.usage[i]+s.charge*float64(pr.held[i]))/float64(p.cap))
	}
	pr.share = share / pr.weight
}
