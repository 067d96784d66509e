package trainer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/pki"
)

func TestDefaultAgentConfigNeedsANodeIDAndTransportSecurity(t *testing.T) {
	cfg := DefaultAgentConfig()
	err := errors.Join(cfg.Validate(), cfg.ValidateTransport())
	if err == nil || !strings.Contains(err.Error(), "node_id: is empty") || !strings.Contains(err.Error(), "tls: is not configured") {
		t.Fatalf("Validate of the defaults without a node ID or TLS = %v", err)
	}
	cfg.NodeID = "n1"
	cfg.TLS = pki.Files{CA: "ca.pem"}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "an agent needs cert_file") {
		t.Fatalf("Validate with a CA but no certificate = %v", err)
	}
	cfg.TLS, cfg.InsecurePlaintext = pki.Files{}, true
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.displayName() != "n1" || cfg.workRoot() != filepath.Join(os.TempDir(), "dxtrain-agent-n1") {
		t.Fatalf("derived name %q, work dir %q", cfg.displayName(), cfg.workRoot())
	}
}

func TestAgentConfigValidateNamesEveryViolationInOrder(t *testing.T) {
	cfg := AgentConfig{Address: "nowhere", LogAddress: "also-nowhere", NCCLEnv: map[string]string{"OMP_NUM_THREADS": "1"}}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("an empty config validated")
	}
	cfg.TLS = pki.Files{CA: "ca.pem"}
	err = cfg.Validate()
	want := []string{"node_id", "address", "log_address", "assignment_wait", "progress_every", "python", "cpus", "max_checkpoint_bytes", "device_health", "device_health", "tls", "nccl_env"}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d violations, want %d:\n%v", len(lines), len(want), err)
	}
	for i, field := range want {
		if !strings.HasPrefix(lines[i], "agent config "+field+": ") {
			t.Errorf("violation %d = %q, want one about %s", i, lines[i], field)
		}
	}
}

func TestNewAgentNamesEveryMissingDependency(t *testing.T) {
	cfg := DefaultAgentConfig()
	cfg.NodeID, cfg.TLS = "n1", pki.Files{CA: "ca.pem", Cert: "n1.pem", Key: "n1-key.pem"}
	_, err := NewAgent(cfg)
	if err == nil {
		t.Fatal("NewAgent without an API client, store or devices succeeded")
	}
	for _, want := range []string{"no API client", "no store", "no device collector", "no TLS material"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestParseAgentConfig(t *testing.T) {
	cfg, err := ParseAgentConfig([]byte("node_id: gpu-07\ninsecure_plaintext: true\nassignment_wait: 2s\ncpus: 3\nnccl_env:\n  NCCL_SOCKET_IFNAME: eth0\n" +
		"device_health:\n  degrading_xids: [13, 31]\n  recover_after: 5m\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NodeID != "gpu-07" || cfg.AssignmentWait != 2*time.Second || cfg.CPUs != 3 || cfg.NCCLEnv["NCCL_SOCKET_IFNAME"] != "eth0" {
		t.Fatalf("parsed %+v", cfg)
	}
	if h := cfg.DeviceHealth; len(h.DegradingXIDs) != 2 || h.RecoverAfter != 5*time.Minute || len(h.FatalXIDs) == 0 || h.CriticalTemperatureC != 95 {
		t.Fatalf("device_health %+v: the given keys set, the others kept at their defaults", h)
	}
	if cfg.ProgressEvery != DefaultAgentConfig().ProgressEvery || cfg.Python != "python3" {
		t.Fatalf("unset keys lost their defaults: %+v", cfg)
	}
	for name, bad := range map[string]string{
		"unknown key":  "node_id: a\nassignment_wiat: 2s\n",
		"bad duration": "node_id: a\nprogress_every: soon\n",
		"violation":    "node_id: a\ncpus: 0\n",
		"no node":      "cpus: 2\n",
		"xid policy":   "node_id: a\ndevice_health: {fatal_xids: [79], degrading_xids: [79]}\n",
	} {
		if _, err := ParseAgentConfig([]byte("insecure_plaintext: true\n" + bad)); err == nil {
			t.Errorf("%s: %q parsed", name, bad)
		}
	}
}

func TestLoadAgentConfigNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.yaml")
	if err := os.WriteFile(path, []byte("node_id: n\ncpus: -1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadAgentConfig(path); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "cpus") {
		t.Fatalf("LoadAgentConfig = %v, want an error naming the file and cpus", err)
	}
}

func FuzzParseAgentConfig(f *testing.F) {
	f.Add([]byte("node_id: a\ninsecure_plaintext: true\n"))
	f.Add([]byte("node_id: a\ntls: {ca_file: ca.pem, cert_file: a.pem, key_file: a-key.pem}\n"))
	f.Add([]byte("node_id: a\nnccl_env: {NCCL_IB_HCA: mlx5}\nassignment_wait: 1s\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseAgentConfig(data)
		if err == nil && cfg.Validate() != nil {
			t.Fatalf("ParseAgentConfig accepted a config Validate refuses: %q", data)
		}
	})
}
