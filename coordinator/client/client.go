// Package client is the Go client of the coordinator's HTTP API, used by the CLI and
// the worker agents. It knows several server addresses and moves to the next one when
// a server is unreachable or has no leader, so callers ride through a failover.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/pki"
)

// Client talks to a coordinator cluster. It is safe for concurrent use.
type Client struct {
	addrs []string
	token string
	http  *http.Client
	stale bool
	tls   *tls.Config // nil: plain HTTP; else addresses without a scheme are https
	// Retry bounds failover: how long a call keeps trying other servers.
	retryFor time.Duration

	mu   sync.Mutex
	next int // index of the address to try first (the last one that worked)
}

// Option adjusts a Client.
type Option func(*Client)

// WithHTTPClient replaces the default http.Client (30 s timeout).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithTLS talks HTTPS with cfg (pki.Source.ClientConfig: the server must hold a
// server certificate of the cluster's CA; the client presents its own, if any).
// Addresses given as host:port become https://host:port; http:// ones are refused.
// It applies after every other option, so a WithHTTPClient in any position keeps its
// timeout and gets this TLS transport.
func WithTLS(cfg *tls.Config) Option { return func(c *Client) { c.tls = cfg } }

// WithRetryFor sets how long one call keeps failing over between servers (default 10 s).
func WithRetryFor(d time.Duration) Option { return func(c *Client) { c.retryFor = d } }

// New returns a client for the servers at addrs ("host:port" or "http://host:port").
// token is the secret sent in X-Dxtrain-Token; it may be empty for ACL bootstrap.
func New(addrs []string, token string, opts ...Option) (*Client, error) {
	if len(addrs) == 0 {
		return nil, errors.New("client: no server addresses")
	}
	c := &Client{token: token, http: &http.Client{Timeout: 30 * time.Second}, retryFor: 10 * time.Second}
	for _, o := range opts {
		o(c)
	}
	scheme := "http"
	if c.tls != nil {
		scheme = "https"
		c.http = &http.Client{Timeout: c.http.Timeout, Transport: &http.Transport{
			TLSClientConfig: c.tls, MaxIdleConnsPerHost: 16, IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second}}
	}
	for _, a := range addrs {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if !strings.Contains(a, "://") {
			a = scheme + "://" + a
		}
		if c.tls != nil && strings.HasPrefix(a, "http://") {
			return nil, fmt.Errorf("client: server address %q is plain http, but TLS is configured: use https:// or host:port", a)
		}
		u, err := url.Parse(a)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("client: server address %q is not host:port or a URL", a)
		}
		c.addrs = append(c.addrs, strings.TrimSuffix(a, "/"))
	}
	if len(c.addrs) == 0 {
		return nil, errors.New("client: no server addresses")
	}
	return c, nil
}

// Stale returns a client whose reads may be answered by any server (dashboards);
// reads that decide something should use the normal client.
func (c *Client) Stale() *Client {
	return &Client{addrs: c.addrs, token: c.token, http: c.http, stale: true, retryFor: c.retryFor, next: c.first()}
}

// WithToken returns a client that sends another token.
func (c *Client) WithToken(token string) *Client {
	return &Client{addrs: c.addrs, token: token, http: c.http, stale: c.stale, retryFor: c.retryFor, next: c.first()}
}

func (c *Client) first() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.next
}

// APIError is a non-2xx answer. It keeps the server's message and field, and
// unwraps to the matching structs sentinel (ErrNotFound for 404, …).
type APIError struct {
	StatusCode int
	Message    string
	Field      string
	Method     string
	Path       string
}

func (e *APIError) Error() string {
	if e.Field != "" && !strings.HasPrefix(e.Message, e.Field) {
		return fmt.Sprintf("%s %s: %d: %s: %s", e.Method, e.Path, e.StatusCode, e.Field, e.Message)
	}
	return fmt.Sprintf("%s %s: %d: %s", e.Method, e.Path, e.StatusCode, e.Message)
}

// Unwrap maps the status code back to a sentinel so errors.Is works across the wire.
func (e *APIError) Unwrap() error {
	switch e.StatusCode {
	case http.StatusBadRequest:
		return structs.ErrInvalid
	case http.StatusUnauthorized:
		return structs.ErrUnauthenticated
	case http.StatusForbidden:
		return structs.ErrPermissionDenied
	case http.StatusNotFound:
		return structs.ErrNotFound
	case http.StatusConflict:
		return structs.ErrConflict
	case http.StatusGone:
		return structs.ErrGone
	case http.StatusTooManyRequests:
		return structs.ErrTooManyRequests
	case http.StatusServiceUnavailable:
		return structs.ErrNoLeader
	case http.StatusGatewayTimeout:
		return structs.ErrUnknownOutcome
	}
	return nil
}

// do sends one request, failing over to the next server until retryFor passes. Reads
// are retried on any transport error or 503. Writes are retried only when they
// certainly were not applied — the server could not be dialled, or answered 503 (no
// leader, not proposed) — so a write is never applied twice by a retry; a write whose
// connection broke after it was sent fails with structs.ErrUnknownOutcome.
// It returns the X-Dxtrain-Index of the answer.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body []byte, contentType string, out any) (uint64, error) {
	if c.stale && method == http.MethodGet {
		if query == nil {
			query = url.Values{}
		}
		query.Set("stale", "true")
	}
	deadline := time.Now().Add(c.retryFor)
	start := c.first()
	backoff := 25 * time.Millisecond
	var lastErr error
	for attempt := 0; ; attempt++ {
		i := (start + attempt) % len(c.addrs)
		idx, err, retry := c.once(ctx, c.addrs[i], method, path, query, body, contentType, out)
		if err == nil {
			c.mu.Lock()
			c.next = i
			c.mu.Unlock()
			return idx, nil
		}
		lastErr = err
		if !retry || time.Now().After(deadline) {
			return 0, lastErr
		}
		if (attempt+1)%len(c.addrs) == 0 {
			select {
			case <-ctx.Done():
				return 0, fmt.Errorf("%w (last error: %v)", ctx.Err(), lastErr)
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 500*time.Millisecond)
		}
	}
}

// once makes one HTTP exchange; retry says whether another server might do better.
func (c *Client) once(ctx context.Context, base, method, path string, query url.Values, body []byte, contentType string, out any) (uint64, error, bool) {
	u := base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err), false
	}
	if c.token != "" {
		req.Header.Set(structs.HeaderToken, c.token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, fmt.Errorf("%s %s via %s: %w", method, path, base, err), false
		}
		if isTLSRefusal(err) { // another server has the same certificate and CA
			return 0, fmt.Errorf("%s %s via %s: %w", method, path, base, err), false
		}
		var op *net.OpError
		if method == http.MethodGet || (errors.As(err, &op) && op.Op == "dial") {
			return 0, fmt.Errorf("%s %s via %s: %w", method, path, base, err), true
		}
		return 0, fmt.Errorf("%s %s via %s: %v: %w", method, path, base, err, structs.ErrUnknownOutcome), false
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("%s %s via %s: read body: %w", method, path, base, err), true
	}
	if resp.StatusCode != http.StatusOK {
		apiErr := &APIError{StatusCode: resp.StatusCode, Method: method, Path: path}
		var e structs.ErrorResponse
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			apiErr.Message, apiErr.Field = e.Error, e.Field
		} else {
			apiErr.Message = strings.TrimSpace(string(data))
		}
		return 0, apiErr, resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusBadGateway
	}
	idx, _ := strconv.ParseUint(resp.Header.Get(structs.HeaderIndex), 10, 64)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return 0, fmt.Errorf("%s %s: decode answer: %w", method, path, err), false
		}
	}
	return idx, nil, false
}

func (c *Client) get(ctx context.Context, path string, query url.Values, out any) (uint64, error) {
	return c.do(ctx, http.MethodGet, path, query, nil, "", out)
}

func (c *Client) send(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
	}
	_, err := c.do(ctx, method, path, nil, body, "application/json", out)
	return err
}

// isTLSRefusal reports a handshake that failed on certificates or protocol, not on
// the network: retrying it elsewhere cannot help, and the write was never sent.
func isTLSRefusal(err error) bool {
	var pe *pki.PeerError
	var alert tls.AlertError
	var rh tls.RecordHeaderError
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	return errors.As(err, &pe) || errors.As(err, &alert) || errors.As(err, &rh) ||
		errors.As(err, &unknown) || errors.As(err, &invalid) || errors.As(err, &host)
}
