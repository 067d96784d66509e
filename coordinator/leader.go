package coordinator

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// monitorLeadership starts the leader loop when this server becomes leader and stops
// it when leadership is lost.
func (s *Server) monitorLeadership() {
	var (
		stop func()
		done sync.WaitGroup
	)
	stopLoop := func() {
		if stop != nil {
			stop()
			done.Wait()
			stop = nil
		}
	}
	defer stopLoop()
	for {
		select {
		case <-s.shutdownCh:
			return
		case isLeader := <-s.leaderCh:
			switch {
			case isLeader && stop == nil:
				ctx, cancel := context.WithCancel(context.Background())
				stop = cancel
				done.Add(1)
				go func() {
					defer done.Done()
					s.leaderLoop(ctx)
				}()
				s.log.Info("leadership acquired")
			case !isLeader && stop != nil:
				stopLoop()
				s.log.Info("leadership lost")
			}
		}
	}
}

// leaderLoop runs while this server leads: it waits until every earlier entry is
// applied (barrier) — until then a new leader's state may lack writes the previous
// leader acknowledged, so consistent reads are refused — records this server's HTTP
// address, then repeatedly marks silent nodes down and places pending experiments;
// retention and blob GC run beside it (collectGarbage).
func (s *Server) leaderLoop(ctx context.Context) {
	for {
		if err := s.raft.Barrier(s.cfg.ApplyTimeout).Error(); err == nil {
			break
		} else {
			s.log.Warn("leader barrier failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.cfg.RaftCommitTimeout):
		}
	}
	// Every entry of earlier terms is now applied here: consistent reads may start.
	s.established.Store(true)
	defer s.established.Store(false)
	s.heartbeats.reset(time.Now())
	s.devices.reset()
	s.samples.reset()
	if err := s.recordSelf(); err != nil {
		s.log.Warn("record own http address", "error", err)
	}
	gcDone := make(chan struct{})
	go func() { defer close(gcDone); s.collectGarbage(ctx) }()
	defer func() { <-gcDone }()
	tick := min(s.cfg.SchedulerInterval, s.cfg.NodeHeartbeatTimeout/4)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		s.checkNodes(ctx)
		s.schedule(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// recordSelf commits this server's Raft and HTTP addresses if they changed.
func (s *Server) recordSelf() error {
	m, err := s.State().Member(s.cfg.NodeID)
	if err == nil && m.HTTPAddr == s.HTTPAddr() && m.RaftAddr == s.RaftAddr() {
		return nil
	}
	_, err = s.apply(structs.ServerMemberUpsertRequestType, &structs.ServerMemberUpsertRequest{
		WriteRequest: systemWrite("server_member_upsert", s.cfg.NodeID),
		Member:       structs.ServerMember{ID: s.cfg.NodeID, RaftAddr: s.RaftAddr(), HTTPAddr: s.HTTPAddr()},
	})
	return err
}

// checkNodes commits as down every live node silent for longer than the timeout.
func (s *Server) checkNodes(ctx context.Context) {
	now := time.Now()
	for _, n := range s.State().Nodes() {
		if ctx.Err() != nil {
			return
		}
		if n.Status == structs.NodeStatusDown {
			continue
		}
		silent := now.Sub(s.heartbeats.lastSeen(n.ID))
		if silent <= s.cfg.NodeHeartbeatTimeout {
			continue
		}
		reason := fmt.Sprintf("no heartbeat for %v", silent.Round(time.Millisecond))
		_, err := s.apply(structs.NodeStatusRequestType, &structs.NodeStatusRequest{
			WriteRequest: systemWrite("node_down", n.ID),
			NodeID:       n.ID, Status: structs.NodeStatusDown, Reason: reason,
		})
		if err != nil {
			s.log.Warn("mark node down", "node_id", n.ID, "error", err)
			continue
		}
		s.log.Info("node marked down", "node_id", n.ID, "silent_ms", silent.Milliseconds())
	}
}

// systemWrite stamps a write the leader makes on its own.
func systemWrite(action, target string) structs.WriteRequest {
	now := time.Now().UnixNano()
	return structs.WriteRequest{Timestamp: now, Audit: &structs.AuditEntry{
		Time: now, Actor: structs.ActorSystem, Action: action, Target: target}}
}

// leaderHTTPAddr finds the leader's API address through the replicated member table.
func (s *Server) leaderHTTPAddr() (string, error) {
	_, id := s.raft.LeaderWithID()
	if id == "" {
		return "", structs.ErrNoLeader
	}
	m, err := s.State().Member(string(id))
	if err != nil {
		return "", fmt.Errorf("leader %s has no known http address: %w", id, structs.ErrNoLeader)
	}
	return m.HTTPAddr, nil
}
