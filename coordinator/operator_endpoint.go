package coordinator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/raft"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

func (s *Server) operatorRoutes() []route {
	return []route{
		{"POST /v1/operator/raft/join", kindPublic, nil, s.joinEndpoint},
		{"POST /v1/operator/security-events", kindPublic, nil, s.securityEventsEndpoint},
		{"GET /v1/operator/raft/peers", kindRead, []string{structs.RoleAdmin}, func(rc *reqCtx) (any, error) { return s.peers() }},
		{"DELETE /v1/operator/raft/peers/{id}", kindWrite, []string{structs.RoleAdmin}, s.removePeerEndpoint},
	}
}

// joinEndpoint adds a server as a voter. Under TLS the server certificate checkPeer
// required is enough; without TLS it takes the servers' shared join token or an
// admin token.
func (s *Server) joinEndpoint(rc *reqCtx) (any, error) {
	if s.tls == nil && !s.isJoinToken(rc.r) {
		tok, err := s.authenticate(rc.r)
		if err != nil {
			if !s.IsLeader() && rc.r.Header.Get(structs.HeaderForwarded) == "" {
				return nil, s.forward(rc)
			}
			return nil, err
		}
		if !tok.HasRole(structs.RoleAdmin) {
			return nil, fmt.Errorf("token %s lacks role admin: %w", tok.AccessorID, structs.ErrPermissionDenied)
		}
		rc.token = tok
	}
	var req structs.JoinRequest
	if err := rc.decode(&req); err != nil {
		return nil, err
	}
	if err := checkID("id", req.ID); err != nil {
		return nil, err
	}
	if err := checkHostPort("raft_addr", req.RaftAddr); err != nil {
		return nil, err
	}
	if err := checkHostPort("http_addr", req.HTTPAddr); err != nil {
		return nil, err
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	f := s.raft.AddVoter(raft.ServerID(req.ID), raft.ServerAddress(req.RaftAddr), 0, s.cfg.ApplyTimeout)
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("add voter %s at %s: %w", req.ID, req.RaftAddr, err)
	}
	idx, err := s.apply(structs.ServerMemberUpsertRequestType, &structs.ServerMemberUpsertRequest{
		WriteRequest: rc.write("server_join", req.ID),
		Member:       structs.ServerMember{ID: req.ID, RaftAddr: req.RaftAddr, HTTPAddr: req.HTTPAddr},
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("server joined", "peer_id", req.ID, "raft_addr", req.RaftAddr)
	return structs.WriteResponse{Index: idx}, nil
}

func (s *Server) removePeerEndpoint(rc *reqCtx) (any, error) {
	id := rc.r.PathValue("id")
	if err := checkID("id", id); err != nil {
		return nil, err
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	known := false
	if peers, err := s.peers(); err == nil {
		for _, p := range peers {
			known = known || p.ID == id
		}
	}
	if !known {
		return nil, fmt.Errorf("raft peer %q: %w", id, structs.ErrNotFound)
	}
	if err := s.raft.RemoveServer(raft.ServerID(id), 0, s.cfg.ApplyTimeout).Error(); err != nil {
		return nil, fmt.Errorf("remove raft peer %s: %w", id, err)
	}
	idx, err := s.apply(structs.ServerMemberDeleteRequestType, &structs.ServerMemberDeleteRequest{
		WriteRequest: rc.write("server_remove", id), ID: id})
	if err != nil && !errors.Is(err, structs.ErrNotFound) {
		return nil, err
	}
	return structs.WriteResponse{Index: idx}, nil
}

// joinLoop asks the configured servers, in turn, to add this server until one agrees.
// A server that is already a member is added again harmlessly (AddVoter is idempotent).
func (s *Server) joinLoop(ctx context.Context) {
	body, _ := json.Marshal(structs.JoinRequest{ID: s.cfg.NodeID, RaftAddr: s.RaftAddr(), HTTPAddr: s.HTTPAddr()})
	backoff := 100 * time.Millisecond
	for {
		for _, addr := range s.cfg.Join {
			err := s.joinOnce(ctx, addr, body)
			if err == nil {
				s.log.Info("joined cluster", "via", addr)
				return
			}
			s.log.Warn("join attempt failed", "via", addr, "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.shutdownCh:
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

func (s *Server) joinOnce(ctx context.Context, addr string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	base := strings.TrimSuffix(addr, "/")
	if !strings.Contains(base, "://") {
		base = s.scheme() + "://" + base // --join takes host:port or a URL, like the CLI's --addr
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/operator/raft/join", bytes.NewReader(body))
	if err != nil {
		return err
	}
	if s.cfg.JoinToken != "" {
		req.Header.Set(structs.HeaderToken, s.cfg.JoinToken)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e structs.ErrorResponse
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return fmt.Errorf("join via %s: http %d: %s", addr, resp.StatusCode, e.Error)
	}
	return nil
}

// announceLoop keeps this server's replicated HTTP address current: a server that
// restarts on a new HTTP address (and has no Join list, like the bootstrap server)
// asks the leader to record it, using the join endpoint, which is idempotent.
func (s *Server) announceLoop(ctx context.Context) {
	body, _ := json.Marshal(structs.JoinRequest{ID: s.cfg.NodeID, RaftAddr: s.RaftAddr(), HTTPAddr: s.HTTPAddr()})
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select { // first give replication of a fresh join a moment to arrive
		case <-ctx.Done():
			return
		case <-s.shutdownCh:
			return
		case <-t.C:
		}
		m, err := s.State().Member(s.cfg.NodeID)
		if err == nil && m.HTTPAddr == s.HTTPAddr() && m.RaftAddr == s.RaftAddr() {
			return
		}
		if !s.IsLeader() { // a leader records itself in its leader loop
			if addr, err := s.leaderHTTPAddr(); err == nil {
				if err := s.joinOnce(ctx, addr, body); err != nil {
					s.log.Debug("announce http address", "error", err)
				}
			}
		}
	}
}
