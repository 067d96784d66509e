package integration

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
	"github.com/dxtrain/dxtrain/pki"
)

// TestServerTLSOnTheWire: a real `dxtrain server` with mutual TLS. The CLI without
// the cluster's certificates, or with plain http://, is told what to fix. SIGHUP
// serves a renewed certificate without a restart, keeps the current one when the new
// key file is readable by others, and moves the server to a new CA, after which the
// old CA's users are refused and the new CA's accepted.
func TestServerTLSOnTheWire(t *testing.T) {
	needProcesses(t)
	c := newCluster(t, 1, clusterOptions{})
	s := c.servers[0]
	token := "DXTRAIN_TOKEN=" + c.adminToken

	t.Run("the CLI is told what to fix", func(t *testing.T) {
		out, err := commandOutput(t.Context(), []string{token}, "status", "--addr", s.httpAddr)
		if err == nil || !strings.Contains(out, "speaks HTTPS") || !strings.Contains(out, "DXTRAIN_CACERT") {
			t.Fatalf("status without TLS settings: %v\n%s", err, out)
		}
		out, err = commandOutput(t.Context(), c.cliEnv(token), "status", "--addr", "http://"+s.httpAddr)
		if err == nil || !strings.Contains(out, "plain http, but TLS is configured") {
			t.Fatalf("status over http:// with TLS settings: %v\n%s", err, out)
		}
		out = runCLI(t, c.cliEnv(token), "status", "--addr", s.httpAddr)
		if !strings.Contains(out, "mutual TLS 1.3") {
			t.Fatalf("status does not show TLS:\n%s", out)
		}
	})

	t.Run("refusals are audited", func(t *testing.T) {
		expired := c.pki.issueIn(t, t.TempDir(), pki.CertRequest{Role: pki.RoleClient, Name: "former",
			Validity: time.Hour, NotBefore: time.Now().Add(-3 * time.Hour)})
		if err := testutil.TLSExchange(s.httpAddr, testutil.Presenting(t, expired.Cert, expired.Key)); err == nil {
			t.Fatal("an expired certificate was accepted")
		}
		if err := testutil.TLSExchange(s.raftAddr, testutil.Presenting(t, c.pki.user.Cert, c.pki.user.Key)); err == nil {
			t.Fatal("a client certificate was accepted on Raft")
		}
		other := newClusterPKI(t, filepath.Join(t.TempDir(), "tls"))
		if err := testutil.TLSExchange(s.httpAddr, testutil.Presenting(t, other.user.Cert, other.user.Key)); err == nil {
			t.Fatal("a certificate of another CA was accepted")
		}
		// A server started with an agent's certificate refuses to start.
		agent := c.pki.issue(pki.RoleAgent, "server-9")
		out, err := commandOutput(t.Context(), nil, append([]string{"server", "--node-id", "server-9", "--data-dir", t.TempDir(),
			"--raft-addr", freePort(t), "--http-addr", freePort(t), "--bootstrap"}, tlsArgs(agent)...)...)
		if err == nil || !strings.Contains(out, "needs a server certificate") {
			t.Fatalf("a server with an agent certificate: %v\n%s", err, out)
		}
		waitAudited(t, c, "plaintext (not TLS) client", "expired certificate", "client certificate where server is required",
			"certificate from another CA")
	})

	user := c.pki.config(c.pki.user)
	renewed := c.pki.reissue(t, pki.RoleServer, s.id, 30*time.Minute)
	install(t, renewed, s.files)
	s.signal(syscall.SIGHUP)
	waitServed(t, s, user, serialOf(t, renewed.Cert))

	t.Run("a world-readable key is refused and the current certificate stays", func(t *testing.T) {
		next := c.pki.reissue(t, pki.RoleServer, s.id, 20*time.Minute)
		install(t, next, s.files)
		if err := os.Chmod(s.files.Key, 0o644); err != nil {
			t.Fatal(err)
		}
		s.signal(syscall.SIGHUP)
		testutil.WaitFor(t, 10*time.Second, "the reload failure in the server log", func() (bool, string) {
			log := tail(s.logPath, 20)
			return strings.Contains(log, "SIGHUP: reload failed"), log
		})
		if got := served(t, s, user); got != serialOf(t, renewed.Cert) {
			t.Fatalf("serving serial %s after a refused reload, want the renewed %s", got, serialOf(t, renewed.Cert))
		}
		if _, err := s.client(c.adminToken).Status(t.Context()); err != nil {
			t.Fatalf("status after a refused reload: %v", err)
		}
	})

	t.Run("a new CA", func(t *testing.T) {
		next := newClusterPKI(t, filepath.Join(t.TempDir(), "tls"))
		install(t, next.issue(pki.RoleServer, s.id), s.files)
		s.signal(syscall.SIGHUP)
		fresh := next.config(next.user)
		testutil.WaitFor(t, 10*time.Second, "the new CA's user to be accepted", func() (bool, string) {
			err := testutil.TLSExchange(s.httpAddr, fresh)
			return err == nil, errString(err)
		})
		// The old user's certificate, trusting whatever the server presents: only the
		// server's check can refuse it.
		if err := testutil.TLSExchange(s.httpAddr, testutil.Presenting(t, c.pki.user.Cert, c.pki.user.Key)); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("a user of the old CA after the server moved to a new CA: %v", err)
		}
	})
}

// reissue writes a new certificate for an existing member into a fresh directory.
func (p *clusterPKI) reissue(t *testing.T, role pki.Role, name string, validity time.Duration) pki.Files {
	t.Helper()
	return p.issueIn(t, t.TempDir(), pki.CertRequest{Role: role, Name: name, Validity: validity})
}

// install replaces the files at dst with src's, each by an atomic rename, as a
// deployment's certificate renewal does.
func install(t *testing.T, src, dst pki.Files) {
	t.Helper()
	for _, f := range [][2]string{{src.CA, dst.CA}, {src.Cert, dst.Cert}, {src.Key, dst.Key}} {
		if f[0] == f[1] {
			continue
		}
		b, err := os.ReadFile(f[0])
		if err != nil {
			t.Fatal(err)
		}
		tmp := f[1] + ".new"
		if err := os.WriteFile(tmp, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, f[1]); err != nil {
			t.Fatal(err)
		}
	}
}

func serialOf(t *testing.T, certFile string) string {
	t.Helper()
	b, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("%s: no PEM block", certFile)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert.SerialNumber.String()
}

// served returns the serial of the certificate s presents now.
func served(t *testing.T, s *server, cfg *tls.Config) string {
	t.Helper()
	conn, err := tls.Dial("tcp", s.httpAddr, cfg)
	if err != nil {
		t.Fatalf("handshake with %s: %v", s.id, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
}

func waitServed(t *testing.T, s *server, cfg *tls.Config, serial string) {
	t.Helper()
	testutil.WaitFor(t, 10*time.Second, s.id+" to serve certificate "+serial, func() (bool, string) {
		got := served(t, s, cfg)
		return got == serial, got
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// waitAudited waits until every one of want appears in a refusal of the audit
// log, as "target: reason".
func waitAudited(t *testing.T, c *cluster, want ...string) {
	t.Helper()
	testutil.WaitFor(t, 15*time.Second, "the refusals in the audit log", func() (bool, string) {
		entries, err := c.admin.Audit(t.Context(), 0, 0)
		if err != nil {
			return false, err.Error()
		}
		var got []string
		for _, e := range entries {
			if e.Action == structs.ActionTLSRefused {
				got = append(got, e.Target+": "+e.Error)
			}
		}
		all := strings.Join(got, "\n")
		for _, w := range want {
			if !strings.Contains(all, w) {
				return false, fmt.Sprintf("no %q in:\n%s", w, all)
			}
		}
		return true, ""
	})
}
