package coordinator

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
	"github.com/dxtrain/dxtrain/pki"
)

// testPKI is a cluster CA in a temporary directory.
type testPKI struct {
	dir    string
	ca     *pki.CA
	caFile string
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	dir := t.TempDir()
	ca, err := pki.CreateCA(filepath.Join(dir, "ca"), pki.DefaultCluster, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return &testPKI{dir: dir, ca: ca, caFile: filepath.Join(dir, "ca", pki.CACertFile)}
}

func (p *testPKI) files(t *testing.T, req pki.CertRequest) pki.Files {
	t.Helper()
	if req.Validity == 0 {
		req.Validity = time.Hour
	}
	f, err := p.ca.Issue(filepath.Join(p.dir, "certs"), req)
	if err != nil {
		t.Fatal(err)
	}
	return pki.Files{CA: p.caFile, Cert: f.Cert, Key: f.Key}
}

// clientOpts makes API clients that present a certificate of role.
func (p *testPKI) clientOpts(t *testing.T, role pki.Role, name string) []client.Option {
	t.Helper()
	src, err := pki.Load(p.files(t, pki.CertRequest{Role: role, Name: name}))
	if err != nil {
		t.Fatal(err)
	}
	return []client.Option{client.WithTLS(src.ClientConfig(pki.RoleServer))}
}

// rawTLS presents a certificate Load would refuse (expired) and trusts any server,
// to reach the server's own checks.
func (p *testPKI) rawTLS(t *testing.T, req pki.CertRequest) *tls.Config {
	t.Helper()
	f := p.files(t, req)
	return testutil.Presenting(t, f.Cert, f.Key)
}

func (p *testPKI) secure(t *testing.T) func(*Config) {
	return func(c *Config) {
		c.InsecurePlaintext = false
		c.JoinToken = "" // servers join by their certificates
		c.TLS = p.files(t, pki.CertRequest{Role: pki.RoleServer, Name: c.NodeID})
	}
}

func TestTLSClusterRefusesAndAudits(t *testing.T) {
	p := newTestPKI(t)
	var logs syncBuffer
	servers := testCluster(t, 3, func(c *Config) {
		p.secure(t)(c)
		c.Logger = newLogger(&logs)
	})
	alice := p.clientOpts(t, pki.RoleClient, "alice")
	tk := bootstrapACLWith(t, alice, servers...)
	ctx := t.Context()
	leader := WaitForLeader(t, servers...)
	var follower *Server
	for _, s := range servers {
		if s != leader {
			follower = s
		}
	}
	// Writes through a follower are forwarded to the leader over HTTPS.
	viaFollower, err := client.New([]string{follower.HTTPAddr()}, tk.secrets[1], alice...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := viaFollower.SubmitExperiment(ctx, specYAML("over-tls", 1, 1, 0), ""); err != nil {
		t.Fatalf("submit through a follower over TLS: %v", err)
	}
	st, err := tk.admin.Status(ctx)
	if err != nil || !strings.HasPrefix(st.TLS, "mutual TLS 1.3") {
		t.Fatalf("status tls %q, %v", st.TLS, err)
	}
	agentSecret := tk.secrets[4]
	// An agent with an agent certificate registers; the same token over a user's
	// certificate, or none, is refused.
	asAgent, _ := client.New(addrs(servers...), agentSecret, p.clientOpts(t, pki.RoleAgent, "node-1")...)
	registerNode(t, asAgent, "node-1")
	asUser, _ := client.New(addrs(servers...), agentSecret, alice...)
	if err := registerTry(ctx, asUser); err == nil || !strings.Contains(err.Error(), "needs a agent or server certificate") {
		t.Fatalf("agent token over a client certificate: %v", err)
	}

	// Refused at the handshake: plaintext, another CA, expired, a client certificate on Raft.
	resp, err := http.Get("http://" + leader.HTTPAddr() + "/v1/status")
	if err != nil {
		t.Fatalf("plaintext client got no answer: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "speaks HTTPS") {
		t.Fatalf("plaintext client: %d %q", resp.StatusCode, body)
	}
	other := newTestPKI(t)
	if err := testutil.TLSExchange(leader.HTTPAddr(), other.rawTLS(t, pki.CertRequest{Role: pki.RoleClient, Name: "mallory"})); err == nil {
		t.Fatal("a certificate of another CA was accepted")
	}
	expired := pki.CertRequest{Role: pki.RoleClient, Name: "old", NotBefore: time.Now().Add(-3 * time.Hour)}
	if err := testutil.TLSExchange(leader.HTTPAddr(), p.rawTLS(t, expired)); err == nil {
		t.Fatal("an expired certificate was accepted")
	}
	if err := testutil.TLSExchange(follower.RaftAddr(), p.rawTLS(t, pki.CertRequest{Role: pki.RoleClient, Name: "bob"})); err == nil {
		t.Fatal("a client certificate was accepted on Raft")
	}
	if err := testutil.TLSExchange(follower.RaftAddr(), p.rawTLS(t, pki.CertRequest{Role: pki.RoleAgent, Name: "node-9"})); err == nil {
		t.Fatal("an agent certificate was accepted on Raft")
	}
	// A server started with an agent's certificate is refused before it listens.
	bad := testConfig("server-9")
	bad.InsecurePlaintext, bad.TLS = false, p.files(t, pki.CertRequest{Role: pki.RoleAgent, Name: "server-9"})
	if _, err := New(bad); err == nil || !strings.Contains(err.Error(), "needs a server certificate") {
		t.Fatalf("server with an agent certificate: %v", err)
	}

	// Every refusal reaches the replicated audit log, through the leader.
	want := []string{
		"plaintext (not TLS) client",
		"certificate from another CA",
		"expired certificate",
		"client certificate where server is required",
		"agent certificate where server is required",
		"needs a agent or server certificate, the connection presented the client \"alice\"",
	}
	testutil.WaitFor(t, 10*time.Second, "refusals in the audit log", func() (bool, string) {
		entries, err := tk.admin.Audit(ctx, 0, 0)
		if err != nil {
			return false, err.Error()
		}
		var got []string
		for _, e := range entries {
			if e.Action == structs.ActionTLSRefused && e.Outcome == structs.OutcomeRefused && strings.HasPrefix(e.Actor, "peer 127.0.0.1") {
				got = append(got, e.Target+": "+e.Error)
			}
		}
		all := strings.Join(got, "\n")
		for _, w := range want {
			if !strings.Contains(all, w) {
				return false, fmt.Sprintf("missing %q in:\n%s", w, all)
			}
		}
		return true, ""
	})
	out := logs.String()
	for _, secret := range tk.secrets {
		if strings.Contains(out, secret) {
			t.Fatal("a token secret appears in the server log")
		}
	}
	if strings.Contains(out, "PRIVATE KEY") {
		t.Fatal("key material appears in the server log")
	}
}

// TestTLSWireCarriesNoPlaintext records every byte between a client and the API
// and between two servers' Raft: with TLS, neither the token nor a spec crosses in
// the clear. The plaintext run first proves the capture would see them.
func TestTLSWireCarriesNoPlaintext(t *testing.T) {
	const canary = "canary-7d1f3a9e"
	capture := func(t *testing.T, secure func(*Config), opts []client.Option) (api, raftLink []byte, token string) {
		c1 := testConfig("server-1")
		if secure != nil {
			secure(&c1)
		}
		leader := startServer(t, c1)
		WaitForLeader(t, leader)
		// server-2's Raft traffic goes through a proxy it advertises.
		c2 := testConfig("server-2")
		c2.Bootstrap, c2.Join = false, []string{leader.HTTPAddr()}
		if secure != nil {
			secure(&c2)
		}
		raftLn := reserveAddr(t)
		c2.RaftAddr = raftLn
		raftProxy := testutil.StartProxy(t, raftLn)
		c2.RaftAdvertise = raftProxy.Addr()
		follower := startServer(t, c2)
		testutil.WaitFor(t, 10*time.Second, "server-2 joined", func() (bool, string) {
			return len(follower.State().Members()) == 2, ""
		})
		tk := bootstrapACLWith(t, opts, leader)
		apiProxy := testutil.StartProxy(t, leader.HTTPAddr())
		res, err := client.New([]string{apiProxy.Addr()}, tk.secrets[1], opts...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := res.SubmitExperiment(t.Context(), specYAML(canary, 1, 1, 0), ""); err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, 10*time.Second, "the spec replicated to server-2", func() (bool, string) {
			return bytes.Contains(raftProxy.Captured(), []byte(canary)) || len(follower.State().Experiments()) == 1, ""
		})
		return apiProxy.Captured(), raftProxy.Captured(), tk.secrets[1]
	}
	t.Run("plaintext control", func(t *testing.T) {
		api, raftLink, token := capture(t, nil, nil)
		if !bytes.Contains(api, []byte(token)) || !bytes.Contains(api, []byte(canary)) || !bytes.Contains(raftLink, []byte(canary)) {
			t.Fatal("the plaintext capture lacks the token or the spec: the check below would prove nothing")
		}
	})
	t.Run("mutual TLS", func(t *testing.T) {
		p := newTestPKI(t)
		api, raftLink, token := capture(t, func(c *Config) { p.secure(t)(c) }, p.clientOpts(t, pki.RoleClient, "alice"))
		if len(api) < 1000 || len(raftLink) < 1000 {
			t.Fatalf("captured %d API and %d Raft bytes: too little to judge", len(api), len(raftLink))
		}
		for name, b := range map[string][]byte{"api": api, "raft": raftLink} {
			if bytes.Contains(b, []byte(token)) || bytes.Contains(b, []byte(canary)) {
				t.Fatalf("plaintext crossed the %s link", name)
			}
		}
	})
}

// reserveAddr returns a free loopback address (listened on, then closed).
func reserveAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
