package coordinator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
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

type refusalKey struct{ listener, source, reason, peer string }

// refusalLog counts refused connections and requests per source and reason, logs
// each, and commits the counts to the replicated audit log through the leader.
type refusalLog struct {
	s       *Server
	mu      sync.Mutex
	pending map[refusalKey]*structs.SecurityEvent
	dropped int
}

func newRefusalLog(s *Server) *refusalLog {
	return &refusalLog{s: s, pending: map[refusalKey]*structs.SecurityEvent{}}
}

// record notes one refusal. It never blocks on Raft.
func (l *refusalLog) record(r pki.Refusal) {
	source := r.Remote
	if host, _, err := net.SplitHostPort(r.Remote); err == nil {
		source = host
	}
	l.s.log.Warn("connection refused", "listener", r.Listener, "source", source, "reason", r.Reason, "peer", r.Peer)
	l.s.metrics.tlsRefused.WithLabelValues(r.Listener).Inc()
	now := time.Now().UnixNano()
	k := refusalKey{r.Listener, source, r.Reason, r.Peer}
	l.mu.Lock()
	defer l.mu.Unlock()
	if ev := l.pending[k]; ev != nil {
		ev.Count++
		ev.Last = now
		return
	}
	if len(l.pending) >= maxPendingRefusals {
		l.dropped++
		return
	}
	l.pending[k] = &structs.SecurityEvent{Server: l.s.cfg.NodeID, Listener: r.Listener, Source: source,
		Reason: r.Reason, Peer: r.Peer, Count: 1, First: now, Last: now}
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
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dropped > 0 {
		l.s.log.Warn("refusals from too many sources to audit one by one", "not_audited", l.dropped)
		l.dropped = 0
	}
	out := make([]structs.SecurityEvent, 0, len(l.pending))
	for _, ev := range l.pending {
		out = append(out, *ev)
	}
	clear(l.pending)
	sort.Slice(out, func(i, j int) bool { return out[i].First < out[j].First })
	return out
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
	var req structs.SecurityEventsRequest
	if err := rc.decode(&req); err != nil {
		return nil, err
	}
	if len(req.Events) == 0 || len(req.Events) > maxPendingRefusals {
		return nil, structs.Invalid("events", fmt.Sprintf("want 1 to %d, got %d", maxPendingRefusals, len(req.Events)))
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	req.WriteRequest = structs.WriteRequest{Timestamp: time.Now().UnixNano()}
	idx, err := s.apply(structs.SecurityEventsRequestType, &req)
	if err != nil {
		return nil, err
	}
	return structs.WriteResponse{Index: idx}, nil
}
