package coordinator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mut  func(c *Config)
		want string // substring of the error; "" = valid
	}{
		{"default", func(*Config) {}, ""},
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
			tc.mut(&c)
			err := c.Validate()
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
	body := "node_id: s2\ndata_dir: /tmp/x\nbootstrap: false\njoin: [\"127.0.0.1:4646\"]\nraft_heartbeat_timeout: 800ms\nraft_election_timeout: 900ms\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.NodeID != "s2" || c.Bootstrap || len(c.Join) != 1 || c.RaftHeartbeatTimeout != 800*time.Millisecond || c.RaftLeaderLease != 250*time.Millisecond {
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
	f.Add([]byte("node_id: s1\nbootstrap: true\n"))
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
