package coordinator

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/pki"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mut  func(c *Config)
		want string // substring of the error; "" = valid
	}{
		{"default", func(*Config) {}, "tls: is not configured"},
		{"plaintext said", func(c *Config) { c.InsecurePlaintext = true }, ""},
		{"both", func(c *Config) {
			c.InsecurePlaintext, c.TLS = true, pki.Files{CA: "ca.pem", Cert: "s.pem", Key: "s-key.pem"}
		}, "choose one"},
		{"tls without cert", func(c *Config) { c.InsecurePlaintext, c.TLS = false, pki.Files{CA: "ca.pem"} }, "a server needs cert_file"},
		{"no node id", func(c *Config) { c.NodeID = "" }, "node_id: is empty"},
		{"no data dir", func(c *Config) { c.DataDir = "" }, "data_dir"},
		{"in memory needs no data dir", func(c *Config) { c.DataDir, c.InMemory = "", true }, ""},
		{"bad raft addr", func(c *Config) { c.RaftAddr = "nope" }, "raft_addr"},
		{"neither bootstrap nor join", func(c *Config) { c.Bootstrap = false }, "join"},
		{"lease above heartbeat", func(c *Config) { c.RaftLeaderLease = time.Second }, "raft_leader_lease"},
		{"tiny timeout", func(c *Config) { c.NodeHeartbeatTimeout = time.Millisecond }, "node_heartbeat_timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			if tc.name != "default" {
				c.InsecurePlaintext = true
			}
			tc.mut(&c)
			err := errors.Join(c.Validate(), c.ValidateTransport())
			if tc.want == "" && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("error %v does not mention %q", err, tc.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "server.yaml")
	body := "node_id: s2\ndata_dir: /tmp/x\ntls:\n  ca_file: /etc/dxtrain/ca.pem\n  cert_file: /etc/dxtrain/s2.pem\n  key_file: /etc/dxtrain/s2-key.pem\nbootstrap: false\njoin: [\"127.0.0.1:4646\"]\nraft_heartbeat_timeout: 800ms\nraft_election_timeout: 900ms\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.NodeID != "s2" || c.TLS.Key != "/etc/dxtrain/s2-key.pem" || c.Bootstrap || len(c.Join) != 1 || c.RaftHeartbeatTimeout != 800*time.Millisecond || c.RaftLeaderLease != 250*time.Millisecond {
		t.Fatalf("loaded %+v", c)
	}
	if _, err := ParseConfig([]byte("node_idd: x\n")); err == nil || !strings.Contains(err.Error(), "node_idd") {
		t.Fatalf("unknown key: %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Fatal("missing file loaded")
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("node_id: s1\nbootstrap: true\ninsecure_plaintext: true\n"))
	f.Add([]byte("tls: {ca_file: a, cert_file: b, key_file: c}\n"))
	f.Add([]byte("join: [a:1]\nbootstrap: false\nraft_leader_lease: 1s\n"))
	f.Add([]byte("in_memory: true\ndata_dir: \"\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err == nil {
			if verr := c.Validate(); verr != nil {
				t.Fatalf("ParseConfig accepted an invalid config: %v", verr)
			}
		}
	})
}
