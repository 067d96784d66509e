package coordinator

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/pki"
)

const (
	// authFailLimit failed authentications from one address within authFailWindow
	// block that address until the window ends: guessing a 128-bit token is hopeless
	// anyway, but a flood of guesses costs hashing and fills logs.
	authFailLimit  = 20
	authFailWindow = time.Minute
	// authFailSources bounds the table; when full, the oldest windows are dropped.
	authFailSources = 4096
)

// authThrottle counts failed authentications per source address.
type authThrottle struct {
	mu      sync.Mutex
	sources map[string]*authWindow
	now     func() time.Time
}

type authWindow struct {
	start    time.Time
	failures int
}

func newAuthThrottle() *authThrottle {
	return &authThrottle{sources: map[string]*authWindow{}, now: time.Now}
}

func sourceOf(remote string) string {
	if host, _, err := net.SplitHostPort(remote); err == nil {
		return host
	}
	return remote
}

// check refuses a source that failed too often in its current window.
func (t *authThrottle) check(remote string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := t.sources[sourceOf(remote)]
	if w == nil || t.now().Sub(w.start) >= authFailWindow || w.failures < authFailLimit {
		return nil
	}
	retry := w.start.Add(authFailWindow).Sub(t.now()).Round(time.Second)
	return fmt.Errorf("%d failed authentications from %s within %v; retry in %v: %w",
		w.failures, sourceOf(remote), authFailWindow, retry, structs.ErrTooManyRequests)
}

// fail counts one failure; it reports whether this failure reached the limit.
func (t *authThrottle) fail(remote string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	src, now := sourceOf(remote), t.now()
	w := t.sources[src]
	if w == nil || now.Sub(w.start) >= authFailWindow {
		if w == nil && len(t.sources) >= authFailSources {
			t.evictExpired(now)
		}
		w = &authWindow{start: now}
		t.sources[src] = w
	}
	w.failures++
	return w.failures == authFailLimit
}

// evictExpired drops finished windows, or every window if none has finished (a
// flood from many sources must not grow the table without bound).
func (t *authThrottle) evictExpired(now time.Time) {
	for src, w := range t.sources {
		if now.Sub(w.start) >= authFailWindow {
			delete(t.sources, src)
		}
	}
	if len(t.sources) >= authFailSources {
		clear(t.sources)
	}
}

// authSource is the address failed authentications are counted under: the client's,
// which for a request forwarded by another server is the last X-Forwarded-For entry
// (the one that server added; earlier ones are the client's own claim).
func (s *Server) authSource(r *http.Request) string {
	if s.forwardedByServer(r) {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			hops := strings.Split(xff[len(xff)-1], ",")
			if last := strings.TrimSpace(hops[len(hops)-1]); last != "" {
				return last
			}
		}
	}
	return r.RemoteAddr
}

// authFailed counts a request whose token did not authenticate, where the answer is
// authoritative (the leader, or a stale read), and audits the source once it reaches
// the limit. A request without a token guesses nothing (it is what a probe sends to
// see that a server is up) and is not counted.
func (s *Server) authFailed(r *http.Request) {
	if presentedSecret(r) == "" {
		return
	}
	src := s.authSource(r)
	if s.authFail.fail(src) {
		s.refusals.record(pki.Refusal{Listener: "api", Remote: src,
			Reason: fmt.Sprintf("%d failed authentications within %v: blocked for the rest of the window", authFailLimit, authFailWindow)})
	}
}
