package collective

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/internal/testutil"
	"github.com/dxtrain/dxtrain/pki"
)

// agentTLS issues an agent certificate of ca and returns the ring's two configs.
func agentTLS(t *testing.T, ca *pki.CA, caFile, name string) (server, client *tls.Config) {
	t.Helper()
	f, err := ca.Issue(t.TempDir(), pki.CertRequest{Role: pki.RoleAgent, Name: name, Validity: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	src, err := pki.Load(pki.Files{CA: caFile, Cert: f.Cert, Key: f.Key})
	if err != nil {
		t.Fatal(err)
	}
	return src.ServerConfig(pki.Accept{Roles: []pki.Role{pki.RoleAgent}}), src.ClientConfig(pki.RoleAgent)
}

func newCA(t *testing.T) (*pki.CA, string) {
	t.Helper()
	dir := t.TempDir()
	ca, err := pki.CreateCA(dir, "global", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return ca, filepath.Join(dir, pki.CACertFile)
}

// knownTensor is a float sequence unlikely to appear by chance, as its wire bytes.
func knownTensor(n int) ([]float32, []byte) {
	v := make([]float32, n)
	raw := make([]byte, 4*n)
	for i := range v {
		v[i] = 1234.5678 + float32(i)*0.001
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v[i]))
	}
	return v, raw
}

// ringThroughProxy joins 3 ranks whose link 0→1 goes through a recording proxy,
// all-reduces rank 0's known tensor with zeros, and returns what the proxy saw.
func ringThroughProxy(t *testing.T, secure func(rank int, cfg *Config)) (captured, want []byte) {
	t.Helper()
	const world, n = 3, 4096
	lns := make([]net.Listener, world)
	addrs := make([]string, world)
	for r := range lns {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[r], addrs[r] = ln, ln.Addr().String()
	}
	proxy := testutil.StartProxy(t, addrs[1])
	comms := make([]*Comm, world)
	errs := make([]error, world)
	var wg sync.WaitGroup
	for r := range world {
		cfg := testConfig(world)
		cfg.Rank = r
		cfg.Addrs = append([]string(nil), addrs...)
		if r == 0 {
			cfg.Addrs[1] = proxy.Addr()
		}
		if secure != nil {
			secure(r, &cfg)
		}
		wg.Go(func() { comms[r], errs[r] = JoinListener(t.Context(), cfg, lns[r]) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, c := range comms {
			c.Close()
		}
	}()
	tensor, raw := knownTensor(n)
	errs2, _ := runAll(comms, func(rank int, c *Comm) error {
		buf := make([]float32, n)
		if rank == 0 {
			copy(buf, tensor)
		}
		if err := c.AllReduceSum(buf); err != nil {
			return err
		}
		for i := range buf {
			if buf[i] != tensor[i] {
				return errors.New("wrong sum")
			}
		}
		return nil
	})
	if err := errors.Join(errs2...); err != nil {
		t.Fatal(err)
	}
	return proxy.Captured(), raw
}

func TestTLSRingKeepsTensorsOffTheWire(t *testing.T) {
	ca, caFile := newCA(t)
	// Plaintext first: the capture must find the tensor, or the check below proves nothing.
	plain, raw := ringThroughProxy(t, nil)
	if !bytes.Contains(plain, raw[:256]) || !bytes.Contains(plain, []byte(testSession)) {
		t.Fatalf("the plaintext capture (%d bytes) lacks the tensor or the session: the detector is broken", len(plain))
	}
	enc, raw := ringThroughProxy(t, func(rank int, cfg *Config) {
		cfg.ServerTLS, cfg.ClientTLS = agentTLS(t, ca, caFile, []string{"a0", "a1", "a2"}[rank])
	})
	if len(enc) < len(raw) {
		t.Fatalf("captured only %d bytes", len(enc))
	}
	for off := 0; off+64 <= len(raw); off += 64 {
		if bytes.Contains(enc, raw[off:off+64]) {
			t.Fatalf("64 plaintext bytes of the tensor at offset %d crossed the wire", off)
		}
	}
	if bytes.Contains(enc, []byte(testSession)) {
		t.Fatal("the session id crossed the wire in the clear")
	}
}

func TestTLSRingRefusesAgentOfAnotherCA(t *testing.T) {
	ca, caFile := newCA(t)
	other, otherFile := newCA(t)
	lns := make([]net.Listener, 2)
	addrs := make([]string, 2)
	for r := range lns {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[r], addrs[r] = ln, ln.Addr().String()
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for r := range 2 {
		cfg := testConfig(2)
		cfg.Rank, cfg.Addrs, cfg.DialTimeout = r, addrs, 2*time.Second
		if r == 0 {
			cfg.ServerTLS, cfg.ClientTLS = agentTLS(t, ca, caFile, "a0")
		} else {
			cfg.ServerTLS, cfg.ClientTLS = agentTLS(t, other, otherFile, "intruder")
		}
		cfg.Logger = nil
		wg.Go(func() {
			var c *Comm
			c, errs[r] = JoinListener(t.Context(), cfg, lns[r])
			if c != nil {
				c.Close()
			}
		})
	}
	wg.Wait()
	// The rank that verifies the other's certificate first refuses it and leaves;
	// the other can only time out. Neither joins.
	refused := 0
	for r, err := range errs {
		if err == nil {
			t.Errorf("rank %d joined a ring with an agent of another CA", r)
		}
		if errors.Is(err, ErrHandshake) && strings.Contains(err.Error(), "certificate from another CA") {
			refused++
		}
	}
	if refused == 0 {
		t.Fatalf("no rank named the refusal: %v", errs)
	}
}

// TestTLSRingMatchesFixedOrder: in TLS the ring gives the same bits as the
// reference fold, over messages of many records and buffered reads and writes
// (several MiB, chunks of one record, of several and not a whole number of records,
// lengths that end mid-record), several operations in a row on the same links.
func TestTLSRingMatchesFixedOrder(t *testing.T) {
	t.Parallel()
	ca, caFile := newCA(t)
	for _, world := range []int{2, 3} {
		for _, chunk := range []int{16 << 10, 100_000, 0} {
			t.Run(fmt.Sprintf("world=%d/chunk=%d", world, chunk), func(t *testing.T) {
				comms := startWorld(t, world, func(r int, cfg *Config) {
					cfg.ChunkBytes = chunk
					cfg.ServerTLS, cfg.ClientTLS = agentTLS(t, ca, caFile, fmt.Sprintf("agent-%d", r))
				})
				for _, n := range []int{1, 4097, 3<<20 + 5, 1 << 20} {
					checkAllReduceSum(t, comms, n, uint64(world*7919+n))
				}
			})
		}
	}
}

// TestTLSRingReportsRefusedConnections connects a plaintext client and an agent
// of another CA to a rank's ring listener: each refusal reaches OnRefusal with an
// error the agent classifies for the audit log (pki.HandshakeReason).
func TestTLSRingReportsRefusedConnections(t *testing.T) {
	ca, caFile := newCA(t)
	other, otherFile := newCA(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	cfg := testConfig(2)
	cfg.Rank, cfg.Addrs, cfg.DialTimeout = 1, []string{"127.0.0.1:1", addr}, 3*time.Second
	cfg.ServerTLS, cfg.ClientTLS = agentTLS(t, ca, caFile, "a1")
	type refusal struct {
		remote string
		err    error
	}
	refusals := make(chan refusal, 8)
	cfg.OnRefusal = func(remote string, err error) { refusals <- refusal{remote, err} }
	joined := make(chan error, 1)
	go func() {
		c, err := JoinListener(t.Context(), cfg, ln)
		if c != nil {
			c.Close()
		}
		joined <- err
	}()

	next := func(what string) (reason string) {
		t.Helper()
		select {
		case r := <-refusals:
			reason, _, ok := pki.HandshakeReason(r.err)
			if !ok || !strings.HasPrefix(r.remote, "127.0.0.1:") {
				t.Fatalf("%s: refusal from %q classified %q, %v", what, r.remote, reason, ok)
			}
			return reason
		case <-time.After(2 * time.Second):
			t.Fatalf("%s: no refusal reported", what)
		}
		return ""
	}

	plain, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = plain.Write(hello{From: 0, To: 1, World: 2, Session: testSession}.encode())
	if reason := next("plaintext client"); reason != "plaintext (not TLS) client" {
		t.Fatalf("plaintext client refused as %q", reason)
	}
	_ = plain.Close()

	// The intruder trusts any server, so the refusal is the listener's own.
	_, intruder := agentTLS(t, other, otherFile, "intruder")
	intruder = intruder.Clone()
	intruder.InsecureSkipVerify, intruder.VerifyPeerCertificate, intruder.VerifyConnection = true, nil, nil
	if c, err := tls.Dial("tcp", addr, intruder); err == nil {
		_, _ = c.Write([]byte("x"))
		_, _ = c.Read(make([]byte, 1)) // TLS 1.3: the server's verdict arrives on the first read
		_ = c.Close()
	}
	if reason := next("agent of another CA"); !strings.Contains(reason, "another CA") {
		t.Fatalf("agent of another CA refused as %q", reason)
	}
	// A peer still in its handshake when the join gives up is cut off by this
	// rank, not refused: it must not be reported.
	silent, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	if err := <-joined; err == nil {
		t.Fatal("rank 1 joined with no predecessor")
	}
	select {
	case r := <-refusals:
		t.Fatalf("the handshake the join abandoned was reported as a refusal: %v", r.err)
	case <-time.After(200 * time.Millisecond):
	}
}
