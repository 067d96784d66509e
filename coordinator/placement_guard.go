package coordinator

import (
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// placeableNodes are the live nodes minus those not heard from since an attempt they
// ran a rank of failed. A rank's death fails its attempt at once (its peers' collective
// breaks), while its node is marked down only after the heartbeat timeout; placing the
// next attempt on that node meanwhile would spend a restart on a corpse. A node that is
// alive heartbeats again within one interval and becomes placeable.
func (s *Server) placeableNodes(pending []*structs.Experiment) []*structs.Node {
	unconfirmed := map[string]bool{}
	st := s.State()
	for _, e := range pending {
		var last *structs.Attempt
		for _, a := range st.Attempts(e.ID) {
			if a.Status == structs.AttemptFailed && (last == nil || a.EndedAt > last.EndedAt) {
				last = a
			}
		}
		if last == nil {
			continue
		}
		ended := time.Unix(0, last.EndedAt)
		for _, r := range last.Ranks {
			if s.heartbeats.lastSeen(r.NodeID).Before(ended) {
				unconfirmed[r.NodeID] = true
			}
		}
	}
	nodes := s.liveNodes()
	if len(unconfirmed) == 0 {
		return nodes
	}
	kept := nodes[:0]
	for _, n := range nodes {
		if !unconfirmed[n.ID] {
			kept = append(kept, n)
		}
	}
	return kept
}
