package integration

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
	"github.com/dxtrain/dxtrain/pki"
)

// server is one `dxtrain server` process with its fixed ports and data dir, so that a
// restart brings back the same Raft member.
type server struct {
	*proc
	id       string
	httpAddr string
	raftAddr string
	dataDir  string
	tls      client.Option // the user certificate, to reach this server
	files    pki.Files     // the server's own certificate, which a test may rotate
}

// cluster is a set of real server processes, the tokens to use them and the agents
// started against them.
type cluster struct {
	t         *testing.T
	logDir    string
	storeDir  string // the file object store every agent shares
	joinToken string
	servers   []*server
	agents    map[string]*proc // node ID → agent
	pki       *clusterPKI

	adminToken string
	agentToken string
	admin      *client.Client // every server's address, admin token
	agentAPI   *client.Client // every server's address, agent token
}

// clusterOptions adjust the servers' flags.
type clusterOptions struct {
	// NodeHeartbeatTimeout is --node-heartbeat-timeout; 0 keeps the shipped default.
	NodeHeartbeatTimeout time.Duration
}

// newCluster starts n servers (the first bootstraps, the others join it through its
// HTTP API with a shared join token), waits until they form one cluster with a
// leader, bootstraps ACLs with the CLI and creates an agent token.
func newCluster(t *testing.T, n int, opts clusterOptions) *cluster {
	t.Helper()
	root := t.TempDir()
	c := &cluster{t: t, logDir: filepath.Join(root, "logs"), storeDir: filepath.Join(root, "store"),
		joinToken: "join-" + strings.ReplaceAll(t.Name(), "/", "-"), agents: map[string]*proc{},
		pki: newClusterPKI(t, filepath.Join(root, "tls"))}
	for _, d := range []string{c.logDir, c.storeDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		s := &server{id: fmt.Sprintf("server-%d", i+1), httpAddr: freePort(t), raftAddr: freePort(t), tls: c.pki.userOption()}
		s.dataDir = filepath.Join(root, s.id)
		s.files = c.pki.issue(pki.RoleServer, s.id)
		args := append([]string{"server", "--node-id", s.id, "--data-dir", s.dataDir, "--raft-addr", s.raftAddr,
			"--http-addr", s.httpAddr, "--join-token", c.joinToken}, tlsArgs(s.files)...)
		if i == 0 {
			args = append(args, "--bootstrap")
		} else {
			args = append(args, "--join", "https://"+c.servers[0].httpAddr)
		}
		if opts.NodeHeartbeatTimeout > 0 {
			args = append(args, "--node-heartbeat-timeout", opts.NodeHeartbeatTimeout.String())
		}
		s.proc = newProc(t, c.logDir, s.id, nil, args...)
		c.servers = append(c.servers, s)
		if i == 0 {
			// Status needs a token, and the others join through this server: make it
			// lead its one-server cluster and bootstrap ACLs through the CLI, as an
			// operator would.
			testutil.WaitFor(t, 20*time.Second, s.id+" to answer HTTP", func() (bool, string) {
				_, err := s.client("").Status(t.Context())
				return errors.Is(err, structs.ErrUnauthenticated), fmt.Sprint(err)
			})
			c.adminToken = secretFrom(t, runCLI(t, c.cliEnv(), "acl", "bootstrap", "--addr", "https://"+s.httpAddr))
		}
	}
	leader := c.leader(20 * time.Second)
	testutil.WaitFor(t, 20*time.Second, fmt.Sprintf("%d voters in the Raft configuration", n), func() (bool, string) {
		st, err := leader.client(c.adminToken).Status(t.Context())
		if err != nil {
			return false, err.Error()
		}
		return len(st.Peers) == n, fmt.Sprintf("%d peers", len(st.Peers))
	})
	c.waitCaughtUp(20 * time.Second)

	out := runCLI(t, c.cliEnv("DXTRAIN_TOKEN="+c.adminToken), "acl", "token-create", "agents", "--role", "agent", "--addr", c.addrList())
	c.agentToken = secretFrom(t, out)
	var err error
	if c.admin, err = client.New(c.addrs(), c.adminToken, c.pki.userOption()); err != nil {
		t.Fatal(err)
	}
	if c.agentAPI, err = client.New(c.addrs(), c.agentToken, c.pki.agentOption("api-agent")); err != nil {
		t.Fatal(err)
	}
	return c
}

// in returns the cluster seen from a subtest: its waits fail t, not the parent.
func (c *cluster) in(t *testing.T) *cluster {
	cc := *c
	cc.t = t
	return &cc
}

// client returns a client of this server alone that does not fail over and gives
// up after 2 s, so a dead or stopped server answers with an error.
func (s *server) client(token string) *client.Client {
	c, err := client.New([]string{s.httpAddr}, token, s.tls, client.WithRetryFor(0),
		client.WithHTTPClient(&http.Client{Timeout: 2 * time.Second}))
	if err != nil {
		panic(err) // the address is ours and well formed
	}
	return c
}

func (c *cluster) addrs() []string {
	var out []string
	for _, s := range c.servers {
		out = append(out, "https://"+s.httpAddr)
	}
	return out
}

func (c *cluster) addrList() string { return strings.Join(c.addrs(), ",") }

// live returns the servers whose process is running.
func (c *cluster) live() []*server {
	var out []*server
	for _, s := range c.servers {
		if !s.exited() {
			out = append(out, s)
		}
	}
	return out
}

// leader waits until a running server says it leads and a majority of the running
// servers name it, and returns it.
func (c *cluster) leader(timeout time.Duration) *server {
	c.t.Helper()
	var got *server
	testutil.WaitFor(c.t, timeout, "a leader that a majority of the servers agree on", func() (bool, string) {
		got = nil
		votes := map[string]int{}
		var seen []string
		for _, s := range c.live() {
			st, err := s.client(c.adminToken).Status(c.t.Context())
			if err != nil {
				seen = append(seen, s.id+": "+err.Error())
				continue
			}
			if st.ServerID != s.id {
				seen = append(seen, s.id+": answered by "+st.ServerID+" (the admin token has not reached it yet)")
				continue
			}
			seen = append(seen, fmt.Sprintf("%s: leader %q", s.id, st.LeaderID))
			votes[st.LeaderID]++
			if st.IsLeader {
				got = s
			}
		}
		return got != nil && votes[got.id] > len(c.servers)/2, strings.Join(seen, "; ")
	})
	return got
}

// waitCaughtUp waits until every running server has applied what the leader had
// applied when the wait began.
func (c *cluster) waitCaughtUp(timeout time.Duration) {
	c.t.Helper()
	leader := c.leader(timeout)
	st, err := leader.client(c.adminToken).Status(c.t.Context())
	if err != nil {
		c.t.Fatalf("status of leader %s: %v", leader.id, err)
	}
	for _, s := range c.live() {
		c.waitApplied(s, st.AppliedIndex, timeout)
	}
}

// waitApplied waits until s has applied index.
func (c *cluster) waitApplied(s *server, index uint64, timeout time.Duration) {
	c.t.Helper()
	testutil.WaitFor(c.t, timeout, fmt.Sprintf("%s to apply index %d", s.id, index), func() (bool, string) {
		st, err := s.client(c.adminToken).Status(c.t.Context())
		if err != nil {
			return false, err.Error()
		}
		if st.ServerID != s.id {
			return false, "answered by " + st.ServerID
		}
		return st.AppliedIndex >= index, fmt.Sprintf("applied %d", st.AppliedIndex)
	})
}

// startAgent starts `dxtrain agent` for nodeID against every server, on the shared
// file store, and waits until its node is up.
func (c *cluster) startAgent(nodeID string) *proc {
	c.t.Helper()
	p := newProc(c.t, c.logDir, nodeID, []string{"DXTRAIN_TOKEN=" + c.agentToken},
		append([]string{"agent", "--addr", c.addrList(), "--node-id", nodeID, "--store", "file://" + c.storeDir},
			c.pki.flags(pki.RoleAgent, nodeID)...)...)
	c.agents[nodeID] = p
	testutil.WaitFor(c.t, 20*time.Second, "node "+nodeID+" to be up", func() (bool, string) {
		n, err := c.admin.Node(c.t.Context(), nodeID)
		if err != nil {
			return false, err.Error()
		}
		return n.Status == structs.NodeStatusUp, n.Status
	})
	return p
}

// cliEnv is the CLI's environment: the user certificate and extra.
func (c *cluster) cliEnv(extra ...string) []string { return append(c.pki.env(), extra...) }

// secretFrom finds the "secret   <id>" line the acl commands print.
func secretFrom(t *testing.T, out string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "secret" {
			return f[1]
		}
	}
	t.Fatalf("no secret line in the acl output (%d bytes)", len(out))
	return ""
}
