package coordinator

import (
	"fmt"
	"strconv"

	"github.com/hashicorp/raft"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

func (s *Server) statusRoutes() []route {
	return []route{
		// Status is answered by whichever server is asked: it says who it thinks leads.
		{"GET /v1/status", kindLocal, nil, func(rc *reqCtx) (any, error) { return s.status() }},
		{"GET /v1/operator/servers", kindLocal, nil, s.serversEndpoint},
	}
}

// status describes the cluster as this server sees it.
func (s *Server) status() (*structs.StatusResponse, error) {
	leaderAddr, leaderID := s.raft.LeaderWithID()
	peers, err := s.peers()
	if err != nil {
		return nil, err
	}
	out := &structs.StatusResponse{
		ServerID: s.cfg.NodeID, IsLeader: s.IsLeader(),
		LeaderID: string(leaderID), LeaderRaftAddr: string(leaderAddr),
		Peers: peers, LastIndex: s.raft.LastIndex(), AppliedIndex: s.raft.AppliedIndex(),
		OpenAlerts: s.State().OpenAlerts(),
		TLS:        s.TLSStatus(),
	}
	if term, err := strconv.ParseUint(s.raft.Stats()["term"], 10, 64); err == nil {
		out.Term = term
	}
	if m, err := s.State().Member(string(leaderID)); err == nil {
		out.LeaderHTTPAddr = m.HTTPAddr
	}
	return out, nil
}

// peers lists the Raft configuration with each server's HTTP address.
func (s *Server) peers() ([]structs.Peer, error) {
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("read raft configuration: %w", err)
	}
	_, leaderID := s.raft.LeaderWithID()
	var out []structs.Peer
	for _, srv := range f.Configuration().Servers {
		p := structs.Peer{ID: string(srv.ID), RaftAddr: string(srv.Address),
			Voter: srv.Suffrage == raft.Voter, Leader: srv.ID == leaderID}
		if m, err := s.State().Member(p.ID); err == nil {
			p.HTTPAddr = m.HTTPAddr
		}
		out = append(out, p)
	}
	return out, nil
}
