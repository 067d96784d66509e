package structs

// Audit outcomes.
const (
	OutcomeOK    = "ok"
	OutcomeError = "error"
)

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
}

// ActorSystem is the actor of writes the leader makes on its own (node down,
// placement).
const ActorSystem = "system"
