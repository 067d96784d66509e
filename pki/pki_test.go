package pki

import (
	"crypto/tls"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testPKI is a CA and certificates issued from it in a temporary directory.
type testPKI struct {
	dir string
	ca  *CA
}

func newTestPKI(t *testing.T, cluster string) *testPKI {
	t.Helper()
	dir := t.TempDir()
	ca, err := CreateCA(filepath.Join(dir, "ca"), cluster, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return &testPKI{dir: dir, ca: ca}
}

func (p *testPKI) source(t *testing.T, role Role, name string) *Source {
	t.Helper()
	return p.sourceOpts(t, CertRequest{Role: role, Name: name, Validity: time.Hour})
}

func (p *testPKI) sourceOpts(t *testing.T, req CertRequest) *Source {
	t.Helper()
	f, err := p.ca.Issue(filepath.Join(p.dir, "certs"), req)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Load(Files{CA: filepath.Join(p.dir, "ca", CACertFile), Cert: f.Cert, Key: f.Key})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rawClient presents a certificate Load would refuse to load (an expired one) and
// trusts any server, to reach the server's own checks.
func (p *testPKI) rawClient(t *testing.T, req CertRequest) *tls.Config {
	t.Helper()
	f, err := p.ca.Issue(filepath.Join(p.dir, "raw"), req)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, InsecureSkipVerify: true, MinVersion: tls.VersionTLS13}
}

// dial runs one handshake over loopback TCP through a Listener and returns the
// client's error and the refusal the listener reported, if any.
func dial(t *testing.T, server *tls.Config, client *tls.Config) (error, *Refusal) {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := make(chan Refusal, 1)
	ln := NewListener(inner, server, "test", func(r Refusal) { refused <- r })
	defer ln.Close()
	accepted := make(chan struct{})
	go func() {
		if c, err := ln.Accept(); err == nil {
			_, _ = c.Write([]byte("x"))
			c.Close()
		}
		close(accepted)
	}()
	var cerr error
	if client == nil {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		_, _ = c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		_, _ = c.Read(make([]byte, 64))
		c.Close()
		cerr = errors.New("plaintext")
	} else {
		c, err := tls.Dial("tcp", ln.Addr().String(), client)
		if err == nil {
			_, err = c.Read(make([]byte, 1)) // the server's verdict arrives after the client's Finished
			c.Close()
		}
		cerr = err
	}
	select {
	case r := <-refused:
		return cerr, &r
	case <-accepted:
		return cerr, nil
	case <-time.After(5 * time.Second):
		return cerr, nil
	}
}

func TestRolesAreEnforcedBothWays(t *testing.T) {
	p := newTestPKI(t, "nhs-east")
	server := p.source(t, RoleServer, "server-1")
	agent := p.source(t, RoleAgent, "agent-1")
	client := p.source(t, RoleClient, "alice")
	raft := server.ServerConfig(Accept{Roles: []Role{RoleServer}})

	if err, r := dial(t, raft, p.source(t, RoleServer, "server-2").ClientConfig(RoleServer)); err != nil || r != nil {
		t.Fatalf("server to server: %v %+v", err, r)
	}
	// A client certificate used to join Raft.
	if _, r := dial(t, raft, client.ClientConfig(RoleServer)); r == nil || !strings.Contains(r.Reason, "client certificate where server is required") {
		t.Fatalf("client joining raft: refusal %+v", r)
	}
	// An agent's certificate used as a server: the dialler expects a server.
	err, _ := dial(t, agent.ServerConfig(Accept{Roles: []Role{RoleAgent, RoleServer, RoleClient}}), client.ClientConfig(RoleServer))
	if err == nil || !strings.Contains(err.Error(), "agent certificate where server is required") {
		t.Fatalf("agent posing as server: %v", err)
	}
	// Optional client certificates: none is fine, a bad one is not.
	api := server.ServerConfig(Accept{Roles: []Role{RoleServer, RoleAgent, RoleClient}, Optional: true})
	caOnly, err := Load(Files{CA: filepath.Join(p.dir, "ca", CACertFile)})
	if err != nil {
		t.Fatal(err)
	}
	if err, r := dial(t, api, caOnly.ClientConfig(RoleServer)); err != nil || r != nil {
		t.Fatalf("token user without a certificate: %v %+v", err, r)
	}
}

func TestRefusals(t *testing.T) {
	p := newTestPKI(t, "global")
	server := p.source(t, RoleServer, "server-1")
	api := server.ServerConfig(Accept{Roles: []Role{RoleServer, RoleAgent, RoleClient}, Optional: true})
	other := newTestPKI(t, "global")

	for _, tc := range []struct {
		name   string
		client *tls.Config
		reason string
	}{
		{"plaintext", nil, "plaintext (not TLS) client"},
		{"other CA", other.rawClient(t, CertRequest{Role: RoleClient, Name: "mallory", Validity: time.Hour}), "certificate from another CA"},
		{"expired", p.rawClient(t, CertRequest{Role: RoleAgent, Name: "old", Validity: time.Hour, NotBefore: time.Now().Add(-2 * time.Hour)}), "expired certificate"},
		{"TLS 1.2", &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12}, "TLS version below 1.3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, r := dial(t, api, tc.client)
			if r == nil || !strings.HasPrefix(r.Reason, tc.reason) || r.Listener != "test" || r.Remote == "" {
				t.Fatalf("refusal %+v, want reason %q", r, tc.reason)
			}
		})
	}
	// The client side refuses a server from another CA.
	err, _ := dial(t, other.source(t, RoleServer, "evil").ServerConfig(Accept{Roles: []Role{RoleClient}, Optional: true}), server.ClientConfig(RoleServer))
	if err == nil || !strings.Contains(err.Error(), "certificate from another CA") {
		t.Fatalf("server of another CA: %v", err)
	}
}

func TestReloadSwapsCertificatesAndKeepsOldOnError(t *testing.T) {
	p := newTestPKI(t, "global")
	f, err := p.ca.Issue(filepath.Join(p.dir, "a"), CertRequest{Role: RoleServer, Name: "s1", Validity: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	live := Files{CA: filepath.Join(p.dir, "live-ca.pem"), Cert: filepath.Join(p.dir, "live.pem"), Key: filepath.Join(p.dir, "live-key.pem")}
	copyFile(t, filepath.Join(p.dir, "ca", CACertFile), live.CA, 0o644)
	copyFile(t, f.Cert, live.Cert, 0o644)
	copyFile(t, f.Key, live.Key, 0o600)
	s, err := Load(live)
	if err != nil {
		t.Fatal(err)
	}
	if s.Identity().Name != "s1" {
		t.Fatalf("identity %v", s.Identity())
	}
	// Rotate to a new CA and certificate: after Reload the old CA's peers are refused.
	q := newTestPKI(t, "global")
	g, err := q.ca.Issue(filepath.Join(q.dir, "b"), CertRequest{Role: RoleServer, Name: "s1-new", Validity: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(q.dir, "ca", CACertFile), live.CA, 0o644)
	copyFile(t, g.Cert, live.Cert, 0o644)
	copyFile(t, g.Key, live.Key, 0o600)
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	if s.Identity().Name != "s1-new" {
		t.Fatalf("after reload identity %v", s.Identity())
	}
	if _, r := dial(t, s.ServerConfig(Accept{Roles: []Role{RoleClient}}), p.rawClient(t, CertRequest{Role: RoleClient, Name: "old-ca-user", Validity: time.Hour})); r == nil || r.Reason != "certificate from another CA" {
		t.Fatalf("old CA after reload: %+v", r)
	}
	// A key made readable by others fails the reload; the loaded material stays.
	if err := os.Chmod(live.Key, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(); !errors.Is(err, ErrKeyPermissions) || !strings.Contains(err.Error(), "previous certificates stay in use") {
		t.Fatalf("reload with a readable key: %v", err)
	}
	if s.Identity().Name != "s1-new" {
		t.Fatalf("failed reload changed the identity: %v", s.Identity())
	}
}

func TestKeysAreWrittenPrivateAndReadableKeysRefused(t *testing.T) {
	p := newTestPKI(t, "global")
	st, err := os.Stat(filepath.Join(p.dir, "ca", CAKeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("CA key mode %v %v", st.Mode(), err)
	}
	f, err := p.ca.Issue(p.dir, CertRequest{Role: RoleAgent, Name: "a1", Validity: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(f.Key); st.Mode().Perm() != 0o600 {
		t.Fatalf("key mode %v", st.Mode())
	}
	if _, err := p.ca.Issue(p.dir, CertRequest{Role: RoleAgent, Name: "a1", Validity: time.Hour}); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Fatalf("second issue over the same files: %v", err)
	}
	if err := os.Chmod(f.Key, 0o640); err != nil {
		t.Fatal(err)
	}
	_, err = Load(Files{CA: filepath.Join(p.dir, "ca", CACertFile), Cert: f.Cert, Key: f.Key})
	if !errors.Is(err, ErrKeyPermissions) || !strings.Contains(err.Error(), "0640") {
		t.Fatalf("group-readable key: %v", err)
	}
	if err := os.Chmod(filepath.Join(p.dir, "ca", CAKeyFile), 0o604); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCA(filepath.Join(p.dir, "ca")); !errors.Is(err, ErrKeyPermissions) {
		t.Fatalf("world-readable CA key: %v", err)
	}
}

func TestCertificateCarriesRoleSANs(t *testing.T) {
	p := newTestPKI(t, "nhs-east")
	s := p.source(t, RoleServer, "server-1")
	leaf := s.cur.Load().cert.Leaf
	if got := leaf.DNSNames[0]; got != "server.nhs-east.dxtrain" {
		t.Fatalf("DNS SAN %q", got)
	}
	id, err := IdentityOf(leaf)
	if err != nil || id != (Identity{Cluster: "nhs-east", Role: RoleServer, Name: "server-1"}) {
		t.Fatalf("identity %v %v", id, err)
	}
	if _, err := p.ca.Issue(p.dir, CertRequest{Role: "root", Name: "x", Validity: time.Hour}); err == nil {
		t.Fatal("issued a certificate for an unknown role")
	}
	if _, err := p.ca.Issue(p.dir, CertRequest{Role: RoleClient, Name: "Bad Name", Validity: time.Hour}); err == nil {
		t.Fatal("issued a certificate for a name that cannot be a SAN")
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to+".tmp", data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(to+".tmp", mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(to+".tmp", to); err != nil {
		t.Fatal(err)
	}
}
