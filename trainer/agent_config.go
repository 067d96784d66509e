package trainer

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/internal/configfile"
	"github.com/dxtrain/dxtrain/pki"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/device"
)

// AgentConfig configures one worker agent. The settings load from YAML (durations as Go
// duration strings, "500ms"); the dependencies (API client, store, devices, metrics,
// logger) are the caller's to set.
type AgentConfig struct {
	// NodeID is this node's ID, unique and stable across restarts.
	NodeID string `yaml:"node_id"`
	// Name is a human-readable node name; empty means the node ID.
	Name string `yaml:"name"`
	// Address is the host:port other ranks of an attempt reach this node on (port 0 picks one).
	Address string `yaml:"address"`
	// AssignmentWait is how long one long-poll for assignments blocks.
	AssignmentWait time.Duration `yaml:"assignment_wait"`
	// ProgressEvery throttles progress reports to the coordinator.
	ProgressEvery time.Duration `yaml:"progress_every"`

	// The torch runtime's settings (runtime: torch experiments).
	// WorkDir holds each attempt's work directory and the ranks' logs; empty means a
	// directory under $TMPDIR named for the node.
	WorkDir string `yaml:"work_dir"`
	// LogAddress is where the log server listens (host:0 picks a port); "" serves none.
	LogAddress string `yaml:"log_address"`
	// Python is the interpreter the ranks run.
	Python string `yaml:"python"`
	// CPUs is how many cores this agent's ranks share (OMP_NUM_THREADS is the share of each).
	CPUs int `yaml:"cpus"`
	// NCCLEnv is the node's NCCL tuning (NCCL_SOCKET_IFNAME, NCCL_IB_HCA, …), set for
	// every rank before the spec's own env.
	NCCLEnv map[string]string `yaml:"nccl_env"`
	// MaxCheckpointBytes caps one torch checkpoint.
	MaxCheckpointBytes int64 `yaml:"max_checkpoint_bytes"`
	// DeviceHealth is the devices' health policy: temperature limits, which XIDs are
	// fatal (unhealthy until an operator uncordons), which degrade until they stop for
	// recover_after, which throttle reasons degrade.
	DeviceHealth device.Thresholds `yaml:"device_health"`

	// TLS names the agent's certificate (an agent certificate whose name is the node
	// ID), its key and the cluster's CA: the ring between agents and the log server
	// use them, and the caller builds the API client from them.
	TLS pki.Files `yaml:"tls"`
	// InsecurePlaintext runs the ring and the log server without TLS; it must be said,
	// as for servers.
	InsecurePlaintext bool `yaml:"insecure_plaintext"`

	// Security is the loaded TLS material of TLS (pki.Load), shared with the API
	// client so that a reload (SIGHUP) reaches both.
	Security *pki.Source      `yaml:"-"`
	API      *client.Client   `yaml:"-"`
	Store    storage.Store    `yaml:"-"`
	Devices  device.Collector `yaml:"-"`
	// DeviceMetrics, if set, receives every device sample as Prometheus gauges.
	DeviceMetrics *device.Metrics `yaml:"-"`
	// TrainingMetrics, if set, receives every step's progress.
	TrainingMetrics *TrainingMetrics `yaml:"-"`
	// Logger receives the agent's logs; nil means slog.Default().
	Logger *slog.Logger `yaml:"-"`
}

// DefaultMaxCheckpointBytes caps a torch checkpoint unless the agent is told otherwise.
const DefaultMaxCheckpointBytes = 8 << 30

// DefaultAgentConfig returns the settings an agent runs with unless told otherwise; the
// caller sets NodeID and the dependencies.
func DefaultAgentConfig() AgentConfig {
	return AgentConfig{
		Address:            "127.0.0.1:0",
		AssignmentWait:     5 * time.Second,
		ProgressEvery:      time.Second,
		LogAddress:         "127.0.0.1:0",
		Python:             "python3",
		CPUs:               runtime.NumCPU(),
		MaxCheckpointBytes: DefaultMaxCheckpointBytes,
		DeviceHealth:       device.DefaultThresholds(),
	}
}

// Validate names every violated setting.
func (c AgentConfig) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("agent config %s: "+format, append([]any{field}, args...)...))
	}
	if c.NodeID == "" {
		bad("node_id", "is empty")
	}
	if _, _, err := net.SplitHostPort(c.Address); err != nil {
		bad("address", "%q is not host:port: %v", c.Address, err)
	}
	if c.LogAddress != "" {
		if _, _, err := net.SplitHostPort(c.LogAddress); err != nil {
			bad("log_address", "%q is not host:port: %v", c.LogAddress, err)
		}
	}
	if c.AssignmentWait <= 0 {
		bad("assignment_wait", "%v is not positive", c.AssignmentWait)
	}
	if c.ProgressEvery <= 0 {
		bad("progress_every", "%v is not positive", c.ProgressEvery)
	}
	if c.Python == "" {
		bad("python", "is empty")
	}
	if c.CPUs < 1 {
		bad("cpus", "%d is below 1", c.CPUs)
	}
	if c.MaxCheckpointBytes < 1 {
		bad("max_checkpoint_bytes", "%d is below 1", c.MaxCheckpointBytes)
	}
	if err := c.DeviceHealth.Validate(); err != nil {
		violations := []error{err}
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			violations = joined.Unwrap()
		}
		for _, v := range violations {
			bad("device_health", "%v", v)
		}
	}
	switch {
	case c.TLS != (pki.Files{}) && c.InsecurePlaintext:
		bad("insecure_plaintext", "is true but tls is configured too: choose one")
	case c.TLS != (pki.Files{}):
		if err := c.TLS.Validate(); err != nil {
			bad("tls", "%v", err)
		} else if c.TLS.Cert == "" {
			bad("tls", "an agent needs cert_file and key_file (an agent certificate)")
		}
	}
	for k := range c.NCCLEnv {
		if !strings.HasPrefix(k, "NCCL_") || k == "NCCL_" {
			bad("nccl_env", "%q is not an NCCL_ variable", k)
		}
	}
	return errors.Join(errs...)
}

// ValidateTransport refuses settings that say neither how the agent's connections are
// secured nor that they are not. It is apart from Validate because flags may still
// add the TLS files to a config file's settings; NewAgent calls both.
func (c AgentConfig) ValidateTransport() error {
	if c.TLS == (pki.Files{}) && !c.InsecurePlaintext {
		return errors.New("agent config tls: is not configured: give tls.ca_file, tls.cert_file and tls.key_file (`dxtrain tls cert create --agent`), or insecure_plaintext: true")
	}
	return nil
}

// validateDependencies names every missing dependency.
func (c AgentConfig) validateDependencies() error {
	var errs []error
	for _, d := range []struct {
		name    string
		missing bool
	}{{"API client", c.API == nil}, {"store", c.Store == nil}, {"device collector", c.Devices == nil},
		{"TLS material (pki.Load of tls)", c.TLS != (pki.Files{}) && c.Security == nil}} {
		if d.missing {
			errs = append(errs, fmt.Errorf("agent: no %s", d.name))
		}
	}
	errs = append(errs, c.ValidateTransport())
	return errors.Join(errs...)
}

// displayName is the name the node registers with.
func (c AgentConfig) displayName() string {
	if c.Name == "" {
		return c.NodeID
	}
	return c.Name
}

// workRoot is the directory that holds the attempts' work directories and logs.
func (c AgentConfig) workRoot() string {
	if c.WorkDir == "" {
		return filepath.Join(os.TempDir(), "dxtrain-agent-"+c.NodeID)
	}
	return c.WorkDir
}

// LoadAgentConfig reads a YAML agent config file over DefaultAgentConfig and validates
// it. Unknown keys are errors.
func LoadAgentConfig(path string) (AgentConfig, error) {
	return configfile.Load(path, DefaultAgentConfig())
}

// ParseAgentConfig decodes YAML over DefaultAgentConfig and validates the result.
func ParseAgentConfig(data []byte) (AgentConfig, error) {
	return configfile.Parse(data, DefaultAgentConfig())
}
