package trainer

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
)

// LogServer serves the torch ranks' output that this agent keeps, to `dxtrain logs`.
// It holds no ACLs of its own: a request's bearer token is shown to the coordinator,
// and only a token that may read the experiment there may read its logs here.
type LogServer struct {
	root    string // <work root>/logs
	api     *client.Client
	running func(attemptID string) bool
	log     *slog.Logger

	mu      sync.Mutex
	allowed map[[32]byte]time.Time // sha256(token + experiment) → checked until
}

// logAuthTTL is how long a token's read permission is trusted without asking again.
const logAuthTTL = 30 * time.Second

// logPath is where a rank's output is kept: <root>/<experiment>/<attempt>/rank-<N>.log.
func logPath(root, experimentID, attemptID string, rank int) string {
	return filepath.Join(root, experimentID, attemptID, fmt.Sprintf("rank-%d.log", rank))
}

// Serve answers GET /v1/logs?experiment=E&attempt=A&rank=N[&offset=K][&follow=true]
// on ln until ctx ends.
func (s *LogServer) Serve(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/logs", s.serveLog)
	// No write timeout: a follow=true read streams for as long as the rank runs.
	// Slow or idle clients are cut off at the request and between requests.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *LogServer) serveLog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	exp, att := q.Get("experiment"), q.Get("attempt")
	rank, err := strconv.Atoi(q.Get("rank"))
	if !safeName(exp) || !safeName(att) || err != nil || rank < 0 || rank > 1<<20 {
		http.Error(w, "want experiment, attempt and rank (IDs of [A-Za-z0-9._:-], rank ≥ 0)", http.StatusBadRequest)
		return
	}
	offset, _ := strconv.ParseInt(q.Get("offset"), 10, 64)
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if err := s.authorise(r.Context(), token, exp); err != nil {
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	f, err := os.Open(logPath(s.root, exp, att, rank))
	if err != nil {
		http.Error(w, fmt.Sprintf("no log of rank %d of attempt %s on this node", rank, att), http.StatusNotFound)
		return
	}
	defer f.Close()
	if _, err := f.Seek(max(offset, 0), io.SeekStart); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	follow := q.Get("follow") == "true"
	flusher, _ := w.(http.Flusher)
	for {
		n, err := io.Copy(w, f)
		if err != nil {
			return
		}
		if !follow {
			return
		}
		if n > 0 && flusher != nil {
			flusher.Flush()
		}
		if n == 0 && !s.running(att) {
			return // the attempt ended here and everything it wrote has been sent
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// authorise asks the coordinator whether token may read the experiment.
func (s *LogServer) authorise(ctx context.Context, token, experimentID string) error {
	if token == "" {
		return errors.New("a bearer token is required")
	}
	key := sha256.Sum256([]byte(token + "\x00" + experimentID))
	s.mu.Lock()
	until, ok := s.allowed[key]
	s.mu.Unlock()
	if ok && time.Now().Before(until) {
		return nil
	}
	if _, err := s.api.WithToken(token).Experiment(ctx, experimentID); err != nil {
		return fmt.Errorf("the coordinator refused this token for experiment %s: %v", experimentID, err)
	}
	s.mu.Lock()
	if s.allowed == nil {
		s.allowed = map[[32]byte]time.Time{}
	}
	s.allowed[key] = time.Now().Add(logAuthTTL)
	s.mu.Unlock()
	return nil
}

// safeName is the coordinator's ID alphabet: it keeps a request inside the log root.
func safeName(v string) bool {
	if v == "" || len(v) > 128 || v == "." || v == ".." {
		return false
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._:-", r)) {
			return false
		}
	}
	return true
}
