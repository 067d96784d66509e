package structs

// HTTP request and response bodies of the /v1 API. Write responses carry the Raft
// index of the applied entry; read responses carry the store's index in the
// X-Dxtrain-Index header.

// HTTP headers of the API.
const (
	HeaderToken     = "X-Dxtrain-Token"
	HeaderIndex     = "X-Dxtrain-Index"
	HeaderForwarded = "X-Dxtrain-Forwarded"
	// HeaderForwardedPeer carries, on a request a server forwards to the leader, the
	// certificate identity ("agent/node-7") of the connection the request came in
	// on, or "" for none; the leader believes it only over a server's certificate.
	HeaderForwardedPeer = "X-Dxtrain-Forwarded-Peer"
	HeaderLeader        = "X-Dxtrain-Leader" // "true" when the answering server was the leader
)

// ErrorResponse is the body of every 4xx/5xx answer.
type ErrorResponse struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// WriteResponse answers a write that creates nothing with an ID.
type WriteResponse struct {
	Index uint64 `json:"index"`
}

// CreateResponse answers a write that created a record with a leader-stamped ID.
type CreateResponse struct {
	ID    string `json:"id"`
	Index uint64 `json:"index"`
}

// Peer is one Raft voter as /v1/status and /v1/operator/raft/peers list it.
type Peer struct {
	ID       string `json:"id"`
	RaftAddr string `json:"raft_addr"`
	HTTPAddr string `json:"http_addr,omitempty"`
	Voter    bool   `json:"voter"`
	Leader   bool   `json:"leader"`
}

// StatusResponse is GET /v1/status.
type StatusResponse struct {
	ServerID       string `json:"server_id"`
	IsLeader       bool   `json:"is_leader"`
	LeaderID       string `json:"leader_id"`
	LeaderRaftAddr string `json:"leader_raft_addr"`
	LeaderHTTPAddr string `json:"leader_http_addr"`
	Peers          []Peer `json:"peers"`
	LastIndex      uint64 `json:"last_index"`    // last Raft log index on this server
	AppliedIndex   uint64 `json:"applied_index"` // last index applied to this server's FSM
	Term           uint64 `json:"term"`          // this server's current Raft term
	// OpenAlerts counts the unacknowledged alerts in this server's state (a count,
	// never their contents, so any token may see it).
	OpenAlerts int `json:"open_alerts"`
	// TLS says how this server's API and Raft are secured ("off …" when plaintext).
	TLS string `json:"tls"`
}

// ServerState is one server of GET /v1/operator/servers: its own status, asked by
// the server that answers, or why it could not be reached.
type ServerState struct {
	Peer
	Reachable    bool   `json:"reachable"`
	Error        string `json:"error,omitempty"`
	Term         uint64 `json:"term,omitempty"`
	AppliedIndex uint64 `json:"applied_index,omitempty"`
	LastIndex    uint64 `json:"last_index,omitempty"`
}

// Fill copies a server's own status into its entry.
func (st *ServerState) Fill(r *StatusResponse) {
	st.Reachable, st.Term, st.AppliedIndex, st.LastIndex = true, r.Term, r.AppliedIndex, r.LastIndex
}

// JoinRequest is POST /v1/operator/raft/join: add a server as a voter.
type JoinRequest struct {
	ID       string `json:"id"`
	RaftAddr string `json:"raft_addr"`
	HTTPAddr string `json:"http_addr"`
}

// DrainRequest is POST /v1/nodes/{id}/drain.
type DrainRequest struct {
	Enable bool `json:"enable"`
}

// CheckpointCommitArgs is POST /v1/checkpoints: the agent names a checkpoint whose
// blobs it has uploaded and verified.
type CheckpointCommitArgs struct {
	ExperimentID string             `json:"experiment_id"`
	AttemptID    string             `json:"attempt_id"`
	Step         int64              `json:"step"`
	Epoch        int                `json:"epoch"`
	ManifestHash string             `json:"manifest_hash"`
	BlobHashes   []string           `json:"blob_hashes"`
	Metrics      map[string]float64 `json:"metrics,omitempty"`
	WorldSize    int                `json:"world_size"`
}

// CheckpointFlagArgs is POST /v1/checkpoints/{id}/flag; nil leaves a flag as is.
type CheckpointFlagArgs struct {
	Pinned  *bool         `json:"pinned,omitempty"`
	Suspect *bool         `json:"suspect,omitempty"`
	Replay  *ReplayRecord `json:"replay,omitempty"` // validators only; Result and Detail
}

// DatasetRegisterArgs is POST /v1/datasets.
type DatasetRegisterArgs struct {
	Name         string   `json:"name"`
	ManifestHash string   `json:"manifest_hash"`
	BlobHashes   []string `json:"blob_hashes"`
}

// ACLTokenCreateArgs is POST /v1/acl/tokens.
type ACLTokenCreateArgs struct {
	Name  string   `json:"name"`
	Roles []string `json:"roles"`
}

// ACLTokenSecretResponse answers bootstrap and token creation. SecretID is shown
// once; the cluster keeps only its SHA-256.
type ACLTokenSecretResponse struct {
	AccessorID string   `json:"accessor_id"`
	SecretID   string   `json:"secret_id"`
	Name       string   `json:"name"`
	Roles      []string `json:"roles"`
	Index      uint64   `json:"index"`
}

// NodeRegisterArgs is POST /v1/agent/register.
type NodeRegisterArgs struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Address    string   `json:"address"`
	LogAddress string   `json:"log_address,omitempty"`
	Devices    []Device `json:"devices"`
}

// RendezvousArgs is POST /v1/agent/rendezvous: rank 0's agent publishes the address
// of a torch attempt's rendezvous store.
type RendezvousArgs struct {
	AttemptID  string `json:"attempt_id"`
	Rendezvous string `json:"rendezvous"`
}

// ResumedArgs is POST /v1/agent/resumed: rank 0's agent reports the checkpoint the
// attempt really resumed from (or ResumedFromScratch) once it verified it.
type ResumedArgs struct {
	AttemptID    string `json:"attempt_id"`
	CheckpointID string `json:"checkpoint_id"`
}

// ArtifactArgs is POST /v1/agent/artifact: an agent records a checked, uploaded file
// of a running attempt.
type ArtifactArgs struct {
	ExperimentID string   `json:"experiment_id"`
	AttemptID    string   `json:"attempt_id"`
	Artifact     Artifact `json:"artifact"`
}

// HeartbeatArgs is POST /v1/agent/heartbeat. Devices is optional (older agents send
// none); a device reported unhealthy is cordoned.
type HeartbeatArgs struct {
	NodeID  string         `json:"node_id"`
	Devices []DeviceStatus `json:"devices,omitempty"`
}

// UncordonArgs is POST /v1/nodes/{id}/uncordon.
type UncordonArgs struct {
	DeviceID string `json:"device_id"`
}

// HeartbeatResponse tells the agent its node's status and how often to beat.
type HeartbeatResponse struct {
	Status     string `json:"status"`
	IntervalMS int64  `json:"interval_ms"`
	Index      uint64 `json:"index"`
	LeaderID   string `json:"leader_id"`
}

// Assignment is one running attempt rank an agent must run (GET /v1/agent/assignments).
type Assignment struct {
	Attempt    Attempt     `json:"attempt"`
	Rank       int         `json:"rank"`
	Experiment Experiment  `json:"experiment"`
	ResumeFrom *Checkpoint `json:"resume_from,omitempty"`
}

// ProgressArgs is POST /v1/agent/progress.
type ProgressArgs struct {
	ExperimentID  string             `json:"experiment_id"`
	AttemptID     string             `json:"attempt_id"`
	Rank          int                `json:"rank"`
	Step          int64              `json:"step"`
	Epoch         int                `json:"epoch"`
	Loss          float64            `json:"loss"`
	SamplesPerSec float64            `json:"samples_per_sec"`
	Metrics       map[string]float64 `json:"metrics,omitempty"`
}

// AttemptEndArgs is POST /v1/agent/attempt-end.
type AttemptEndArgs struct {
	AttemptID string `json:"attempt_id"`
	Rank      int    `json:"rank"`
	Status    string `json:"status"` // succeeded or failed
	Reason    string `json:"reason,omitempty"`
}

// MetricsResponse is GET /v1/experiments/{id}/metrics.
type MetricsResponse struct {
	ExperimentID string   `json:"experiment_id"`
	Status       string   `json:"status"`
	Restarts     int      `json:"restarts"`
	Progress     Progress `json:"progress"`
}
