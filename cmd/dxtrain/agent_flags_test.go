package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// agentSettings parses args as `dxtrain agent` would and returns the settings' error.
func agentSettings(t *testing.T, args ...string) error {
	t.Helper()
	var flags agentFlags
	cmd := &cobra.Command{Use: "agent"}
	flags.register(cmd)
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	cfg, err := flags.settings(cmd)
	if err == nil && cfg.NodeID == "" {
		t.Fatal("settings without a node ID")
	}
	return err
}

func TestAgentFlagsWinOverTheConfigFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.yaml")
	if err := os.WriteFile(path, []byte("node_id: from-file\ncpus: 3\npython: /opt/py\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var flags agentFlags
	cmd := &cobra.Command{Use: "agent"}
	flags.register(cmd)
	if err := cmd.ParseFlags([]string{"--config", path, "--cpus", "2", "--nccl-env", "NCCL_SOCKET_IFNAME=eth0",
		"--tls-ca-file", "ca.pem", "--tls-cert-file", "from-file.pem", "--tls-key-file", "from-file-key.pem"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := flags.settings(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NodeID != "from-file" || cfg.CPUs != 2 || cfg.TLS.Cert != "from-file.pem" || cfg.Python != "/opt/py" || cfg.NCCLEnv["NCCL_SOCKET_IFNAME"] != "eth0" {
		t.Fatalf("settings = node %q cpus %d python %q nccl %v; want the file's node and python, the flag's cpus", cfg.NodeID, cfg.CPUs, cfg.Python, cfg.NCCLEnv)
	}
}

func TestAgentFlagsAreValidated(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--cpus", "0"}, "cpus"},
		{[]string{"--nccl-env", "OMP_NUM_THREADS=1"}, "nccl_env"},
		{[]string{"--nccl-env", "NCCL_DEBUG"}, "want NCCL_NAME=value"},
		{[]string{"--address", "nowhere"}, "address"},
		{[]string{"--config", filepath.Join(t.TempDir(), "missing.yaml")}, "missing.yaml"},
	} {
		if err := agentSettings(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want one mentioning %q", tc.args, err, tc.want)
		}
	}
	if err := agentSettings(t, "--node-id", "n1"); err == nil || !strings.Contains(err.Error(), "tls: is not configured") {
		t.Fatalf("neither TLS nor --insecure-plaintext: %v", err)
	}
	if err := agentSettings(t, "--node-id", "n1", "--insecure-plaintext"); err != nil {
		t.Fatalf("plain flags: %v", err)
	}
	if err := agentSettings(t, "--node-id", "n1", "--tls-ca-file", "ca.pem", "--tls-cert-file", "n1.pem", "--tls-key-file", "n1-key.pem"); err != nil {
		t.Fatalf("TLS by flags: %v", err)
	}
}
