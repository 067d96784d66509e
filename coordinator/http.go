package coordinator

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dxtrain/dxtrain/console"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/pki"
)

// maxBodyBytes bounds a request body; specs and ledger records are small.
const maxBodyBytes = 1 << 20

// Route kinds: who must answer and whether a token is needed.
const (
	kindRead   = iota // leader answers unless ?stale=true
	kindWrite         // handler validates, then calls rc.leaderOnly
	kindPublic        // no token (ACL bootstrap); handler calls rc.leaderOnly
	kindLocal         // any server answers from its own state (status)
)

type route struct {
	pattern string
	kind    int
	roles   []string // any of these (admin always); empty = any valid token
	handle  func(rc *reqCtx) (any, error)
}

// reqCtx is one request on its way through the endpoint pipeline.
type reqCtx struct {
	s     *Server
	w     *statusWriter
	r     *http.Request
	body  []byte
	token *structs.ACLToken // nil on public routes
	// anyServer is ?stale=true: the caller accepts an answer from any server.
	anyServer bool
}

// decode parses the JSON body strictly into v.
func (rc *reqCtx) decode(v any) error {
	dec := json.NewDecoder(bytes.NewReader(rc.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return structs.Invalid("body", fmt.Sprintf("malformed JSON: %v", err))
	}
	if dec.More() {
		return structs.Invalid("body", "trailing data after the JSON value")
	}
	return nil
}

// leaderOnly forwards the request to the leader when this server is a follower; it
// returns errHandled after forwarding.
func (rc *reqCtx) leaderOnly() error {
	if rc.s.IsLeader() {
		return nil
	}
	return rc.s.forward(rc)
}

// write stamps a request with the leader's time and an audit entry naming the actor.
func (rc *reqCtx) write(action, target string) structs.WriteRequest {
	now := time.Now().UnixNano()
	actor := "anonymous"
	if rc.token != nil {
		actor = rc.token.AccessorID
	}
	return structs.WriteRequest{Timestamp: now, Audit: &structs.AuditEntry{
		Time: now, Actor: actor, Action: action, Target: target}}
}

// stale reports whether the caller accepts an answer from any server.
func (rc *reqCtx) stale() bool { return rc.anyServer }

// parseStale reads ?stale=; a value that is not a boolean is a bad request naming the
// parameter, never silently false.
func (rc *reqCtx) parseStale() error {
	v := rc.r.URL.Query().Get("stale")
	if v == "" {
		return nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return structs.Invalid("stale", fmt.Sprintf("%q is not a boolean (true or false)", v))
	}
	rc.anyServer = b
	return nil
}

func (s *Server) wrap(rt route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		console.SecurityHeaders(w.Header())
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		rc := &reqCtx{s: s, w: sw, r: r}
		err := s.serve(rc, rt)
		if err != nil && !errors.Is(err, errHandled) {
			writeError(sw, err)
		}
		// Never log headers or bodies: they carry token secrets and spec contents.
		s.log.Debug("http request", "method", r.Method, "path", r.URL.Path,
			"status", sw.status, "duration_ms", time.Since(start).Milliseconds(), "actor", actorOf(rc.token))
	}
}

func actorOf(t *structs.ACLToken) string {
	if t == nil {
		return ""
	}
	return t.AccessorID
}

func (s *Server) serve(rc *reqCtx, rt route) error {
	body, err := io.ReadAll(io.LimitReader(rc.r.Body, maxBodyBytes+1))
	if err != nil {
		return structs.Invalid("body", fmt.Sprintf("read: %v", err))
	}
	if len(body) > maxBodyBytes {
		return structs.Invalid("body", fmt.Sprintf("larger than %d bytes", maxBodyBytes))
	}
	rc.body = body
	if err := checkOrigin(rc.r); err != nil {
		return err
	}
	if err := rc.parseStale(); err != nil {
		return err
	}
	if err := s.checkPeer(rc.r, rt); err != nil {
		return err
	}
	if rt.kind != kindPublic {
		if err := s.authFail.check(s.authSource(rc.r)); err != nil {
			return err
		}
		tok, err := s.authenticate(rc.r)
		if errors.Is(err, structs.ErrUnauthenticated) {
			if rc.r.Header.Get(structs.HeaderForwarded) == "" && !s.IsLeader() && !(rt.kind == kindRead && rc.stale()) {
				// A token created moments ago may not have reached this follower yet,
				// nor any token a restarted follower that has not replayed its log:
				// the leader is authoritative, and counts the failure if it is one.
				return s.forward(rc)
			}
			s.authFailed(rc.r)
		}
		if err != nil {
			return err
		}
		if len(rt.roles) > 0 && !tok.HasRole(rt.roles...) {
			return fmt.Errorf("token %s lacks role %s: %w", tok.AccessorID, strings.Join(rt.roles, " or "), structs.ErrPermissionDenied)
		}
		rc.token = tok
	}
	if rt.kind == kindRead && !rc.stale() {
		if !s.IsLeader() {
			return s.forward(rc)
		}
		if err := s.consistent(); err != nil {
			return err
		}
	}
	out, err := rt.handle(rc)
	if err != nil {
		return err
	}
	rc.w.Header().Set(structs.HeaderIndex, strconv.FormatUint(s.State().LatestIndex(), 10))
	rc.w.Header().Set(structs.HeaderLeader, strconv.FormatBool(s.IsLeader()))
	writeAnswer(rc.w, rc.r, out)
	return nil
}

// consistent refuses a leader's read until its leadership barrier has applied every
// earlier entry (a new leader may otherwise miss writes its predecessor acknowledged).
func (s *Server) consistent() error {
	if !s.established.Load() {
		return fmt.Errorf("leader %s has not yet applied its predecessor's entries: %w", s.cfg.NodeID, structs.ErrNotLeader)
	}
	return nil
}

// authenticate resolves the presented secret to a token. The secret is hashed at
// once and never stored or logged.
func (s *Server) authenticate(r *http.Request) (*structs.ACLToken, error) {
	secret := presentedSecret(r)
	if secret == "" {
		return nil, fmt.Errorf("no token in %s or Authorization header: %w", structs.HeaderToken, structs.ErrUnauthenticated)
	}
	return s.State().TokenBySecretHash(structs.HashSecret(secret))
}

func presentedSecret(r *http.Request) string {
	if v := r.Header.Get(structs.HeaderToken); v != "" {
		return v
	}
	if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(v)
	}
	return ""
}

// isJoinToken reports whether the request carries the configured server join secret.
func (s *Server) isJoinToken(r *http.Request) bool {
	secret := presentedSecret(r)
	return s.cfg.JoinToken != "" && secret != "" &&
		subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.JoinToken)) == 1
}

// forward proxies the request to the leader's HTTP API. A request that was already
// forwarded once is refused rather than bounced again during an election.
func (s *Server) forward(rc *reqCtx) error {
	if by := rc.r.Header.Get(structs.HeaderForwarded); by != "" {
		return fmt.Errorf("request forwarded by %s reached %s, which is not the leader: %w", by, s.cfg.NodeID, structs.ErrNotLeader)
	}
	addr, err := s.leaderHTTPAddr()
	if err != nil {
		return err
	}
	body := rc.body
	peer := ""
	if id, ok := pki.PeerIdentity(rc.r.TLS); ok {
		peer = string(id.Role) + "/" + id.Name
	}
	proxy := &httputil.ReverseProxy{
		ErrorLog:  slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		Transport: s.client.Transport,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(&url.URL{Scheme: s.scheme(), Host: addr})
			pr.Out.Header.Set(structs.HeaderForwarded, s.cfg.NodeID)
			pr.Out.Header.Set(structs.HeaderForwardedPeer, peer)
			// This server checked the browser's origin against itself; the leader's
			// host differs, so the headers would fail the check again there.
			pr.Out.Header.Del("Origin")
			pr.Out.Header.Del("Sec-Fetch-Site")
			pr.SetXForwarded() // the leader counts failed authentications by the client's address
			pr.Out.Body = io.NopCloser(bytes.NewReader(body))
			pr.Out.ContentLength = int64(len(body))
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			// A write whose forwarded request may have reached the leader has an
			// unknown outcome; only a failed dial (or a read) is safe to retry.
			var op *net.OpError
			if r.Method != http.MethodGet && !(errors.As(err, &op) && op.Op == "dial") {
				writeError(w, fmt.Errorf("forward to leader at %s: %v: %w", addr, err, structs.ErrUnknownOutcome))
				return
			}
			writeError(w, fmt.Errorf("forward to leader at %s: %v: %w", addr, err, structs.ErrNoLeader))
		},
	}
	proxy.ServeHTTP(headerFlusher{rc.w}, rc.r)
	return errHandled
}

// apply proposes a command and waits for it to be applied. It returns the entry's
// index and the state's verdict.
func (s *Server) apply(mt structs.MessageType, req any) (uint64, error) {
	data, err := structs.Encode(mt, req)
	if err != nil {
		return 0, err
	}
	f := s.raft.Apply(data, s.cfg.ApplyTimeout)
	if err := f.Error(); err != nil {
		if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipTransferInProgress) {
			return 0, fmt.Errorf("apply %s: %v: %w", mt, err, structs.ErrNotLeader) // not proposed: safe to retry
		}
		if errors.Is(err, raft.ErrLeadershipLost) || errors.Is(err, raft.ErrEnqueueTimeout) {
			return 0, fmt.Errorf("apply %s: %v: %w", mt, err, structs.ErrUnknownOutcome)
		}
		if errors.Is(err, raft.ErrRaftShutdown) {
			return 0, fmt.Errorf("apply %s: %w", mt, ErrShutdown)
		}
		return 0, fmt.Errorf("apply %s: %w", mt, err)
	}
	if resp, ok := f.Response().(error); ok && resp != nil {
		return f.Index(), resp
	}
	s.wakeLeader()
	return f.Index(), nil
}

// statusWriter remembers the status code for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection's writer (to flush).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// headerFlusher sends a proxied model-file header at once, so that if the leader cuts
// the body short (a blob failing its hash) the client sees a short body, not a dropped
// connection it would retry.
type headerFlusher struct{ http.ResponseWriter }

func (w headerFlusher) WriteHeader(code int) {
	w.ResponseWriter.WriteHeader(code)
	if w.Header().Get(structs.HeaderSHA256) != "" {
		_ = http.NewResponseController(w.ResponseWriter).Flush()
	}
}

func (w headerFlusher) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// statusOf maps an error to its HTTP status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, structs.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, structs.ErrUnauthenticated):
		return http.StatusUnauthorized
	case errors.Is(err, structs.ErrPermissionDenied):
		return http.StatusForbidden
	case errors.Is(err, structs.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, structs.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, structs.ErrGone):
		return http.StatusGone
	case errors.Is(err, structs.ErrTooManyRequests):
		return http.StatusTooManyRequests
	case errors.Is(err, ErrNoObjectStore):
		return http.StatusNotImplemented
	case errors.Is(err, structs.ErrNotLeader), errors.Is(err, structs.ErrNoLeader), errors.Is(err, ErrShutdown):
		return http.StatusServiceUnavailable
	case errors.Is(err, structs.ErrUnknownOutcome):
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}

func writeError(w http.ResponseWriter, err error) {
	resp := structs.ErrorResponse{Error: err.Error()}
	var fe *structs.FieldError
	if errors.As(err, &fe) {
		resp.Field = fe.Field
	}
	writeJSON(w, statusOf(err), resp)
}

// routes builds the API mux.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	var all []route
	all = append(all, s.statusRoutes()...)
	all = append(all, s.operatorRoutes()...)
	all = append(all, s.aclRoutes()...)
	all = append(all, s.experimentRoutes()...)
	all = append(all, s.projectRoutes()...)
	all = append(all, s.nodeRoutes()...)
	all = append(all, s.checkpointRoutes()...)
	all = append(all, s.datasetRoutes()...)
	all = append(all, s.agentRoutes()...)
	all = append(all, s.modelRoutes()...)
	all = append(all, s.alertRoutes()...)
	for _, rt := range all {
		mux.Handle(rt.pattern, s.wrap(rt))
	}
	// The console reads this API with the caller's token; its files need none.
	mux.Handle("GET "+console.Prefix, console.Handler())
	mux.Handle("GET /{$}", http.RedirectHandler(console.Prefix, http.StatusFound))
	// Prometheus scrapes without a token; the metrics carry counts, never record contents.
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, fmt.Errorf("no route %s %s: %w", r.Method, r.URL.Path, structs.ErrNotFound))
	})
	return mux
}

// blockingWait implements ?index=N&wait=D on reads: it waits until the store moves
// past index N or D (at most 5 minutes) passes.
func (rc *reqCtx) blockingWait() error {
	q := rc.r.URL.Query()
	if q.Get("index") == "" {
		return nil
	}
	after, err := strconv.ParseUint(q.Get("index"), 10, 64)
	if err != nil {
		return structs.Invalid("index", fmt.Sprintf("%q is not an unsigned integer", q.Get("index")))
	}
	wait := 30 * time.Second
	if v := q.Get("wait"); v != "" {
		if wait, err = time.ParseDuration(v); err != nil || wait < 0 {
			return structs.Invalid("wait", fmt.Sprintf("%q is not a duration like 30s", v))
		}
	}
	timer := time.NewTimer(min(wait, 5*time.Minute))
	defer timer.Stop()
	for {
		st := rc.s.State()
		ch := st.WatchCh()
		if st.LatestIndex() > after {
			return nil
		}
		select {
		case <-ch:
		case <-timer.C:
			return nil
		case <-rc.r.Context().Done():
			return nil
		case <-rc.s.shutdownCh:
			return nil
		}
	}
}
