package coordinator

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
	"github.com/dxtrain/dxtrain/pki"
)

func TestAuthThrottleWindow(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	th := newAuthThrottle()
	th.now = func() time.Time { return now }
	const guesser, neighbour = "10.0.0.7:5000", "10.0.0.8:5000"

	for i := 1; i < authFailLimit; i++ {
		if th.fail(guesser) {
			t.Fatalf("failure %d reported as reaching the limit of %d", i, authFailLimit)
		}
		if err := th.check(guesser); err != nil {
			t.Fatalf("refused after %d failures: %v", i, err)
		}
	}
	if !th.fail("10.0.0.7:6000") { // another port of the same host counts too
		t.Fatalf("failure %d did not reach the limit", authFailLimit)
	}
	err := th.check(guesser)
	if !errors.Is(err, structs.ErrTooManyRequests) || !strings.Contains(err.Error(), "retry in 1m0s") {
		t.Fatalf("at the limit: %v", err)
	}
	if err := th.check(neighbour); err != nil {
		t.Fatalf("another source is refused: %v", err)
	}
	now = now.Add(authFailWindow - time.Second)
	if err := th.check(guesser); err == nil || !strings.Contains(err.Error(), "retry in 1s") {
		t.Fatalf("a second before the window ends: %v", err)
	}
	now = now.Add(time.Second)
	if err := th.check(guesser); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	if th.fail(guesser) {
		t.Fatal("the first failure of a new window reached the limit")
	}
}

func TestAuthThrottleTableIsBounded(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	th := newAuthThrottle()
	th.now = func() time.Time { return now }
	for i := range authFailSources {
		th.fail(fmt.Sprintf("10.%d.%d.1:1", i/256, i%256))
	}
	th.fail("192.0.2.1:1") // a full table of live windows is cleared
	if len(th.sources) != 1 {
		t.Fatalf("%d sources after a flood, want 1", len(th.sources))
	}
	for i := range authFailSources - 1 {
		th.fail(fmt.Sprintf("10.%d.%d.2:1", i/256, i%256))
	}
	now = now.Add(authFailWindow)
	th.fail("192.0.2.2:1") // expired windows are dropped first
	if len(th.sources) != 1 {
		t.Fatalf("%d sources after the windows expired, want 1", len(th.sources))
	}
}

// TestAuthThrottleOverHTTP: a client that keeps sending wrong tokens is answered 429,
// even with a good one, once it reaches the limit, and the block is audited. Guesses
// through a follower count at the leader under the client's address; claiming to be
// a forwarding server with the header escapes nothing, since under TLS only a server
// certificate may forward. Probes without a token are not guesses.
func TestAuthThrottleOverHTTP(t *testing.T) {
	p := newTestPKI(t)
	servers := testCluster(t, 3, p.secure(t))
	alice := p.clientOpts(t, pki.RoleClient, "alice")
	tk := bootstrapACLWith(t, alice, servers...)
	leader := WaitForLeader(t, servers...)
	var follower *Server
	for _, s := range servers {
		if s != leader {
			follower = s
		}
	}
	src, err := pki.Load(p.files(t, pki.CertRequest{Role: pki.RoleClient, Name: "mallory"}))
	if err != nil {
		t.Fatal(err)
	}
	raw := &http.Client{Transport: &http.Transport{TLSClientConfig: src.ClientConfig(pki.RoleServer), DisableKeepAlives: true}}
	get := func(s *Server, token string, forged bool) int {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", "https://"+s.HTTPAddr()+"/v1/experiments", nil)
		req.Header.Set(structs.HeaderToken, token)
		if forged {
			req.Header.Set(structs.HeaderForwarded, follower.cfg.NodeID)
			req.Header.Set("X-Forwarded-For", "192.0.2.99")
		}
		resp, err := raw.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	good := tk.secrets[1]
	for range 2 * authFailLimit {
		if code := get(leader, "", false); code != http.StatusUnauthorized {
			t.Fatalf("a probe without a token: %d, want 401", code)
		}
	}
	if code := get(leader, good, false); code != http.StatusOK {
		t.Fatalf("a good token after probes: %d, want 200", code)
	}
	for i := range authFailLimit {
		via, forged := follower, false
		if i%2 == 0 {
			via, forged = leader, true
		}
		if code := get(via, fmt.Sprintf("guess-%d", i), forged); code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d, want 401", i, code)
		}
	}
	for _, via := range []*Server{leader, follower} {
		if code := get(via, good, false); code != http.StatusTooManyRequests {
			t.Fatalf("a good token from a blocked source via %s: %d, want 429", via.cfg.NodeID, code)
		}
	}
	// Every client here comes from 127.0.0.1, which is now blocked: read the
	// replicated audit log from the server's state.
	testutil.WaitFor(t, 10*time.Second, "the block in the audit log", func() (bool, string) {
		entries := leader.State().Audit(0, 0)
		for _, e := range entries {
			if e.Action == structs.ActionTLSRefused && strings.Contains(e.Error, "failed authentications") &&
				strings.Contains(e.Actor, "127.0.0.1") {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d entries", len(entries))
	})
}
