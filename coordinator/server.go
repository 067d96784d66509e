package coordinator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"

	"github.com/dxtrain/dxtrain/coordinator/fsm"
	"github.com/dxtrain/dxtrain/coordinator/state"
	"github.com/dxtrain/dxtrain/pki"
)

// Server is one coordinator server: a Raft member plus the HTTP API.
type Server struct {
	cfg Config
	log *slog.Logger
	fsm *fsm.FSM

	raft      *raft.Raft
	transport *raft.NetworkTransport
	bolt      *raftboltdb.BoltStore

	httpLn   net.Listener
	httpSrv  *http.Server
	client   *http.Client // to other servers' APIs, with this server's certificate under TLS
	tls      *pki.Source  // nil when insecure_plaintext
	refusals *refusalLog
	authFail *authThrottle

	leaderCh    chan bool
	established atomic.Bool // leader whose barrier has applied every earlier entry
	heartbeats  *heartbeats
	devices     *deviceHealth
	samples     *deviceSamples // device gauges from heartbeats, for the console
	metrics     *serverMetrics
	wake        chan struct{}
	queue       lastQueue  // the last scheduling pass, for GET /v1/queue
	releaseMu   sync.Mutex // serialises model releases so version numbers are consecutive

	shutdownOnce sync.Once
	shutdownCh   chan struct{}
	wg           sync.WaitGroup
	shutdownErr  error
}

// New opens the Raft stores, starts Raft and binds the HTTP listener. The API is
// served and the leader loop runs once Run is called.
func New(cfg Config) (*Server, error) {
	if err := errors.Join(cfg.Validate(), cfg.ValidateTransport()); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("server_id", cfg.NodeID)
	s := &Server{
		cfg:        cfg,
		log:        log,
		fsm:        fsm.New(log),
		client:     &http.Client{Timeout: 30 * time.Second},
		leaderCh:   make(chan bool, 8),
		heartbeats: newHeartbeats(),
		devices:    newDeviceHealth(),
		samples:    newDeviceSamples(),
		wake:       make(chan struct{}, 1),
		shutdownCh: make(chan struct{}),
	}
	s.metrics = newServerMetrics(s)
	s.refusals = newRefusalLog(s)
	s.authFail = newAuthThrottle()
	if err := s.setupTLS(); err != nil {
		return nil, err
	}
	if err := s.setupRaft(); err != nil {
		if s.raft != nil {
			_ = s.raft.Shutdown().Error()
		}
		s.closeStores()
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		_ = s.raft.Shutdown().Error()
		s.closeStores()
		return nil, fmt.Errorf("listen http %s: %w", cfg.HTTPAddr, err)
	}
	s.httpLn = s.secureAPI(ln)
	s.httpSrv = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		// Bodies are at most maxBodyBytes; answers include blocking queries (up to 5
		// minutes) and model file downloads, hence the long write timeout.
		ReadTimeout:  time.Minute,
		WriteTimeout: 30 * time.Minute,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	return s, nil
}

func (s *Server) setupRaft() error {
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(s.cfg.NodeID)
	rc.HeartbeatTimeout = s.cfg.RaftHeartbeatTimeout
	rc.ElectionTimeout = s.cfg.RaftElectionTimeout
	rc.LeaderLeaseTimeout = s.cfg.RaftLeaderLease
	rc.CommitTimeout = s.cfg.RaftCommitTimeout
	rc.SnapshotThreshold = s.cfg.SnapshotThreshold
	rc.NotifyCh = s.leaderCh
	rc.Logger = hclogToSlog(s.log)

	var (
		logs   raft.LogStore
		stable raft.StableStore
		snaps  raft.SnapshotStore
	)
	if s.cfg.InMemory {
		mem := raft.NewInmemStore()
		logs, stable, snaps = mem, mem, raft.NewInmemSnapshotStore()
	} else {
		if err := os.MkdirAll(s.cfg.DataDir, 0o700); err != nil {
			return fmt.Errorf("create data dir: %w", err)
		}
		bolt, err := raftboltdb.New(raftboltdb.Options{
			Path:        filepath.Join(s.cfg.DataDir, "raft.db"),
			BoltOptions: &bbolt.Options{Timeout: time.Second},
		})
		if err != nil {
			return fmt.Errorf("open raft store in %s: %w", s.cfg.DataDir, err)
		}
		s.bolt = bolt
		fss, err := raft.NewFileSnapshotStoreWithLogger(s.cfg.DataDir, 2, rc.Logger)
		if err != nil {
			return fmt.Errorf("open snapshot store in %s: %w", s.cfg.DataDir, err)
		}
		logs, stable, snaps = bolt, bolt, fss
	}
	addr, err := net.ResolveTCPAddr("tcp", s.cfg.RaftAddr)
	if err != nil {
		return fmt.Errorf("resolve raft_addr %s: %w", s.cfg.RaftAddr, err)
	}
	trans, err := s.raftTransport(raft.NetworkTransportConfig{MaxPool: 3, Timeout: 2 * time.Second, Logger: rc.Logger})
	if err != nil {
		return fmt.Errorf("raft transport on %s: %w", addr, err)
	}
	s.transport = trans
	has, err := raft.HasExistingState(logs, stable, snaps)
	if err != nil {
		return fmt.Errorf("check raft state: %w", err)
	}
	r, err := raft.NewRaft(rc, &timedFSM{FSM: s.fsm, hist: s.metrics.fsmApply}, logs, stable, snaps, trans)
	if err != nil {
		return fmt.Errorf("start raft: %w", err)
	}
	s.raft = r
	if s.cfg.Bootstrap && !has {
		boot := raft.Configuration{Servers: []raft.Server{{ID: rc.LocalID, Address: trans.LocalAddr()}}}
		if err := r.BootstrapCluster(boot).Error(); err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
			return fmt.Errorf("bootstrap raft: %w", err)
		}
	}
	return nil
}

// Run serves the API, follows leadership changes (running the leader loop while
// leader) and joins the configured servers. It returns when ctx ends or Shutdown is
// called, after shutting the server down.
func (s *Server) Run(ctx context.Context) error {
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		if err := s.httpSrv.Serve(s.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", "error", err)
		}
	}()
	go func() {
		defer s.wg.Done()
		s.monitorLeadership()
	}()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.refusals.loop(ctx)
	}()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if len(s.cfg.Join) > 0 {
			s.joinLoop(ctx)
		}
		s.announceLoop(ctx)
	}()
	select {
	case <-ctx.Done():
	case <-s.shutdownCh:
	}
	return s.Shutdown()
}

// Shutdown stops the API and Raft and closes the stores. It does not leave the
// cluster: a stopped server is a failed voter until removed.
func (s *Server) Shutdown() error {
	s.shutdownOnce.Do(func() {
		close(s.shutdownCh)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.httpSrv.Shutdown(ctx)
		_ = s.httpLn.Close()
		var errs []error
		if err := s.raft.Shutdown().Error(); err != nil {
			errs = append(errs, fmt.Errorf("raft shutdown: %w", err))
		}
		s.wg.Wait()
		errs = append(errs, s.closeStores())
		s.shutdownErr = errors.Join(errs...)
	})
	return s.shutdownErr
}

func (s *Server) closeStores() error {
	var errs []error
	if s.transport != nil {
		errs = append(errs, s.transport.Close())
	}
	if s.bolt != nil {
		errs = append(errs, s.bolt.Close())
	}
	return errors.Join(errs...)
}

// HTTPAddr is the address the API listens on (useful with port 0).
func (s *Server) HTTPAddr() string { return s.httpLn.Addr().String() }

// RaftAddr is the address Raft advertises.
func (s *Server) RaftAddr() string { return string(s.transport.LocalAddr()) }

// ID is the server's Raft ID.
func (s *Server) ID() string { return s.cfg.NodeID }

// IsLeader reports whether this server is the Raft leader.
func (s *Server) IsLeader() bool { return s.raft.State() == raft.Leader }

// State is the server's replicated store (read only for callers).
func (s *Server) State() *state.Store { return s.fsm.State() }

// Raft exposes the Raft node for operator tooling and tests.
func (s *Server) Raft() *raft.Raft { return s.raft }

// wakeLeader nudges the leader loop to re-check the queue now.
func (s *Server) wakeLeader() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
