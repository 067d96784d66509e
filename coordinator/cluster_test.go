package coordinator

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
)

const testJoinToken = "test-join-secret"

// testConfig is a fast in-memory server on loopback with ephemeral ports.
func testConfig(id string) Config {
	cfg := DefaultConfig()
	cfg.NodeID = id
	cfg.InMemory = true
	cfg.RaftAddr = "127.0.0.1:0"
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.JoinToken = testJoinToken
	cfg.InsecurePlaintext = true // TestTLS* cover mutual TLS
	// Fast, but with headroom for a machine shared by many test processes: a 50 ms
	// lease makes a stalled leader step down mid-test.
	cfg.RaftHeartbeatTimeout = 200 * time.Millisecond
	cfg.RaftElectionTimeout = 200 * time.Millisecond
	cfg.RaftLeaderLease = 100 * time.Millisecond
	cfg.RaftCommitTimeout = 5 * time.Millisecond
	cfg.SchedulerInterval = 50 * time.Millisecond
	cfg.NodeHeartbeatTimeout = 5 * time.Second
	cfg.ApplyTimeout = 3 * time.Second
	return cfg
}

// startServer creates and runs a server until the test ends or it is shut down.
func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("new server %s: %v", cfg.NodeID, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return s
}

// WaitForLeader waits until one of the live servers leads and every live server
// knows the leader's HTTP address, and returns the leader.
func WaitForLeader(t *testing.T, servers ...*Server) *Server {
	t.Helper()
	var leader *Server
	testutil.WaitFor(t, 10*time.Second, "a leader", func() (bool, string) {
		leader = nil
		for _, s := range servers {
			if s.IsLeader() {
				leader = s
			}
		}
		if leader == nil {
			return false, "no server leads"
		}
		for _, s := range servers {
			addr, err := s.leaderHTTPAddr()
			if err != nil || addr != leader.HTTPAddr() {
				return false, fmt.Sprintf("%s sees leader http %q (%v)", s.ID(), addr, err)
			}
		}
		return true, ""
	})
	return leader
}

// testCluster starts n servers: the first bootstraps, the others join through it.
func testCluster(t *testing.T, n int, tweak func(*Config)) []*Server {
	t.Helper()
	var servers []*Server
	for i := range n {
		cfg := testConfig(fmt.Sprintf("server-%d", i+1))
		if i > 0 {
			cfg.Bootstrap = false
			cfg.Join = []string{servers[0].HTTPAddr()}
		}
		if tweak != nil {
			tweak(&cfg)
		}
		servers = append(servers, startServer(t, cfg))
		if i == 0 {
			WaitForLeader(t, servers[0])
		}
	}
	leader := WaitForLeader(t, servers...)
	testutil.WaitFor(t, 10*time.Second, "all servers in the raft configuration", func() (bool, string) {
		peers, err := leader.peers()
		if err != nil || len(peers) != n {
			return false, fmt.Sprintf("%d peers (%v)", len(peers), err)
		}
		for _, s := range servers {
			if len(s.State().Members()) != n {
				return false, fmt.Sprintf("%s knows %d members", s.ID(), len(s.State().Members()))
			}
		}
		return true, ""
	})
	return servers
}

func addrs(servers ...*Server) []string {
	var out []string
	for _, s := range servers {
		out = append(out, s.HTTPAddr())
	}
	return out
}

// tokens holds one client per role plus an anonymous one.
type tokens struct {
	anon, admin, researcher, validator, trust, agent *client.Client
	secrets                                          []string
}

func bootstrapACL(t *testing.T, servers ...*Server) *tokens {
	t.Helper()
	return bootstrapACLWith(t, nil, servers...)
}

// bootstrapACLWith is bootstrapACL through clients made with opts (TLS).
func bootstrapACLWith(t *testing.T, opts []client.Option, servers ...*Server) *tokens {
	t.Helper()
	ctx := t.Context()
	anon, err := client.New(addrs(servers...), "", opts...)
	if err != nil {
		t.Fatal(err)
	}
	boot, err := anon.ACLBootstrap(ctx)
	if err != nil {
		t.Fatalf("acl bootstrap: %v", err)
	}
	tk := &tokens{anon: anon, admin: anon.WithToken(boot.SecretID), secrets: []string{boot.SecretID}}
	for _, role := range []string{structs.RoleResearcher, structs.RoleValidator, structs.RoleTrust, structs.RoleAgent} {
		resp, err := tk.admin.CreateToken(ctx, role+"-token", role)
		if err != nil {
			t.Fatalf("create %s token: %v", role, err)
		}
		c := anon.WithToken(resp.SecretID)
		tk.secrets = append(tk.secrets, resp.SecretID)
		switch role {
		case structs.RoleResearcher:
			tk.researcher = c
		case structs.RoleValidator:
			tk.validator = c
		case structs.RoleTrust:
			tk.trust = c
		case structs.RoleAgent:
			tk.agent = c
		}
	}
	return tk
}

func specYAML(name string, min, max, restarts int) []byte {
	return []byte(fmt.Sprintf(`name: %s
dataset:
  path: datasets/testdata/wdbc.csv
  format: csv
  label: diagnosis
  classes: [B, M]
model:
  architecture: mlp
  hidden: [16]
training:
  epochs: 2
  batch_size: 32
  optimizer: {name: adam, learning_rate: 0.002}
  schedule: {name: constant}
  seed: 1
workers:
  min: %d
  max: %d
max_restarts: %d
checkpoint: {every_steps: 10, keep_last: 3}
`, name, min, max, restarts))
}

func registerNode(t *testing.T, c *client.Client, id string) {
	t.Helper()
	_, err := c.RegisterNode(t.Context(), structs.NodeRegisterArgs{ID: id, Name: id, Address: "127.0.0.1:7" + id[len(id)-3:],
		Devices: []structs.Device{{ID: "cpu0", Kind: "cpu", Name: "cpu", Health: structs.DeviceHealthy}}})
	if err != nil {
		t.Fatalf("register %s: %v", id, err)
	}
}

// runningAttempt waits for the experiment's running attempt and returns it.
func runningAttempt(t *testing.T, c *client.Client, expID string, not string) structs.Attempt {
	t.Helper()
	var got structs.Attempt
	testutil.WaitFor(t, 10*time.Second, "a running attempt of "+expID, func() (bool, string) {
		as, err := c.Attempts(t.Context(), expID)
		if err != nil {
			return false, err.Error()
		}
		for _, a := range as {
			if a.Status == structs.AttemptRunning && a.ID != not {
				got = a
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d attempts, none running", len(as))
	})
	return got
}

// runningSetup says how startRunning builds the cluster most coordinator tests begin
// with. The zero value is one server, node-001 registered but not heartbeating, and an
// experiment that may not restart.
type runningSetup struct {
	servers  int           // cluster size; 0 means 1
	tweak    func(*Config) // adjusts every server's config, as in testCluster
	nodes    []string      // CPU nodes registered with the agent token; nil means node-001
	beat     bool          // every node heartbeats every 50 ms until the test ends
	restarts int           // the experiment's max_restarts
}

// running is what startRunning built.
type running struct {
	servers []*Server
	tk      *tokens
	beaters map[string]*beater // node → its heartbeats, when the setup beats
	sub     *structs.CreateResponse
	att     structs.Attempt // the experiment's first running attempt
}

// startRunning is the setup most coordinator tests begin with: a test cluster, ACLs
// bootstrapped with a token per role, the nodes registered (and heartbeating, if asked),
// specYAML(name, 1, 1, restarts) submitted by the researcher, and its running attempt.
func startRunning(t *testing.T, name string, setup runningSetup) *running {
	t.Helper()
	r := &running{servers: testCluster(t, max(setup.servers, 1), setup.tweak), beaters: map[string]*beater{}}
	r.tk = bootstrapACL(t, r.servers...)
	nodes := setup.nodes
	if nodes == nil {
		nodes = []string{"node-001"}
	}
	for _, id := range nodes {
		registerNode(t, r.tk.agent, id)
	}
	if setup.beat {
		for _, id := range nodes {
			r.beaters[id] = startBeating(t, r.tk.agent, id, 50*time.Millisecond)
		}
	}
	sub, err := r.tk.researcher.SubmitExperiment(t.Context(), specYAML(name, 1, 1, setup.restarts), "")
	if err != nil {
		t.Fatalf("submit %s: %v", name, err)
	}
	r.sub = sub
	r.att = runningAttempt(t, r.tk.researcher, sub.ID, "")
	return r
}

func hash(s string) string {
	return structs.HashSecret(s) // any SHA-256 hex will do for ledger records
}

func newLogger(buf *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
