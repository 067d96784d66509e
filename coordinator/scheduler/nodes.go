package scheduler

import (
	"slices"
	"strings"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// buildNodes indexes the eligible nodes and counts their usable devices per kind.
func (s *pass) buildNodes() {
	nodes := s.nodes[:0]
	sorted := true
	for _, n := range s.in.Nodes {
		if n.Status != structs.NodeStatusUp || n.Drain {
			continue
		}
		if len(nodes) > 0 && nodes[len(nodes)-1].ID >= n.ID {
			sorted = false
		}
		nodes = append(nodes, n)
	}
	if !sorted {
		slices.SortStableFunc(nodes, func(a, b *structs.Node) int { return strings.Compare(a.ID, b.ID) })
	}
	s.nodes = nodes
	// The node index is kept while the eligible nodes stay the same, which they
	// do from one pass to the next but for the odd registration or failure.
	same := len(nodes) == len(s.nodeIDs)
	for i := 0; same && i < len(nodes); i++ {
		same = nodes[i].ID == s.nodeIDs[i]
	}
	if !same {
		clear(s.nodeAt)
		s.nodeIDs = s.nodeIDs[:0]
		for i, n := range nodes {
			s.nodeAt[n.ID] = int32(i)
			s.nodeIDs = append(s.nodeIDs, n.ID)
		}
	}
	// One walk over the devices: pools are made as kinds turn up, then put in
	// kind order.
	clear(s.poolAt)
	s.pools = s.pools[:0]
	for i, n := range nodes {
		last, pi := "", -1
		for j := range n.Devices {
			d := &n.Devices[j]
			if d.Kind != last || pi < 0 {
				last, pi = d.Kind, s.poolOf(d.Kind)
				if pi < 0 {
					pi = len(s.pools)
					if pi == len(s.poolBuf) {
						s.poolBuf = append(s.poolBuf, &pool{})
					}
					p := s.poolBuf[pi]
					p.reset(d.Kind, len(nodes))
					s.pools = append(s.pools, p)
					s.poolAt[d.Kind] = pi
				}
			}
			p := s.pools[pi]
			if d.Usable() {
				p.free[i]++
			} else {
				// Held devices might be among the unusable ones: count this node's
				// free devices by name (freeDevices).
				p.exact[i] = true
			}
		}
	}
	if len(s.pools) > 1 {
		slices.SortFunc(s.pools, func(a, b *pool) int { return strings.Compare(a.kind, b.kind) })
		copy(s.poolBuf, s.pools)
		for i, p := range s.pools {
			s.poolAt[p.kind] = i
		}
	}
	for _, p := range s.pools {
		for _, f := range p.free {
			p.cap += int(f)
			p.most = max(p.most, int(f))
		}
	}
	s.extra, s.mark = resize(s.extra, len(nodes)), resize(s.mark, len(nodes))
	s.touched = s.touched[:0]
}

func (s *pass) poolOf(kind string) int {
	if len(s.pools) == 1 {
		if s.pools[0].kind == kind {
			return 0
		}
		return -1
	}
	if i, ok := s.poolAt[kind]; ok {
		return i
	}
	return -1
}
