package scheduler

// freeDevices is the IDs of node n's usable devices of the pool's kind (healthy or
// degraded, not cordoned) that no running attempt holds, in the node's device
// order, less those given to ranks earlier in this pass. A running rank placed
// before ranks named their devices holds a count: that many are taken from the end.
//
// Counting by subtraction (usable minus held) is enough to decide; the names are
// read only for the nodes a pass places on, and for nodes with unusable devices,
// where a held device might be one of them.
func (s *pass) freeDevices(p *pool, n int) []string {
	if p.idsOK[n] {
		return p.ids[n]
	}
	node := s.nodes[n]
	locs := s.byNode[s.onNode[n]:s.onNode[n+1]]
	held := func(id string) bool {
		for _, li := range locs {
			for _, d := range s.locs[li].rank.Devices {
				if d == id {
					return true
				}
			}
		}
		return false
	}
	from := len(p.idsBuf)
	for i := range node.Devices {
		d := &node.Devices[i]
		if d.Kind == p.kind && d.Usable() && !held(d.ID) {
			p.idsBuf = append(p.idsBuf, d.ID)
		}
	}
	ids := p.idsBuf[from:len(p.idsBuf):len(p.idsBuf)]
	anonymous := 0
	for _, li := range locs {
		l := &s.locs[li]
		if r := &s.runs[l.run]; len(l.rank.Devices) == 0 && r.e != nil && r.need.Kind == p.kind {
			anonymous += int(l.devs)
		}
	}
	ids = ids[:max(0, len(ids)-anonymous)]
	p.ids[n], p.idsOK[n] = ids, true
	return ids
}
