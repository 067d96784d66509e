package coordinator

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/dxtrain/dxtrain/internal/configfile"
	"github.com/dxtrain/dxtrain/pki"
	"github.com/dxtrain/dxtrain/storage"
)

// Config configures one coordinator server. Durations in files are Go duration
// strings ("500ms").
type Config struct {
	// NodeID is the server's Raft ID; unique and stable across restarts.
	NodeID string `yaml:"node_id"`
	// DataDir holds raft.db (log + stable store) and snapshots/. Unused when InMemory.
	DataDir string `yaml:"data_dir"`
	// RaftAddr is the TCP address Raft listens on and advertises ("127.0.0.1:0" picks a port).
	RaftAddr string `yaml:"raft_addr"`
	// RaftAdvertise is the address other servers dial for Raft when it differs from
	// RaftAddr (NAT, a proxy); empty means the listener's own address.
	RaftAdvertise string `yaml:"raft_advertise"`
	// HTTPAddr is the API's listen address.
	HTTPAddr string `yaml:"http_addr"`
	// Bootstrap makes this server form a new one-server cluster if it has no state.
	Bootstrap bool `yaml:"bootstrap"`
	// Join lists HTTP addresses of existing servers to join through (any of them).
	Join []string `yaml:"join"`
	// JoinToken is a secret shared by the servers that lets one join another without
	// an admin token. Empty means joins need an admin token.
	JoinToken string `yaml:"join_token"`
	// TLS names the server's mutual TLS files (tls: {ca_file, cert_file, key_file}):
	// the API, Raft and the calls servers make to each other all use them.
	TLS pki.Files `yaml:"tls"`
	// InsecurePlaintext runs the API and Raft without TLS. It must be said: a config
	// with neither tls nor insecure_plaintext is refused, and a plaintext server logs
	// a warning at start and reports "tls: off" in its status.
	InsecurePlaintext bool `yaml:"insecure_plaintext"`
	// InMemory keeps the Raft log and snapshots in memory (tests, `dxtrain dev`).
	InMemory bool `yaml:"in_memory"`

	// NodeHeartbeatTimeout is how long an agent may be silent before its node is
	// committed as down.
	NodeHeartbeatTimeout time.Duration `yaml:"node_heartbeat_timeout"`
	// SchedulerInterval is how often the leader re-checks heartbeats and the queue
	// when nothing else wakes it.
	SchedulerInterval time.Duration `yaml:"scheduler_interval"`

	// Raft timing. Tuned so that a dead leader is replaced within about a second.
	RaftHeartbeatTimeout time.Duration `yaml:"raft_heartbeat_timeout"`
	RaftElectionTimeout  time.Duration `yaml:"raft_election_timeout"`
	RaftLeaderLease      time.Duration `yaml:"raft_leader_lease"`
	RaftCommitTimeout    time.Duration `yaml:"raft_commit_timeout"`
	// ApplyTimeout bounds one raft.Apply.
	ApplyTimeout time.Duration `yaml:"apply_timeout"`
	// SnapshotThreshold is the number of log entries between snapshots.
	SnapshotThreshold uint64 `yaml:"snapshot_threshold"`

	// Logger receives server and Raft logs; nil means slog.Default().
	Logger *slog.Logger `yaml:"-"`
	// Store is the object store the model registry serves released files from
	// (optional: without it file downloads answer 501). A store that also implements
	// Presigner gets redirects to presigned URLs instead of streaming.
	Store storage.Store `yaml:"-"`
	// StoreURL ("file:///path", "s3://bucket/prefix") is opened as Store by the
	// garbage collector when Store is nil; S3 credentials come from the environment.
	StoreURL string `yaml:"store_url"`

	// Scheduling policy (issue 17). PreemptionTimeout is how long a run asked to
	// checkpoint and stop (preempted, or past its time limit) has before the leader
	// stops it anyway; it then resumes from its newest committed checkpoint.
	PreemptionTimeout time.Duration `yaml:"preemption_timeout"`
	// FairShareHalfLife is the half-life of the usage that orders projects.
	FairShareHalfLife time.Duration `yaml:"fair_share_half_life"`
	// PreemptionProtectWindow: a run preempted PreemptionProtectAfter times within
	// this window is not preempted again, so no run is starved by cycles.
	PreemptionProtectWindow time.Duration `yaml:"preemption_protect_window"`
	PreemptionProtectAfter  int           `yaml:"preemption_protect_after"`

	// GCInterval is how often the leader applies checkpoint retention and, with a
	// store, sweeps unreferenced blobs.
	GCInterval time.Duration `yaml:"gc_interval"`
	// GCGrace is how old an unreferenced blob must be before it is deleted: longer
	// than any upload-then-commit takes, so a checkpoint being written is never swept.
	GCGrace time.Duration `yaml:"gc_grace"`
}

// DefaultConfig returns a config for a bootstrapping single server on loopback.
func DefaultConfig() Config {
	return Config{
		NodeID:               "server-1",
		DataDir:              "dxtrain-data",
		RaftAddr:             "127.0.0.1:4647",
		HTTPAddr:             "127.0.0.1:4646",
		Bootstrap:            true,
		NodeHeartbeatTimeout: 10 * time.Second,
		SchedulerInterval:    time.Second,
		RaftHeartbeatTimeout: 500 * time.Millisecond,
		RaftElectionTimeout:  500 * time.Millisecond,
		RaftLeaderLease:      250 * time.Millisecond,
		RaftCommitTimeout:    20 * time.Millisecond,
		ApplyTimeout:         10 * time.Second,
		SnapshotThreshold:    8192,
		GCInterval:           time.Minute,
		GCGrace:              time.Hour,

		PreemptionTimeout:       2 * time.Minute,
		FairShareHalfLife:       24 * time.Hour,
		PreemptionProtectWindow: time.Hour,
		PreemptionProtectAfter:  2,
	}
}

// Validate names every violated limit.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config %s: "+format, append([]any{field}, args...)...))
	}
	if c.NodeID == "" {
		bad("node_id", "is empty")
	}
	if !c.InMemory && c.DataDir == "" {
		bad("data_dir", "is empty (set it or in_memory)")
	}
	if c.RaftAdvertise != "" {
		if _, _, err := net.SplitHostPort(c.RaftAdvertise); err != nil {
			bad("raft_advertise", "%q is not host:port: %v", c.RaftAdvertise, err)
		}
	}
	for _, a := range []struct{ field, addr string }{{"raft_addr", c.RaftAddr}, {"http_addr", c.HTTPAddr}} {
		if _, _, err := net.SplitHostPort(a.addr); err != nil {
			bad(a.field, "%q is not host:port: %v", a.addr, err)
		}
	}
	switch {
	case c.TLS != (pki.Files{}) && c.InsecurePlaintext:
		bad("insecure_plaintext", "is true but tls is configured too: choose one")
	case c.TLS != (pki.Files{}):
		if err := c.TLS.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("config %w", err))
		}
		if c.TLS.Cert == "" {
			bad("tls", "a server needs cert_file and key_file (a server certificate)")
		}
	}
	if !c.Bootstrap && len(c.Join) == 0 {
		bad("join", "is empty and bootstrap is false: the server could never form or join a cluster")
	}
	// A slice, not a map, so the violations come out in the file's order on every run.
	for _, d := range []struct {
		field string
		value time.Duration
	}{
		{"node_heartbeat_timeout", c.NodeHeartbeatTimeout}, {"scheduler_interval", c.SchedulerInterval},
		{"raft_heartbeat_timeout", c.RaftHeartbeatTimeout}, {"raft_election_timeout", c.RaftElectionTimeout},
		{"raft_leader_lease", c.RaftLeaderLease}, {"raft_commit_timeout", c.RaftCommitTimeout},
		{"apply_timeout", c.ApplyTimeout}, {"gc_interval", c.GCInterval}, {"gc_grace", c.GCGrace},
		{"preemption_timeout", c.PreemptionTimeout}, {"fair_share_half_life", c.FairShareHalfLife},
		{"preemption_protect_window", c.PreemptionProtectWindow},
	} {
		if d.value < 5*time.Millisecond {
			bad(d.field, "%v is below the 5ms minimum", d.value)
		}
	}
	if c.PreemptionProtectAfter < 1 {
		bad("preemption_protect_after", "%d is below 1", c.PreemptionProtectAfter)
	}
	if c.RaftLeaderLease > c.RaftHeartbeatTimeout {
		bad("raft_leader_lease", "%v exceeds raft_heartbeat_timeout %v", c.RaftLeaderLease, c.RaftHeartbeatTimeout)
	}
	if c.RaftElectionTimeout < c.RaftHeartbeatTimeout {
		bad("raft_election_timeout", "%v is below raft_heartbeat_timeout %v", c.RaftElectionTimeout, c.RaftHeartbeatTimeout)
	}
	return errors.Join(errs...)
}

// ValidateTransport refuses a config that says neither how its connections are
// secured nor that they are not. It is apart from Validate because flags may still
// add the TLS files to a config file's settings; New calls both.
func (c *Config) ValidateTransport() error {
	if c.TLS == (pki.Files{}) && !c.InsecurePlaintext {
		return errors.New("config tls: is not configured: give tls.ca_file, tls.cert_file and tls.key_file (`dxtrain tls`), or insecure_plaintext: true")
	}
	return nil
}

// Load reads a YAML config file over DefaultConfig and validates it. Unknown keys are
// errors.
func Load(path string) (Config, error) { return configfile.Load(path, DefaultConfig()) }

// ParseConfig decodes YAML over DefaultConfig and validates the result.
func ParseConfig(data []byte) (Config, error) { return configfile.Parse(data, DefaultConfig()) }
