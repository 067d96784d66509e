package structs

import "github.com/dxtrain/dxtrain/pki"

// Audit outcomes.
const (
	OutcomeOK    = "ok"
	OutcomeError = "error"
	// OutcomeRefused is a connection or request the transport security turned away.
	OutcomeRefused = "refused"
)

// ActionTLSRefused is the audit action of a connection refused for its certificate
// (or for having none, or for speaking plaintext).
const ActionTLSRefused = "tls_refused"

// SecurityEvent is a run of refusals from one source for one reason, counted
// between two flushes so a flood costs one entry, not one per connection.
type SecurityEvent struct {
	Server   string `json:"server"`   // the server (or agent) that refused
	Listener string `json:"listener"` // api or raft on a server, ring or logs on an agent
	Source   string `json:"source"`   // the peer's IP address
	Reason   string `json:"reason"`
	Peer     string `json:"peer,omitempty"` // the certificate's identity, if one was presented
	Count    int    `json:"count"`
	First    int64  `json:"first"` // unix nanoseconds
	Last     int64  `json:"last"`
}

// SecurityEventsFrom is the audit log's form of the refusal runs that by (a
// server's node ID, or an agent's) saw.
func SecurityEventsFrom(by string, runs []pki.RefusalRun) []SecurityEvent {
	out := make([]SecurityEvent, len(runs))
	for i, r := range runs {
		out[i] = SecurityEvent{Server: by, Listener: r.Listener, Source: r.Remote, Reason: r.Reason,
			Peer: r.Peer, Count: r.Count, First: r.First.UnixNano(), Last: r.Last.UnixNano()}
	}
	return out
}

// SecurityEventsRequest commits refusals to the audit log.
type SecurityEventsRequest struct {
	WriteRequest
	Events []SecurityEvent `json:"events"`
}

// AuditEntry is one line of the replicated audit log: who did what to what, when,
// and whether it worked. Actor is a token accessor ID (never a secret) or "system"
// for the leader's own decisions.
type AuditEntry struct {
	Index   uint64 `json:"index"`
	Time    int64  `json:"time"`
	Actor   string `json:"actor"`
	Action  string `json:"action"`
	Target  string `json:"target"`
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
	// Reason says why the system made a decision (a preemption, a time limit).
	Reason string `json:"reason,omitempty"`
}

// ActorSystem is the actor of writes the leader makes on its own (node down,
// placement).
const ActorSystem = "system"
