package coordinator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/pki"
)

const (
	// refusalFlushInterval is how often counted refusals are committed to the audit log.
	refusalFlushInterval = time.Second
	// maxPendingRefusals bounds the runs held between flushes; a flood from more
	// sources than this is counted in the log line, not kept one by one.
	maxPendingRefusals = 256
)

// refusalLog logs each refused connection and request, counts them in runs per
// source and reason, and commits the runs to the replicated audit log through the
// leader.
type refusalLog struct {
	s       *Server
	counter *pki.RefusalCounter
}

func newRefusalLog(s *Server) *refusalLog {
	return &refusalLog{s: s, counter: pki.NewRefusalCounter(maxPendingRefusals)}
}

// record notes one refusal. It never blocks on Raft.
func (l *refusalLog) record(r pki.Refusal) {
	l.s.log.Warn("connection refused", "listener", r.Listener, "source", r.Remote, "reason", r.Reason, "peer", r.Peer)
	l.s.metrics.tlsRefused.WithLabelValues(r.Listener).Inc()
	l.counter.Add(r, time.Now())
}

// loop flushes until the server shuts down.
func (l *refusalLog) loop(ctx context.Context) {
	t := time.NewTicker(refusalFlushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.s.shutdownCh:
			return
		case <-t.C:
			l.flush(ctx)
		}
	}
}

func (l *refusalLog) take() []structs.SecurityEvent {
	runs, dropped := l.counter.Take()
	if dropped > 0 {
		l.s.log.Warn("refusals from too many sources to audit one by one", "not_audited", dropped)
	}
	return structs.SecurityEventsFrom(l.s.cfg.NodeID, runs)
}

// flush commits the pending runs: through Raft on the leader, through the leader's
// API (with this server's certificate) on a follower. Runs that fail to commit are
// logged already and dropped rather than piling up while there is no leader.
func (l *refusalLog) flush(ctx context.Context) {
	events := l.take()
	if len(events) == 0 {
		return
	}
	req := structs.SecurityEventsRequest{WriteRequest: structs.WriteRequest{Timestamp: time.Now().UnixNano()}, Events: events}
	var err error
	if l.s.IsLeader() {
		_, err = l.s.apply(structs.SecurityEventsRequestType, &req)
	} else {
		err = l.s.postToLeader(ctx, "/v1/operator/security-events", req)
	}
	if err != nil {
		l.s.log.Warn("audit refused connections", "events", len(events), "error", err)
	}
}

// postToLeader sends a server-to-server request to the leader's API.
func (s *Server) postToLeader(ctx context.Context, path string, body any) error {
	addr, err := s.leaderHTTPAddr()
	if err != nil {
		return err
	}
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.scheme()+"://"+addr+path, bytes.NewReader(data))
	if err != nil {
		return err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e structs.ErrorResponse
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return fmt.Errorf("%s on leader %s: http %d: %s", path, addr, resp.StatusCode, e.Error)
	}
	return nil
}

// securityEventsEndpoint is POST /v1/operator/security-events: a follower's refusals,
// accepted only over a connection with a server certificate (checkPeer).
func (s *Server) securityEventsEndpoint(rc *reqCtx) (any, error) {
	if s.tls == nil {
		return nil, fmt.Errorf("security events are sent between servers over mutual TLS, and this server runs without it: %w", structs.ErrPermissionDenied)
	}
	req, err := decodeSecurityEvents(rc)
	if err != nil {
		return nil, err
	}
	return s.commitSecurityEvents(rc, req)
}

// agentListeners are the listeners an agent may report refusals of: its ring
// links and its log server.
var agentListeners = map[string]bool{"ring": true, "logs": true}

// agentSecurityEventsEndpoint is POST /v1/agent/security-events: the refusals an
// agent's ring and log server saw. Every event is stamped with the name on the
// agent's certificate (on the leader, the one the forwarding server vouches
// for), so an agent cannot write refusals in a server's or another agent's name.
func (s *Server) agentSecurityEventsEndpoint(rc *reqCtx) (any, error) {
	if s.tls == nil {
		return nil, fmt.Errorf("agents report refusals only under mutual TLS, and this server runs without it: %w", structs.ErrPermissionDenied)
	}
	req, err := decodeSecurityEvents(rc)
	if err != nil {
		return nil, err
	}
	id, ok := s.requestPeer(rc.r)
	if !ok || id.Role != pki.RoleAgent {
		return nil, fmt.Errorf("refusals are reported by the agent that saw them, over its agent certificate: %w", structs.ErrPermissionDenied)
	}
	for i := range req.Events {
		ev := &req.Events[i]
		if !agentListeners[ev.Listener] {
			return nil, structs.Invalid(fmt.Sprintf("events[%d].listener", i), fmt.Sprintf("%q is not an agent's listener (ring or logs)", ev.Listener))
		}
		ev.Server = id.Name
	}
	return s.commitSecurityEvents(rc, req)
}

func decodeSecurityEvents(rc *reqCtx) (*structs.SecurityEventsRequest, error) {
	var req structs.SecurityEventsRequest
	if err := rc.decode(&req); err != nil {
		return nil, err
	}
	if len(req.Events) == 0 || len(req.Events) > maxPendingRefusals {
		return nil, structs.Invalid("events", fmt.Sprintf("want 1 to %d, got %d", maxPendingRefusals, len(req.Events)))
	}
	return &req, nil
}

// commitSecurityEvents applies req on the leader (a follower forwards the request),
// stamped with the leader's time and nothing the sender wrote.
func (s *Server) commitSecurityEvents(rc *reqCtx, req *structs.SecurityEventsRequest) (any, error) {
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	req.WriteRequest = structs.WriteRequest{Timestamp: time.Now().UnixNano()}
	idx, err := s.apply(structs.SecurityEventsRequestType, req)
	if err != nil {
		return nil, err
	}
	return structs.WriteResponse{Index: idx}, nil
}
