// Package miniotest starts a real MinIO server on loopback for tests: a free
// 127.0.0.1 port, a temporary data directory, random root credentials, a readiness wait
// with a deadline, and a kill at cleanup. Tests can stop and restart it on the same port
// and directory to exercise outages.
package miniotest

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/storage"
)

// SkipEnv, set to "1", turns a missing minio binary from a test failure into a skip.
const SkipEnv = "DXTRAIN_SKIP_MINIO"

// InstallCommand builds the binary where Binary looks for it.
const InstallCommand = "bash scripts/install-minio.sh"

// readyTimeout bounds the wait for a (re)started server to answer its health check.
const readyTimeout = 60 * time.Second

// Binary finds the minio server binary: $DXTRAIN_MINIO, else
// ${DXTRAIN_CACHE:-$HOME/.cache/dxtrain}/bin/minio (where InstallCommand puts it).
func Binary() (string, error) {
	if p := os.Getenv("DXTRAIN_MINIO"); p != "" {
		if fi, err := os.Stat(p); err != nil || fi.IsDir() {
			return p, fmt.Errorf("DXTRAIN_MINIO=%s is not a minio binary", p)
		}
		return p, nil
	}
	cache := os.Getenv("DXTRAIN_CACHE")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("locate minio: no DXTRAIN_CACHE and no home directory: %w", err)
		}
		cache = filepath.Join(home, ".cache", "dxtrain")
	}
	p := filepath.Join(cache, "bin", "minio")
	if _, err := os.Stat(p); err != nil {
		return p, fmt.Errorf("minio binary not found at %s", p)
	}
	return p, nil
}

// Server is one running (or stopped) MinIO process.
type Server struct {
	Addr      string // 127.0.0.1:port, stable across Restart
	AccessKey string
	SecretKey string
	Dir       string // data directory, stable across Restart

	bin      string
	logPath  string
	certsDir string // MinIO's --certs-dir (public.crt, private.key): HTTPS when set
	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
}

// Start runs a fresh server and registers its kill with t.Cleanup. Under -short (the
// fast tier, `make test-short`, which installs no MinIO) the test is skipped. When the
// binary is missing the test fails, saying how to install it, unless DXTRAIN_SKIP_MINIO=1.
func Start(t testing.TB) *Server {
	t.Helper()
	if testing.Short() {
		t.Skipf("skipping under -short: starts a real MinIO server (`make test` runs it; it builds MinIO with `%s`)", InstallCommand)
	}
	if _, err := Binary(); err != nil {
		if os.Getenv(SkipEnv) == "1" {
			t.Skipf("skipping: %v and %s=1 is set (run `%s` to run this test)", err, SkipEnv, InstallCommand)
		}
		t.Fatalf("%v: run `%s` (or set DXTRAIN_MINIO to a minio binary; %s=1 skips MinIO tests)", err, InstallCommand, SkipEnv)
	}
	s, err := Launch(t.TempDir())
	if err != nil {
		t.Fatalf("minio: start: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// StartTLS is Start with MinIO serving HTTPS with the given certificate and key files
// (PEM), as a deployment behind a private CA does.
func StartTLS(t testing.TB, certFile, keyFile string) *Server {
	t.Helper()
	if testing.Short() {
		t.Skipf("skipping under -short: starts a real MinIO server (`make test` runs it; it builds MinIO with `%s`)", InstallCommand)
	}
	dir := t.TempDir()
	certs := filepath.Join(dir, "certs")
	if err := os.MkdirAll(certs, 0o700); err != nil {
		t.Fatal(err)
	}
	for from, to := range map[string]string{certFile: "public.crt", keyFile: "private.key"} {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(certs, to), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s, err := launch(dir, certs)
	if err != nil {
		t.Fatalf("minio: start with TLS: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Launch runs a fresh server with its data and log under dir, for callers without a
// testing.TB (benchmarks); the caller stops it.
func Launch(dir string) (*Server, error) { return launch(dir, "") }

func launch(dir, certsDir string) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, fmt.Errorf("%w (install with `%s`)", err, InstallCommand)
	}
	s := &Server{
		AccessKey: "dxtrain-" + randomHex(6),
		SecretKey: randomHex(20),
		Dir:       filepath.Join(dir, "data"),
		bin:       bin,
		logPath:   filepath.Join(dir, "minio.log"),
		certsDir:  certsDir,
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	var lastErr error
	for try := 0; try < 3; try++ { // a free port can be taken between probe and bind
		if s.Addr, err = freeAddr(); err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		if lastErr = s.launch(); lastErr == nil {
			return s, nil
		}
	}
	return nil, lastErr
}

// PID is the running server process's ID, 0 when it is stopped.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Restart starts the server again on the same address and data directory and waits
// until it is live. It may be called from any goroutine.
func (s *Server) Restart() error {
	s.Stop()
	if err := s.launch(); err != nil {
		return fmt.Errorf("minio: restart on %s: %w", s.Addr, err)
	}
	return nil
}

// Stop kills the server (SIGKILL: an abrupt crash, not a graceful shutdown) and waits
// for it to exit. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-exited
}

// Config is a storage.Config for this server with bucket auto-creation on.
func (s *Server) Config() storage.Config {
	return storage.Config{Endpoint: s.Addr, AccessKey: s.AccessKey, SecretKey: s.SecretKey, Insecure: s.certsDir == "", CreateBucket: true}
}

// Log returns the tail of the server's output, for failure messages.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func (s *Server) launch() error {
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	consoleAddr, err := freeAddr()
	if err != nil {
		return err
	}
	args := []string{"server", "--quiet", "--address", s.Addr, "--console-address", consoleAddr}
	if s.certsDir != "" {
		args = append(args, "--certs-dir", s.certsDir)
	}
	cmd := exec.Command(s.bin, append(args, s.Dir)...)
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+s.AccessKey, "MINIO_ROOT_PASSWORD="+s.SecretKey,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_CI_CD=on")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the test binary
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", s.bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()
	if err := s.waitReady(exited); err != nil {
		s.Stop()
		return fmt.Errorf("%w\nminio log:\n%s", err, s.Log())
	}
	return nil
}

// waitReady polls /minio/health/live, then /minio/health/cluster (the object layer is
// initialised and has write quorum; "live" alone answers while requests still get
// XMinioServerNotInitialized), until each answers 200, the process exits, or the
// deadline passes.
func (s *Server) waitReady(exited <-chan struct{}) error {
	deadline := time.Now().Add(readyTimeout)
	for _, path := range []string{"/minio/health/live", "/minio/health/cluster"} {
		if err := s.poll(path, deadline, exited); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) poll(path string, deadline time.Time, exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	url := "http://" + s.Addr + path
	if s.certsDir != "" { // readiness only: the tests check the certificate themselves
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
		url = "https://" + s.Addr + path
	}
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return errors.New("minio exited before it was ready")
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("minio on %s: %s not answering 200 after %s (last error: %v)", s.Addr, path, readyTimeout, err)
		}
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
