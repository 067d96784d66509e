package channel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Server is the listening channel of one attempt.
type Server struct {
	cfg     Config
	log     *slog.Logger
	ln      *net.UnixListener
	sockDir string
	allowed map[int]bool

	ctx    context.Context // cancelled by Close; Handler calls run under it
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	conns   map[net.Conn]struct{}
	claimed map[int]bool // ranks that have said hello; each may only once
}

// Listen creates the socket and serves connections until Close. Give Path() to the
// ranks as DXTRAIN_SOCKET.
func Listen(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	ln, sockDir, err := listen(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("channel: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger,
		ln:      ln,
		sockDir: sockDir,
		allowed: make(map[int]bool, len(cfg.Ranks)),
		ctx:     ctx,
		cancel:  cancel,
		conns:   make(map[net.Conn]struct{}),
		claimed: make(map[int]bool),
	}
	for _, r := range cfg.Ranks {
		s.allowed[r] = true
	}
	s.wg.Add(1)
	go s.accept()
	s.log.Info("channel listening", "socket", s.Path())
	return s, nil
}

// Path is the absolute path of the socket.
func (s *Server) Path() string { return filepath.Join(s.sockDir, socketName) }

// Close stops accepting, closes every connection, cancels the context of Handler
// calls in progress, waits for them to return, and removes the socket and its
// directory. Calling it again does nothing.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	conns := make([]net.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()

	s.cancel()
	err := s.ln.Close()
	for _, c := range conns {
		c.Close()
	}
	s.wg.Wait()
	if rmErr := os.RemoveAll(s.sockDir); rmErr != nil {
		err = errors.Join(err, rmErr)
	}
	if err != nil {
		return fmt.Errorf("close channel %s: %w", s.Path(), err)
	}
	return nil
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if s.isClosed() {
				return
			}
			// Out of file descriptors and the like: wait a little rather than spin.
			s.log.Warn("channel accept failed", "error", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if !s.track(c) {
			c.Close()
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.untrack(c)
			s.serve(c)
		}()
	}
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// track registers a connection so Close can close it; false once closed.
func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c net.Conn) {
	c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// claim marks rank as connected; false when it already is (or was).
func (s *Server) claim(rank int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.claimed[rank] {
		return false
	}
	s.claimed[rank] = true
	return true
}

func (s *Server) unclaim(rank int) {
	s.mu.Lock()
	delete(s.claimed, rank)
	s.mu.Unlock()
}
